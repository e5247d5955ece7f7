"""10,000 rows with 2% bad cells: exactly those cells are reported (and marked), nothing else."""

from __future__ import annotations

import random

import openpyxl
import xlsxwriter

from crmxl.schema import ACCOUNTS, STAMP_SHEET, column_letter
from crmxl.validation import validate_cells
from crmxl.workbook.reader import read_table
from crmxl.workbook.report import ERROR_FILL, write_report
from tests.validation.builders import cnpj

ROWS = 10_000
UFS = ["SP", "RJ", "MG", "PR", "RS", "BA"]


def good_row(i: int) -> list:
    medical = i % 3 == 0
    values = {
        "account_number": f"{i + 1}/{UFS[i % 6]}" if medical else cnpj(f"{i:08d}0001"),
        "name": f"Account {i}",
        "type": "MEDICAL" if medical else ("COMPANY" if i % 3 == 1 else "INSURANCE"),
        "portfolio": f"agent.sp{i % 2 + 1}",
        "uf": UFS[i % 6],
        "city": "São Paulo",
        "cep": "01310-100",
        "phone": "(11) 91234-5678",
        "email": f"a{i}@example.com.br",
    }
    if i % 4 == 0:
        values.update(contact_name=f"Contact {i}", contact_type="DOCTOR", qualifications="Cardiologia",
                      contact_email=f"c{i}@example.com.br")
    return [values.get(f) for f in ACCOUNTS.fields]


def corrupt(row: list, rng: random.Random) -> str:
    """Make exactly one cell of ``row`` bad; return its field."""
    index = ACCOUNTS.fields.index
    choice = rng.choice(["account_number", "name", "type", "portfolio", "uf", "contact_type", "cep", "phone",
                         "email", "contact_email"])
    if choice == "account_number":
        if row[index("type")] == "MEDICAL":
            row[index("account_number")] = "12345678901/SP"  # too many digits for a CRM
        else:
            number = row[index("account_number")]
            row[index("account_number")] = number[:12] + f"{(int(number[12:]) + 1) % 100:02d}"
    elif choice == "name":
        row[index("name")] = "x" * 201
    elif choice == "type":
        row[index("type")] = "COMPANHIA"
    elif choice == "portfolio":
        row[index("portfolio")] = None
    elif choice == "uf":
        row[index("uf")] = "XX"
        if row[index("type")] == "MEDICAL":
            row[index("account_number")] = row[index("account_number")].split("/")[0] + "/SP"
    elif choice == "contact_type":
        row[index("contact_name")] = row[index("contact_name")] or "Someone"
        row[index("contact_type")] = None
        row[index("qualifications")] = None
    elif choice == "cep":
        row[index("cep")] = "123"
    elif choice == "phone":
        row[index("phone")] = "12"
    elif choice == "email":
        row[index("email")] = "a@"
    else:
        row[index("contact_name")] = row[index("contact_name")] or "Someone"
        row[index("contact_type")] = "SECRETARY"
        row[index("qualifications")] = None
        row[index("contact_email")] = "c@"
    return choice


def test_ten_thousand_rows_two_percent_bad(tmp_path):
    rng = random.Random(20260704)
    rows = [good_row(i) for i in range(ROWS)]
    expected: set[tuple[int, str]] = set()
    for i in rng.sample(range(ROWS), ROWS * 2 // 100):
        field = corrupt(rows[i], rng)
        expected.add((i + 2, column_letter(ACCOUNTS.fields.index(field))))
    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, [c.header() for c in ACCOUNTS.columns])
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value)
    stamp = book.add_worksheet(STAMP_SHEET)
    for r, pair in enumerate((("template", "accounts"), ("version", ACCOUNTS.version), ("lang", "en"))):
        stamp.write_row(r, 0, pair)
    stamp.very_hidden()
    book.close()

    table = read_table(path, ACCOUNTS)
    result = validate_cells(table)
    assert len(expected) == 200
    assert {(f.row, f.column) for f in result.findings} == expected
    assert all(f.severity == "error" for f in result.findings)
    assert result.rows == ROWS
    assert len(result.valid_records) == ROWS - 200

    out = write_report(table, result, tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(out)["Accounts"]
    red = {(c.row, c.column_letter) for row in ws.iter_rows(min_row=2) for c in row
           if c.fill.fill_type == "solid" and c.fill.fgColor.rgb == ERROR_FILL}
    assert red == expected
    errors_column = [c.value for c in ws["O"]][1:]
    assert errors_column.count("OK") == ROWS - 200
