"""The in-place report: red cells with notes, the Errors column, the Summary sheet; the rest survives."""

from __future__ import annotations

import hashlib
import shutil
import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from crmxl.schema import ACCOUNTS, STAMP_SHEET
from crmxl.validation import validate_cells
from crmxl.workbook.reader import read_table
from crmxl.workbook.report import AUTHOR, ERROR_FILL, WARNING_FILL, write_report
from tests.validation.builders import account_row, cnpj, write_csv, write_xlsm, write_xlsx
from tests.workbook.marks import ERRORS_COL, check_bad_cells, fill_of


def report(path, out, lang="en", summary=None):
    table = read_table(path, ACCOUNTS)
    result = validate_cells(table, lang=lang)
    return write_report(table, result, out, lang=lang, summary=summary), result


def sample_rows():
    return [
        account_row(cnpj("112223330001")),                               # 2: OK
        account_row(cnpj("223334440001"), type_="COMPANI", uf="XX"),      # 3: C and E bad
        [None] * 14,                                                      # 4: blank
        account_row(cnpj("334445550001"), portfolio=None),                # 5: D empty
        account_row(cnpj("112223330001")),                                # 6: duplicate of row 2
    ]


def test_bad_cells_are_red_with_notes_and_an_errors_column(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    out, result = report(source, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(out)["Accounts"]
    bad = {(f.row, f.column) for f in result.findings if f.severity == "error"}
    assert bad == {(3, "C"), (3, "E"), (5, "D"), (6, "A")}
    for cell in check_bad_cells(ws, result, range(1, 7), bad):
        assert fill_of(cell) != ERROR_FILL, cell.coordinate
    assert ws.cell(1, ERRORS_COL).value == "Errors"
    assert ws.cell(2, ERRORS_COL).value == "OK"
    assert "is not an account type" in ws.cell(3, ERRORS_COL).value
    assert "; " in ws.cell(3, ERRORS_COL).value
    assert ws.cell(4, ERRORS_COL).value is None
    assert ws.cell(5, ERRORS_COL).value == "Portfolio is mandatory"
    assert ws.cell(6, ERRORS_COL).value == "Account 112223330001" + cnpj("112223330001")[-2:] + \
        " already appears in row 2"
    # read back with python-calamine too
    grid = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Accounts").to_python()
    assert [row[ERRORS_COL - 1] for row in grid[:3]] == ["Errors", "OK", ws.cell(3, ERRORS_COL).value]


def test_summary_sheet_counts_and_plan(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    plan = {"accounts_create": 1, "accounts_update": 0, "portfolio_moves": 0}
    out, result = report(source, tmp_path / "out.xlsx", summary=plan)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[-1] == "Summary" or "Summary" in book.sheetnames
    lines = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert lines["Rows"][0] == 4
    assert lines["Template"][0] == "Accounts"
    assert lines["Valid rows"][0] == 1
    assert lines["Rows with errors"][0] == 3
    assert lines["Errors"][0] == 4
    assert lines["Accounts to create"][0] == 1
    assert lines["Portfolio transfers"][0] == 0
    assert lines["duplicate_account"][:2] == ("error", 1)
    assert lines["required"][:2] == ("error", 1)
    assert any(str(k).startswith("Warning: 4 errors in 3 rows") for k in lines)


def test_portuguese_report(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows(), lang="pt-BR")
    out, _ = report(source, tmp_path / "out.xlsx", lang="pt-BR")
    book = openpyxl.load_workbook(out)
    ws = book["Contas"]
    assert ws.cell(1, ERRORS_COL).value == "Erros"
    assert ws.cell(5, ERRORS_COL).value == "Carteira: preenchimento obrigatório"
    assert "Resumo" in book.sheetnames
    lines = {row[0]: row[1:] for row in book["Resumo"].iter_rows(values_only=True) if row[0]}
    assert lines["Modelo"][0] == "Contas"


def test_correct_file_says_so(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", [account_row(cnpj("112223330001"))])
    out, result = report(source, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(out)
    assert book["Summary"]["A2"].value == "The data is correct."
    assert book["Accounts"].cell(2, ERRORS_COL).value == "OK"


def test_earlier_marks_are_cleared_and_the_users_own_kept(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    first, _ = report(source, tmp_path / "first.xlsx")
    book = openpyxl.load_workbook(first)
    ws = book["Accounts"]
    ws["C3"] = "COMPANY"  # the user fixes two cells...
    ws["E3"] = "SP"
    ws["B2"].fill = PatternFill(fill_type="solid", fgColor="FF00B050")  # ...and marks others of his own
    ws["B2"].comment = Comment("check the name with Ana", "Maria")
    ws["J5"].comment = Comment("my note", "Maria")
    book.save(first)
    second, result = report(first, tmp_path / "second.xlsx")
    book = openpyxl.load_workbook(second)
    ws = book["Accounts"]
    assert fill_of(ws["C3"]) is None and ws["C3"].comment is None
    assert fill_of(ws["E3"]) is None and ws["E3"].comment is None
    assert ws.cell(3, ERRORS_COL).value == "OK"
    assert fill_of(ws["D5"]) == ERROR_FILL  # still wrong: still marked
    assert fill_of(ws["B2"]) == "FF00B050" and ws["B2"].comment.text == "check the name with Ana"
    assert ws["J5"].comment.author == "Maria"
    assert [c.value for c in ws[1]].count("Errors") == 1
    assert book.sheetnames.count("Summary") == 1
    assert {(f.row, f.column) for f in result.errors} == {(5, "D"), (6, "A")}


def test_users_own_summary_sheet_is_not_replaced(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows(), extra_sheets={"Summary": [["my own summary"]]})
    out, _ = report(source, tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(out)
    assert book["Summary"]["A1"].value == "my own summary"
    assert book["Summary (2)"]["A1"].value.startswith("crmxl")


def workbook_with_everything(path):
    write_xlsx(path, sample_rows(), extra_sheets={"Lists": [["agent.sp1"], ["agent.sp2"]],
                                                  "Notes": [["keep", 1, 2.5]]})
    book = openpyxl.load_workbook(path)
    ws = book["Accounts"]
    ws.column_dimensions["A"].width = 31
    ws.column_dimensions["B"].width = 44
    ws.freeze_panes = "A2"
    ws["A1"].fill = PatternFill(fill_type="solid", fgColor="FFC00000")  # the template's red header
    dv = DataValidation(type="list", formula1="Lists!$A$1:$A$2", allow_blank=True)
    dv.add("D2:D1000")
    ws.add_data_validation(dv)
    book["Lists"].sheet_state = "hidden"
    book.save(path)
    return path


def snapshot(path):
    book = openpyxl.load_workbook(path)
    sheets = {}
    for ws in book.worksheets:
        sheets[ws.title] = {
            "state": ws.sheet_state,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()},
            "validations": sorted((str(d.sqref), d.formula1, d.type) for d in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "values": [[c.value for c in row[:14]] for row in ws.iter_rows()],
            "header_fill": fill_of(ws["A1"]),
        }
    return book.sheetnames, sheets


def test_everything_else_survives(tmp_path):
    source = workbook_with_everything(tmp_path / "in.xlsx")
    before_names, before = snapshot(source)
    out, _ = report(source, tmp_path / "out.xlsx")
    after_names, after = snapshot(out)
    assert after_names == before_names + ["Summary"]
    for name in before_names:
        if name != "Accounts":
            assert after[name] == before[name], name
    acc_before, acc_after = before["Accounts"], after["Accounts"]
    assert acc_after["values"] == acc_before["values"]
    assert acc_after["validations"] == acc_before["validations"]
    assert acc_after["freeze"] == acc_before["freeze"] == "A2"
    assert acc_after["header_fill"] == "FFC00000"
    for letter, width in acc_before["widths"].items():
        assert acc_after["widths"][letter] == width
    assert after[STAMP_SHEET]["state"] == "veryHidden"
    assert after[STAMP_SHEET]["values"] == [["template", "accounts"], ["version", ACCOUNTS.version], ["lang", "en"]]
    # and it still reads as the same template
    assert read_table(out, ACCOUNTS).template_version == ACCOUNTS.version


def test_input_is_untouched_and_write_is_atomic(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    (tmp_path / "out.xlsx").write_bytes(b"old report")
    report(source, tmp_path / "out.xlsx")
    assert hashlib.sha256(source.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "out.xlsx"]
    assert openpyxl.load_workbook(tmp_path / "out.xlsx")["Accounts"].cell(2, ERRORS_COL).value == "OK"


def test_report_over_the_input_when_named(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    report(source, source)
    assert fill_of(openpyxl.load_workbook(source)["Accounts"]["C3"]) == ERROR_FILL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


@pytest.mark.parametrize("sep,encoding", [(";", "latin-1"), (",", "utf-8")])
def test_csv_input_gives_a_new_workbook(tmp_path, sep, encoding):
    source = write_csv(tmp_path / "in.csv", sample_rows(), sep=sep, encoding=encoding)
    before = source.read_bytes()
    out, result = report(source, tmp_path / "out.xlsx")
    assert source.read_bytes() == before
    ws = openpyxl.load_workbook(out)["Accounts"]
    assert ws["B2"].value == "Clínica Boa Saúde"
    assert fill_of(ws["C3"]) == ERROR_FILL and ws["C3"].comment.author == AUTHOR
    assert ws.cell(2, ERRORS_COL).value == "OK"
    assert ws.cell(1, ERRORS_COL).value == "Errors"


def test_warnings_are_marked_apart(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", [account_row(cnpj("112223330001")) + ["x"]],
                        header=[*[ACCOUNTS.column(f).header() for f in ACCOUNTS.fields], "Comment"])
    out, result = report(source, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(out)["Accounts"]
    assert fill_of(ws["O1"]) == WARNING_FILL  # the unknown column's header
    assert "not a column" in ws["O1"].comment.text
    assert ws["P1"].value == "Errors"


def test_report_of_a_copy_in_another_folder(tmp_path):
    source = write_xlsx(tmp_path / "in.xlsx", sample_rows())
    (tmp_path / "sub").mkdir()
    copy = shutil.copy(source, tmp_path / "sub" / "copy.xlsx")
    out, _ = report(copy, tmp_path / "reports" / "r.xlsx")
    assert out.exists()


def test_macro_enabled_workbook_keeps_its_vba(tmp_path):
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
    source = write_xlsm(tmp_path / "in.xlsm", sample_rows(), vba)
    out, _ = report(source, tmp_path / "out.xlsm")
    with zipfile.ZipFile(out) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
    assert fill_of(openpyxl.load_workbook(out)["Accounts"]["C3"]) == ERROR_FILL
    plain, _ = report(source, tmp_path / "out.xlsx")
    with zipfile.ZipFile(plain) as archive:
        assert "xl/vbaProject.bin" not in archive.namelist()
        assert b"macroEnabled" not in archive.read("[Content_Types].xml")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])  # the package patch, and openpyxl for a CSV
def test_the_errors_column_goes_right_of_the_users_own_cells(tmp_path, suffix):
    """Notes in a column without a header, right after the template's: the report's Errors column goes
    right of them (it replaced them)."""
    rows = [row + [note] for row, note in zip(sample_rows(), ["call back", "ask for CNPJ", None, None, "dup?"],
                                              strict=True)]
    write = write_xlsx if suffix == ".xlsx" else write_csv
    source = write(tmp_path / f"in{suffix}", rows)
    out, _ = report(source, tmp_path / "out.xlsx")
    ws = openpyxl.load_workbook(out)["Accounts"]
    assert [ws.cell(r, ERRORS_COL).value for r in (2, 3, 6)] == ["call back", "ask for CNPJ", "dup?"]
    assert ws.cell(1, ERRORS_COL + 1).value == "Errors" and ws.cell(2, ERRORS_COL + 1).value == "OK"
    assert "already appears in row 2" in ws.cell(6, ERRORS_COL + 1).value
