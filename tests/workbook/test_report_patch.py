"""The report written by patching the package: taken for our workbooks, read back by openpyxl, python-calamine and
LibreOffice, reruns clear our marks and give the formats back, the rest of the package kept byte for byte, and
anything the patch does not understand written by openpyxl instead."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from python_calamine import CalamineWorkbook

from crmxl.benchmark import generate_rows, write_raw
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.validation import validate_cells
from crmxl.workbook import layout, report as report_module
from crmxl.workbook.patch import Unpatchable, writer as patch_writer
from crmxl.workbook.patch.sheet_frame import _with_width
from crmxl.workbook.reader import read_table
from crmxl.workbook.report import AUTHOR, ERROR_FILL, WARNING_FILL, produce_report
from tests.conftest import soffice_binary
from tests.validation.builders import account_row, cnpj, contact_row, headers, write_csv, write_xlsm, write_xlsx
from tests.workbook.marks import ERRORS_COL, check_bad_cells, fill_of


def report(path: Path, out: Path, lang: str = "en", summary: dict | None = None, tpl=ACCOUNTS):
    table = read_table(path, tpl)
    result = validate_cells(table, lang=lang)
    return produce_report(table, result, out, lang=lang, summary=summary), result


def rows():
    return [
        account_row(cnpj("112223330001")),                                   # 2: OK
        account_row(cnpj("223334440001"), type_="COMPANHIA"),                # 3: C bad
        account_row(cnpj("334445550001"), portfolio=None, uf="XX"),          # 4: D empty, E bad
        [None] * 14,                                                          # 5: blank
        account_row(cnpj("112223330001")),                                   # 6: duplicate of row 2
    ]


def template(path: Path, lang: str = "en", data=None) -> Path:
    layout.write_model_workbook(path, ACCOUNTS, lang=lang, rows=rows() if data is None else data)
    return path


def members(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return {i.filename: i for i in archive.infolist()}


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(part)


PATCHED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
           "xl/styles.xml", "docProps/custom.xml", "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml",
           "xl/worksheets/_rels/sheet1.xml.rels", "_rels/.rels", "docProps/app.xml"}


@pytest.mark.parametrize("tpl,lang", [(ACCOUNTS, "en"), (ACCOUNTS, "pt-BR"), (CONTACTS, "en")])
def test_our_templates_are_patched_and_the_other_members_copied_as_they_were(tmp_path, tpl, lang):
    source = tmp_path / "in.xlsx"
    data = rows() if tpl is ACCOUNTS else [contact_row(), contact_row(type_="NURSE")]
    layout.write_model_workbook(source, tpl, lang=lang, rows=data)
    written, _ = report(source, tmp_path / "out.xlsx", lang=lang, tpl=tpl)
    assert (written.writer, written.reason) == ("patch", None)
    before, after = members(source), members(written.path)
    assert set(before) <= set(after)
    copied = [name for name in before if name not in PATCHED]
    assert copied, before
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(written.path) as b:
        assert b.testzip() is None
        for name in copied:
            assert b.read(name) == a.read(name), name
            assert (after[name].CRC, after[name].compress_size, after[name].compress_type) == \
                (before[name].CRC, before[name].compress_size, before[name].compress_type), name


def test_read_back_with_openpyxl_and_calamine(tmp_path):
    source = template(tmp_path / "in.xlsx")
    plan = {"accounts_create": 2, "accounts_update": 0}
    written, result = report(source, tmp_path / "out.xlsx", summary=plan)
    assert written.writer == "patch"
    bad = {(f.row, f.column) for f in result.findings if f.severity == "error"}
    assert bad == {(3, "C"), (4, "D"), (4, "E"), (6, "A")}
    book = openpyxl.load_workbook(written.path)
    ws = book["Accounts"]
    for cell in check_bad_cells(ws, result, range(2, 7), bad):
        assert fill_of(cell) is None, cell.coordinate
    assert ws["A1"].comment.author == "crmxl template"  # the template's own notes on the headers stay
    assert fill_of(ws["A1"]) == "FFC00000"
    assert ws["D4"].number_format == "@"  # an empty marked cell keeps its column's text format
    header = ws.cell(1, ERRORS_COL)
    assert header.value == "Errors" and header.font.b
    assert ws.column_dimensions["O"].width == 60
    errors = [ws.cell(r, ERRORS_COL).value for r in range(2, 7)]
    assert errors[0] == "OK" and errors[3] is None
    assert errors[2] == "Portfolio is mandatory; 'XX' is not a UF (one of the 27 states)"
    assert "already appears in row 2" in errors[4]
    summary = {r[0]: r[1:] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert book.sheetnames[-1] == "Summary"
    assert book["Summary"]["A1"].value.startswith("crmxl") and book["Summary"]["A1"].font.sz == 14
    assert summary["Rows"][0] == 4 and summary["Errors"][0] == 4 and summary["Accounts to create"][0] == 2
    assert book["Summary"].column_dimensions["D"].width == 90
    calamine = CalamineWorkbook.from_path(str(written.path))
    grid = calamine.get_sheet_by_name("Accounts").to_python()
    assert [r[ERRORS_COL - 1] for r in grid[:5]] == ["Errors", *(e or "" for e in errors[:4])]
    lines = {r[0]: r[1] for r in calamine.get_sheet_by_name("Summary").to_python() if r[0]}
    assert lines["Rows with errors"] == 3
    assert read_table(written.path, ACCOUNTS).template_version == ACCOUNTS.version


def _edit_cell(path: Path, ref: str, value: str) -> None:
    """Change one inline-string cell's text in place (as a spreadsheet program that keeps the formats would)."""
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        items = [(i, archive.read(i)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            if info.filename == part:
                data, n = re.subn(rb'(<c r="' + ref.encode() + rb'"[^>]*><is><t>)[^<]*', lambda m: m.group(1)
                                  + value.encode(), data)
                assert n == 1
            archive.writestr(info, data)


def test_a_second_run_clears_our_marks_and_gives_the_formats_back(tmp_path):
    source = tmp_path / "in.xlsx"
    write_xlsx(source, rows())
    book = openpyxl.load_workbook(source)
    book["Accounts"]["C3"].font = Font(italic=True, color="FF0000FF")
    book["Accounts"]["C3"].alignment = Alignment(horizontal="center")
    book.save(source)
    original_style = re.search(rb'<c r="C3"[^>]*?\ss="([0-9]+)"', sheet_xml(source)).group(1)
    first, _ = report(source, tmp_path / "first.xlsx")
    assert first.writer == "patch"
    marked = openpyxl.load_workbook(first.path)["Accounts"]["C3"]
    assert fill_of(marked) == ERROR_FILL and marked.font.i and marked.alignment.horizontal == "center"
    # a report of the report, untouched: the same marks, nothing piles up
    again, _ = report(first.path, tmp_path / "again.xlsx")
    for part in ("xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/comments/comment1.xml", "docProps/custom.xml"):
        with zipfile.ZipFile(first.path) as a, zipfile.ZipFile(again.path) as b:
            names = set(a.namelist())
            part = part if part in names else next(n for n in names if "comment" in n and n.endswith(".xml"))
            assert a.read(part) == b.read(part), part
    assert openpyxl.load_workbook(again.path).sheetnames.count("Summary") == 1
    # the user fixes C3 (keeping the formats): the cell gets its own format back, no note, OK
    fixed = tmp_path / "fixed.xlsx"
    shutil.copy(first.path, fixed)
    _edit_cell(fixed, "C3", "COMPANY")
    second, result = report(fixed, tmp_path / "second.xlsx")
    assert second.writer == "patch"
    assert re.search(rb'<c r="C3"[^>]*?\ss="([0-9]+)"', sheet_xml(second.path)).group(1) == original_style
    ws = openpyxl.load_workbook(second.path)["Accounts"]
    assert fill_of(ws["C3"]) is None and ws["C3"].comment is None and ws["C3"].font.i
    assert ws.cell(3, ERRORS_COL).value == "OK"
    assert fill_of(ws["D4"]) == ERROR_FILL and ws["D4"].comment.author == AUTHOR
    assert [c.value for c in ws[1]].count("Errors") == 1
    assert {(f.row, f.column) for f in result.errors} == {(4, "D"), (4, "E"), (6, "A")}


def test_users_comments_are_kept(tmp_path):
    source = template(tmp_path / "in.xlsx")
    book = openpyxl.load_workbook(source)
    ws = book["Accounts"]
    ws["B2"].comment = Comment("check the name with Ana", "Maria")
    ws["C3"].comment = Comment("ask the client", "Maria")  # a bad cell with the user's note: the note wins
    book.save(source)
    first, _ = report(source, tmp_path / "first.xlsx")
    second, _ = report(first.path, tmp_path / "second.xlsx")
    for written in (first, second):
        assert written.writer == "patch"
        ws = openpyxl.load_workbook(written.path)["Accounts"]
        assert (ws["B2"].comment.author, ws["B2"].comment.text) == ("Maria", "check the name with Ana")
        assert (ws["C3"].comment.author, ws["C3"].comment.text) == ("Maria", "ask the client")
        assert fill_of(ws["C3"]) == ERROR_FILL and "is not an account type" in ws.cell(3, ERRORS_COL).value
        assert ws["E4"].comment.author == AUTHOR
        notes = [c for row in ws.iter_rows() for c in row if c.comment is not None]
        assert sorted(c.coordinate for c in notes if c.comment.author == AUTHOR) == ["A6", "D4", "E4"]
    with zipfile.ZipFile(second.path) as archive:
        vml = next(archive.read(n) for n in archive.namelist() if n.endswith(".vml"))
    assert vml.count(b'ObjectType="Note"') == len(notes)  # one shape per note: Excel shows them all


def test_macro_workbook_keeps_its_vba_project_byte_for_byte(tmp_path):
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 40
    source = write_xlsm(tmp_path / "in.xlsm", rows(), vba)
    written, _ = report(source, tmp_path / "out.xlsm")
    assert written.writer == "patch"
    before, after = members(source), members(written.path)
    with zipfile.ZipFile(written.path) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in archive.read("[Content_Types].xml")
    assert after["xl/vbaProject.bin"].compress_size == before["xl/vbaProject.bin"].compress_size
    assert fill_of(openpyxl.load_workbook(written.path)["Accounts"]["C3"]) == ERROR_FILL


def _rewrite_sheet(path: Path, change) -> Path:
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        items = [(i, archive.read(i)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            archive.writestr(info, change(data) if info.filename == part else data)
    return path


def _prefixed(data: bytes) -> bytes:
    data = data.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    return re.sub(rb"<(/?)(?=[A-Za-z])(?!x:)([A-Za-z]+)", rb"<\1x:\2", data)


def _cells_without_r(data: bytes) -> bytes:
    return re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", data)


@pytest.mark.parametrize("change", [_prefixed, _cells_without_r], ids=["prefixed namespace", "cells without r"])
def test_what_the_patch_does_not_understand_is_written_by_openpyxl(tmp_path, change):
    source = _rewrite_sheet(write_xlsx(tmp_path / "in.xlsx", rows()), change)
    written, result = report(source, tmp_path / "out.xlsx")
    assert written.writer == "openpyxl" and written.reason
    ws = openpyxl.load_workbook(written.path)["Accounts"]
    assert fill_of(ws["C3"]) == ERROR_FILL and ws["C3"].comment.author == AUTHOR
    assert ws.cell(1, ERRORS_COL).value == "Errors" and ws.cell(2, ERRORS_COL).value == "OK"
    assert "Summary" in openpyxl.load_workbook(written.path).sheetnames
    assert not list(tmp_path.glob(".out-*"))  # the patch's temporary file is gone


def test_csv_is_written_by_openpyxl(tmp_path):
    source = write_csv(tmp_path / "in.csv", rows())
    written, _ = report(source, tmp_path / "out.xlsx")
    assert (written.writer, written.reason) == ("openpyxl", "CSV input")


def test_cells_after_the_errors_column_stay_in_column_order(tmp_path):
    """An earlier run's Errors column in O, the user's notes in P since: the new Errors cells go in O,
    before P in each row."""
    data = [row + [None, "note in P"] for row in rows()]
    source = write_xlsx(tmp_path / "in.xlsx", data, header=[*headers(ACCOUNTS, "en"), "Errors", "My notes"])
    written, _ = report(source, tmp_path / "out.xlsx")
    assert written.writer == "patch"
    xml = sheet_xml(written.path)
    row3 = re.search(rb'<row r="3".*?</row>', xml, re.S).group()
    refs = re.findall(rb'<c r="([A-Z]+)3"', row3)
    assert refs == sorted(refs, key=lambda r: (len(r), r)) and b"O" in refs and b"P" in refs
    assert re.search(rb'<dimension ref="A1:P6"\s*/>', xml)
    grid = CalamineWorkbook.from_path(str(written.path)).get_sheet_by_name("Accounts").to_python()
    assert grid[2][14].startswith("'COMPANHIA'") and grid[2][15] == "note in P"


def test_the_errors_column_width_splits_a_column_range():
    head = b'<worksheet><cols><col min="1" max="2" width="9"/><col min="10" max="20" width="12" style="3"/></cols><sheetData>'
    cols = re.findall(rb"<col [^>]*/>", _with_width(head, 14))
    assert cols == [b'<col min="1" max="2" width="9"/>', b'<col min="10" max="14" width="12" style="3"/>',
                    b'<col min="15" max="15" width="60" style="3" customWidth="1"/>',
                    b'<col min="16" max="20" width="12" style="3"/>']
    assert b'<cols><col min="15" max="15" width="60" customWidth="1"/></cols><sheetData>' in \
        _with_width(b"<worksheet><sheetData>", 14)


def test_a_big_sheet_through_the_streaming_pipeline_gives_what_openpyxl_gives(tmp_path, monkeypatch):
    data, bad = generate_rows(3000, [], seed=3)
    source = tmp_path / "big.xlsx"
    write_raw(source, data)
    monkeypatch.setattr(patch_writer, "BIG_PART", 100_000)  # threads and fast compression
    monkeypatch.setattr(patch_writer, "CHUNK", 50_000)  # many chunks: rows cut at every boundary
    patched, result = report(source, tmp_path / "patched.xlsx")
    assert patched.writer == "patch" and bad > 10

    def refuse(*_args, **_kwargs):
        raise Unpatchable("for the comparison")

    monkeypatch.setattr(report_module, "patch_workbook", refuse)
    plain, _ = report(source, tmp_path / "plain.xlsx")
    assert plain.writer == "openpyxl"
    a, b = openpyxl.load_workbook(patched.path), openpyxl.load_workbook(plain.path)
    for x, y in zip(a["Accounts"].iter_rows(), b["Accounts"].iter_rows(), strict=True):
        assert [c.value for c in x] == [c.value for c in y]
        assert [fill_of(c) for c in x] == [fill_of(c) for c in y]
        assert [c.comment.text if c.comment else None for c in x] == [c.comment.text if c.comment else None for c in y]
    assert [list(r) for r in a["Summary"].iter_rows(values_only=True)] == \
        [list(r) for r in b["Summary"].iter_rows(values_only=True)]
    assert {f.severity for f in result.findings} <= {"error", "warning", "notice"}
    assert WARNING_FILL != ERROR_FILL


def test_libreoffice_opens_the_report(tmp_path):
    soffice = soffice_binary()
    source = template(tmp_path / "in.xlsx")
    first, _ = report(source, tmp_path / "first.xlsx")
    second, _ = report(first.path, tmp_path / "second.xlsx")
    assert first.writer == second.writer == "patch"
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation={profile.as_uri()}", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "csv"),
                           str(first.path), str(second.path)], capture_output=True, text=True, timeout=180)
    for name in ("first", "second"):
        path = tmp_path / "csv" / f"{name}.csv"
        assert path.exists(), done.stdout + done.stderr
        lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert lines[0][ERRORS_COL - 1] == "Errors" and lines[1][ERRORS_COL - 1] == "OK"
        assert "is not an account type" in lines[2][ERRORS_COL - 1]


def test_formats_that_differ_only_by_fill_each_get_their_own_back(tmp_path):
    from openpyxl.styles import PatternFill

    source = write_xlsx(tmp_path / "in.xlsx", rows())
    book = openpyxl.load_workbook(source)
    book["Accounts"]["C3"].fill = PatternFill(fill_type="solid", fgColor="FF00B050")  # the user's green
    book.save(source)
    first, _ = report(source, tmp_path / "first.xlsx")
    ws = openpyxl.load_workbook(first.path)["Accounts"]
    assert fill_of(ws["C3"]) == fill_of(ws["E4"]) == ERROR_FILL
    fixed = tmp_path / "fixed.xlsx"
    shutil.copy(first.path, fixed)
    _edit_cell(fixed, "C3", "COMPANY")
    _edit_cell(fixed, "E4", "SP")
    second, _ = report(fixed, tmp_path / "second.xlsx")
    ws = openpyxl.load_workbook(second.path)["Accounts"]
    assert fill_of(ws["C3"]) == "FF00B050" and fill_of(ws["E4"]) is None
    assert fill_of(ws["D4"]) == ERROR_FILL


def test_an_errors_column_in_shared_strings_is_found_and_reused(tmp_path):
    import xlsxwriter

    source = tmp_path / "in.xlsx"
    book = xlsxwriter.Workbook(str(source))  # shared strings, as Excel writes them
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, [ACCOUNTS.column(f).header() for f in ACCOUNTS.fields] + ["Errors"])
    for r, row in enumerate(rows(), 1):
        sheet.write_row(r, 0, [v if v is not None else "" for v in row] + ["stale text from before"])
    summary = book.add_worksheet("Summary")
    summary.write_string(0, 0, "crmxl - import summary")  # an earlier run's Summary: replaced
    book.close()
    assert b"<sst" in zipfile.ZipFile(source).read("xl/sharedStrings.xml")
    written, _ = report(source, tmp_path / "out.xlsx")
    assert written.writer == "patch"
    book = openpyxl.load_workbook(written.path)
    ws = book["Accounts"]
    assert [c.value for c in ws[1]].count("Errors") == 1 and ws.max_column == ERRORS_COL
    assert [ws.cell(r, ERRORS_COL).value for r in (2, 5)] == ["OK", None]
    assert book.sheetnames == ["Accounts", "Summary"] and book["Summary"]["A2"].value.startswith("Warning")
