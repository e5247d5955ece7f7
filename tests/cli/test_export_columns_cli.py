"""A custom export profile's file has the model workbook's column order and an Instructions sheet about its columns."""

from __future__ import annotations

import openpyxl

from crmxl.schema import ACCOUNTS, INSTRUCTIONS_SHEET
from crmxl.workbook.reader import read_table


def exported(cli, db_url, tmp_path, name, columns, *options):
    db = ("--db", db_url)
    assert cli("profiles", "add", name, "--entity", "accounts", "--columns", columns, *db).exit_code == 0
    out = tmp_path / f"{len(columns)}.xlsx"
    result = cli("export", "accounts", "--portfolio", "agent.sp1", "--profile", name, "-o", out, *options, *db)
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    header = [c.value for c in book[ACCOUNTS.sheet()][1] if c.value and not c.value.startswith("crmxl:")]
    instructions = "\n".join(str(r[0]) for r in book[INSTRUCTIONS_SHEET["en"]].iter_rows(values_only=True) if r[0])
    return out, header, instructions


def test_a_profile_without_contact_columns(cli, sqlite_demo_db, tmp_path):
    out, header, text = exported(cli, sqlite_demo_db.url, tmp_path, "Só médicos", "account_number,name,city")
    assert header == ["Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*", "City"]
    assert "Contact" not in text and "F to I" not in text
    assert "Columns of this file" in text and "D Portfolio*" in text and "F City" in text
    table = read_table(out, ACCOUNTS)  # and it imports back
    assert table.rows


def test_profile_columns_in_any_order_come_in_the_templates_order(cli, sqlite_demo_db, tmp_path):
    _out, header, text = exported(cli, sqlite_demo_db.url, tmp_path, "Mixed", "city,contact_email,name,account_number")
    assert header == ["Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*", "Contact Name",
                      "Contact Type", "Contact Email", "City"]
    assert "Contacts from columns F to H" in text
    assert "Contact Name (F)" in text and "Contact Type (G)" in text


def test_the_full_template_keeps_its_instructions(cli, sqlite_demo_db, tmp_path):
    out = tmp_path / "all.xlsx"
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out, "--db", sqlite_demo_db.url).exit_code == 0
    rows = openpyxl.load_workbook(out)[INSTRUCTIONS_SHEET["en"]].iter_rows(values_only=True)
    text = "\n".join(str(r[0]) for r in rows if r[0])
    assert "Contacts from columns F to I" in text and "Columns of this file" not in text
