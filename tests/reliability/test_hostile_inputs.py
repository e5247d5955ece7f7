"""Hostile and broken input: exit 2 or findings, a message naming the problem, no traceback, nothing written."""

from __future__ import annotations

import json
import resource
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from crmxl.schema import ACCOUNTS
from crmxl.workbook.reader import read_table
from tests.conftest import table_dump
from tests.reliability.conftest import crmxl_command, crmxl_env
from tests.reliability.hostile import make_all


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    return make_all(tmp_path_factory.mktemp("hostile"))


# case -> (exit status of a dry run, what the message or the findings must say)
EXPECTED = {
    "zip bomb": (2, "zip bomb"),
    "billion laughs": (2, "damaged"),
    "huge dimension": (1, "cnpj_checksum"),
    "not a zip": (2, "not a spreadsheet"),
    "truncated zip": (2, "damaged"),
    "zip of a newer version": (2, "damaged"),
    "encrypted": (2, "password"),
    "old .xls": (2, "97-2003"),
    ".ods": (2, "OpenDocument"),
    "wrong template": (2, "contacts template"),
    "formulas in data cells": (0, "formula_cached_value"),
    "error values": (1, "cell_error_value"),
    "error values, prefixed XML": (1, "cell_error_value"),
    "merged cells across data": (0, "merged_cells"),
    "hidden rows and sheets": (0, "hidden_row"),
    "10,000 columns": (0, "unknown_column"),
    "very long strings": (1, "too_long"),
    "CSV in an unknown encoding": (2, "not a spreadsheet"),
    "CSV saved as Unicode text (UTF-16)": (0, None),
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_every_hostile_file_gets_a_clear_answer_and_writes_nothing(case, hostile, cli, sqlite_demo_db, tmp_path):
    code, says = EXPECTED[case]
    before = table_dump(sqlite_demo_db.url)
    result = cli("import", "accounts", hostile[case], "--json", "--db", sqlite_demo_db.url,
                 "--report", tmp_path / "report.xlsx")
    assert "Traceback" not in result.stdout + result.stderr and "Unexpected error" not in result.stderr
    assert result.exit_code == code, (case, result)
    if code == 2:
        assert hostile[case].name in result.stderr and says in result.stderr, result.stderr
        assert not (tmp_path / "report.xlsx").exists()
    else:
        data = json.loads(result.stdout)
        assert data["committed"] is False and data["rows"] >= 1
        assert says is None or says in {f["code"] for f in data["findings"]}, data["findings"][:5]
        assert (tmp_path / "report.xlsx").stat().st_size > 0
    assert table_dump(sqlite_demo_db.url) == before


@pytest.mark.parametrize("case", [c for c, (code, _) in EXPECTED.items() if code == 1])
def test_a_commit_of_a_file_with_errors_writes_nothing(case, hostile, cli, sqlite_demo_db):
    before = table_dump(sqlite_demo_db.url)
    result = cli("import", "accounts", hostile[case], "--commit", "--db", sqlite_demo_db.url)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert table_dump(sqlite_demo_db.url) == before


@pytest.mark.parametrize(("case", "code", "cells"), [
    ("formulas in data cells", "formula_cached_value", {(2, "B"), (3, "J")}),
    ("error values", "cell_error_value", {(2, "B"), (3, "M")}),
    ("error values, prefixed XML", "cell_error_value", {(2, "B"), (3, "M")}),
    ("merged cells across data", "merged_cells", {(2, "B")}),
    ("hidden rows and sheets", "hidden_row", {(3, None)}),
    ("hidden rows and sheets", "hidden_column", {(1, "F")}),
])
def test_the_reader_sees_what_the_bulk_read_hides(case, code, cells, hostile):
    """Formulas (their cached value is read), error values (read as empty by calamine), merged and hidden cells."""
    table = read_table(hostile[case], ACCOUNTS)
    found = {(f.row, f.column) for f in table.findings if f.code == code}
    assert found == cells
    if code == "formula_cached_value":
        assert dict(table.rows)[2][1] == "Dr. House"


def test_a_cell_holding_an_error_value_is_an_error_of_its_own_row(hostile, cli, sqlite_demo_db, tmp_path):
    """calamine reads #N/A and #REF! as empty cells: the import says which cells hold them, does not take
    them for empty (B2 is not "mandatory", M3 is not an account without CEP), and marks them in the report."""
    report = tmp_path / "report.xlsx"
    result = cli("import", "accounts", hostile["error values"], "--json", "--db", sqlite_demo_db.url,
                 "--report", report)
    data = json.loads(result.stdout)
    bad = [(f["row"], f["column"], f["code"]) for f in data["findings"] if f["severity"] == "error"]
    assert bad == [(2, "B", "cell_error_value"), (3, "M", "cell_error_value")]
    assert "#N/A" in data["findings"][1]["message"] and (data["rows"], data["valid_rows"]) == (4, 2)
    sheet = openpyxl.load_workbook(report)["Accounts"]
    assert "#N/A" in sheet["B2"].comment.text and "#REF!" in sheet["M3"].comment.text


@pytest.mark.parametrize("case", ["zip bomb", "huge dimension", "billion laughs", "10,000 columns"])
def test_memory_stays_bounded(case, hostile, sqlite_demo_db):
    """In a process limited to 1.5 GB of address space, the importer still answers cleanly."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    proc = subprocess.run(crmxl_command("import", "accounts", hostile[case], "--db", sqlite_demo_db.url),
                          capture_output=True, text=True, timeout=120, preexec_fn=limit,
                          env=crmxl_env(hostile[case].parent))
    assert proc.returncode == EXPECTED[case][0], proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr


def test_an_unwritable_report_path_is_a_clear_error_and_the_input_is_untouched(hostile, cli, sqlite_demo_db,
                                                                               tmp_path):
    source = hostile["very long strings"]
    before = source.read_bytes()
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    result = cli("import", "accounts", source, "--report", blocked / "report.xlsx", "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and "The report cannot be written to" in result.stderr, result
    assert "Traceback" not in result.stderr
    assert source.read_bytes() == before


def test_a_full_disk_while_writing_the_report_is_a_clear_error(hostile, sqlite_demo_db, tmp_path):
    """RLIMIT_FSIZE stands in for a full disk: the write fails with EFBIG, like ENOSPC, half-way through."""
    source = hostile["10,000 columns"]
    before = source.read_bytes()
    script = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000)); "
              "from crmxl.cli.main import entry; entry()")
    report = tmp_path / "out" / "report.xlsx"
    proc = subprocess.run([*crmxl_command()[:1], "-c", script, "import", "accounts", str(source), "--report",
                           str(report), "--db", sqlite_demo_db.url], capture_output=True, text=True, timeout=120,
                          env=crmxl_env(tmp_path))
    assert proc.returncode == 2 and "The report cannot be written to" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert source.read_bytes() == before
    assert list(report.parent.iterdir()) == []  # no half-written report, no temporary file left behind


def test_a_formula_saved_without_its_result_is_reported_and_its_row_kept(cli, sqlite_demo_db, tmp_path):
    """A script (openpyxl) writes formulas without computing them: such a cell reads as empty. Its row is
    reported, even when nothing else in it reads, and the valid rows alone are committed."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    sheet.append([c.header("en") for c in ACCOUNTS.columns])
    sheet.append(["111/SP", "Clínica A", "MEDICAL", "agent.sp1", "SP", *[None] * 7, '="(11) 91234-5678"'])
    sheet.append(['="112/SP"', '="Clínica B"', '="MEDICAL"', '="agent.sp1"', '="SP"'])
    sheet.append(["113/SP", "Clínica C", "MEDICAL", "agent.sp1", "SP"])
    book.save(path := tmp_path / "uncomputed.xlsx")
    result = cli("import", "accounts", path, "--json", "--commit", "--skip-invalid", "--db", sqlite_demo_db.url)
    data = json.loads(result.stdout)
    bad = {(f["row"], f["column"]) for f in data["findings"] if f["code"] == "formula_without_value"}
    assert bad == {(2, "M"), (3, "A"), (3, "B"), (3, "C"), (3, "D"), (3, "E")}
    assert {f["code"] for f in data["findings"] if f["severity"] == "error"} == {"formula_without_value"}
    assert (data["rows"], data["committed_rows"], data["reported_rows"]) == (3, 1, 2) and result.exit_code == 1


def test_an_empty_text_result_is_a_result():
    """Excel saves a formula whose result is empty text as t="str" with an empty value: not 'without result'."""
    from crmxl.validation.model import CellMarks
    from crmxl.workbook.cell_marks import _collect

    marks = CellMarks()
    _collect(b'<row r="2"><c r="A2" t="str"><f>IF(1,"","")</f><v></v></c><c r="B2"><f>1+2</f><v /></c>'
             b'<c r="C2"><f>1+2</f></c><c r="D2"><f>1+2</f><v>3</v></c></row>', marks)
    assert marks.uncomputed == {(2, 1), (2, 2)} and marks.formulas == {(2, 0), (2, 1), (2, 2), (2, 3)}


def test_error_values_are_found_past_the_cap_on_formula_warnings(tmp_path):
    """A formula filled down every row (a VLOOKUP) makes more formula warnings than are kept: an error value or
    a formula without a result further down is still found."""
    from crmxl.workbook.cell_marks import MAX_MARKS, scan

    rows = 3 * MAX_MARKS  # the marks are collected a megabyte of XML at a time: several chunks past the cap
    path = tmp_path / "many.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Accounts")
    for r in range(1, rows):
        sheet.write_formula(r, 1, f'="Name {r}"', None, f"Name {r}")
    sheet.write_formula(rows, 13, "=NA()", None, "#N/A")
    book.close()
    with zipfile.ZipFile(path) as archive:  # a formula saved without its result, as a script writes it
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet_xml = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet_xml.replace(
        f'<c r="B{rows}" t="str"><f>"Name {rows - 1}"</f><v>Name {rows - 1}</v></c>'.encode(),
        f'<c r="B{rows}"><f>"Name {rows - 1}"</f></c>'.encode())
    assert parts["xl/worksheets/sheet1.xml"] != sheet_xml
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    marks = scan(path, "Accounts")
    assert len(marks.formulas) >= MAX_MARKS and (rows, 1) in marks.uncomputed and (rows + 1, 13) in marks.errors
