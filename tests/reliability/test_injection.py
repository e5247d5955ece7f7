"""Spreadsheet formula injection: a user's string is never written as a formula, in exports or reports."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import pytest

from tests.services.import_files import workbook

HOSTILE = {"name": '=HYPERLINK("http://evil.example","click")', "city": "+SUM(1,2)", "address": "-2+3",
           "contact_name": "=1+2", "email": None}
ROWS = [{"account_number": "45.997.418/0001-53", "type": "COMPANY", "portfolio": "agent.sp1", "uf": "SP",
         "contact_type": "OTHERS", **HOSTILE},
        {"account_number": "777777/SP", "type": "MEDICAL", "portfolio": "agent.sp1", "uf": "SP",
         "name": "@SUM(A1)", "phone": "=cmd|' /C calc'!A0"}]  # the bad phone: a finding whose cell is marked


def _formulas(path: Path) -> list[tuple[str, bytes]]:
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                found += [(name, f) for f in re.findall(rb"<f>[^<]*</f>", archive.read(name))]
    return found


@pytest.fixture
def committed(cli, sqlite_demo_db, tmp_path) -> str:
    path = workbook(tmp_path / "hostile.xlsx", ROWS[:1])
    result = cli("import", "accounts", path, "--commit", "--db", sqlite_demo_db.url, "--as", "agent.sp1")
    assert result.exit_code == 0, result
    return sqlite_demo_db.url


def test_exports_write_user_strings_as_text(cli, committed, tmp_path):
    out = tmp_path / "export.xlsx"
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out, "--db", committed).exit_code == 0
    assert [f for f in _formulas(out) if b"HYPERLINK" in f[1] or b"SUM(1" in f[1]] == []
    from python_calamine import CalamineWorkbook

    values = {v for row in CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Accounts").to_python()
              for v in row}
    assert HOSTILE["name"] in values and HOSTILE["city"] in values  # kept, as text
    out_csv = tmp_path / "export.csv"
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out_csv, "--format", "csv",
               "--db", committed).exit_code == 0
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        cells = [c for row in csv.reader(handle, delimiter=";") for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "'" + HOSTILE["name"] in cells
    for exported in (out, out_csv):  # the apostrophe is the CSV's, not the value's: both come back unchanged
        again = cli("import", "accounts", exported, "--json", "--db", committed, "--as", "agent.sp1")
        plan = json.loads(again.stdout)["plan"]
        assert again.exit_code == 0 and plan["accounts_update"] == plan["contacts_create"] == 0, (exported, plan)
        assert plan["accounts_unchanged"] > 0 and plan["contacts_unchanged"] > 0, plan


def test_the_report_marks_cells_without_turning_them_into_formulas(cli, sqlite_demo_db, tmp_path):
    path = workbook(tmp_path / "hostile.xlsx", ROWS[1:])
    report = tmp_path / "report.xlsx"
    result = cli("import", "accounts", path, "--report", report, "--db", sqlite_demo_db.url, "--as", "agent.sp1")
    assert result.exit_code == 1
    assert _formulas(report) == []


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])  # the package patch, and openpyxl for a CSV's report
def test_the_report_summary_writes_user_strings_as_text(cli, sqlite_demo_db, tmp_path, suffix):
    path = workbook(tmp_path / "hostile.xlsx", ROWS[:1])
    if suffix == ".csv":
        from python_calamine import CalamineWorkbook

        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Accounts").to_python()
        path = tmp_path / "hostile.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(grid)
    report = tmp_path / "report.xlsx"
    assert cli("import", "accounts", path, "--report", report, "--db", sqlite_demo_db.url,
               "--as", "agent.sp1").exit_code == 0
    assert _formulas(report) == []
