"""A large sheet parsed in parts on several cores gives exactly the grid of the sheet parsed whole."""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from crmxl.schema import ACCOUNTS
from crmxl.workbook import reader, sheet_parts
from crmxl.workbook.sheet_parts import read_in_parts
from tests.validation.builders import account_row, write_xlsx


def whole(path, sheet):
    found = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
    return found.to_python(skip_empty_area=False), list(found.merged_cell_ranges or ())


def random_book(path, seed, writer):
    """Sparse rows: gaps, rows starting past column A, numbers, dates, booleans, merged cells."""
    rng = random.Random(seed)
    rows = {}
    row = 0
    for _ in range(rng.randrange(30, 120)):
        row += rng.choice((1, 1, 1, 2, 7))
        cells = {}
        for col in rng.sample(range(9), rng.randrange(1, 6)):
            cells[col] = rng.choice((f"text {row}-{col}", rng.randrange(-50, 10**6), rng.random() * 100,
                                     dt.datetime(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000)), True,
                                     "Ação, São Paulo"))
        rows[row] = cells
    if writer == "openpyxl":  # shared strings, numbered rows and cells
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Data"
        for r, cells in rows.items():
            for c, value in cells.items():
                sheet.cell(r + 1, c + 1, value).number_format = "yyyy-mm-dd" if isinstance(value, dt.datetime) else "General"
        sheet.merge_cells("K2:L3")
        book.save(path)
    else:  # inline strings (constant memory)
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("Data")
        dates = book.add_format({"num_format": "yyyy-mm-dd"})
        for r, cells in sorted(rows.items()):
            for c, value in sorted(cells.items()):
                sheet.write(r, c, value, dates if isinstance(value, dt.datetime) else None)
        book.close()
    return path


@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("parts", [2, 3, 5])
def test_parts_join_to_the_whole_grid(tmp_path, writer, seed, parts):
    path = random_book(tmp_path / "b.xlsx", seed, writer)
    got = read_in_parts(path, "Data", parts)
    assert got is not None
    assert got == whole(path, "Data")


def rewrite_sheet(path, change):
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    part = next(name for name in members if name.startswith("xl/worksheets/sheet"))
    members[part] = change(members[part])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_rows_out_of_order_are_left_to_the_whole_parse(tmp_path):
    path = random_book(tmp_path / "b.xlsx", 1, "openpyxl")

    def last_row_first(xml):
        rows = re.findall(rb"<row\b.*?</row>", xml, flags=re.S)
        return xml.replace(rows[-1], b"").replace(rows[0], rows[-1] + rows[0], 1)

    rewrite_sheet(path, last_row_first)
    assert read_in_parts(path, "Data", 3) is None


def test_rows_without_numbers_at_the_cuts_are_left_to_the_whole_parse(tmp_path):
    path = random_book(tmp_path / "b.xlsx", 2, "openpyxl")
    rewrite_sheet(path, lambda xml: re.sub(rb'(<row\b[^>]*?)\sr="[0-9]+"', rb"\1", xml))
    assert read_in_parts(path, "Data", 3) is None


def test_a_prefixed_sheet_is_left_to_the_whole_parse(tmp_path):
    path = random_book(tmp_path / "b.xlsx", 3, "openpyxl")
    rewrite_sheet(path, lambda xml: xml.replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>",
                                                                                        b"</x:sheetData>"))
    assert read_in_parts(path, "Data", 2) is None


def test_a_small_sheet_is_parsed_whole(tmp_path):
    path = random_book(tmp_path / "b.xlsx", 4, "openpyxl")
    assert sheet_parts.parts_for(100_000) == 1
    assert read_in_parts(path, "Data") is None


def test_the_reader_reads_a_large_sheet_in_parts_exactly_as_whole(tmp_path, monkeypatch):
    rows = [account_row(), None, account_row("123456/SP", "Dr. Ana", "MEDICAL")] * 40
    path = write_xlsx(tmp_path / "a.xlsx", [r if r else [None] * len(ACCOUNTS.fields) for r in rows])
    expected = reader.read_table(path, ACCOUNTS)
    calls = []
    real = sheet_parts.read_in_parts

    def in_three(path, sheet, parts=None, meanwhile=None):
        grid = real(path, sheet, 3, meanwhile)
        calls.append((sheet, grid is not None))
        return grid

    monkeypatch.setattr(reader, "read_in_parts", in_three)
    table = reader.read_table(path, ACCOUNTS)
    assert calls == [("Accounts", True)]
    assert table.rows == expected.rows and len(table.rows) == 80
    assert table.findings == expected.findings and table.header_map == expected.header_map


def test_the_marks_found_from_the_parts_xml_are_the_streamed_scans(tmp_path, monkeypatch):
    """A sheet read in parts has its error values, formulas and hidden rows found on the XML the parts are
    cut from (inflated once): the same marks as the streamed scan of a sheet read whole."""
    from crmxl.workbook.cell_marks import CHUNK, scan

    path = tmp_path / "marks.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, [c.header("en") for c in ACCOUNTS.columns])
    filler = "x" * 200  # the sheet's XML spans several of the scan's chunks
    for r in range(1, 12_000):
        sheet.write_row(r, 0, account_row(name=f"Conta {r} {filler}"))
    sheet.write_formula(5, 2, "=NA()", None, "#N/A")
    sheet.write_formula(11_000, 1, '="x"&"y"', None, "xy")
    sheet.set_row(7_000, None, None, {"hidden": True})
    book.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 2 * CHUNK
    real = sheet_parts.read_in_parts
    given = []

    def in_three(p, s, parts=None, meanwhile=None):
        return real(p, s, 3, meanwhile and (lambda xml: (given.append(len(xml)), meanwhile(xml))))

    monkeypatch.setattr(reader, "read_in_parts", in_three)
    table = reader.read_table(path, ACCOUNTS)
    assert given and given[0] > 2 * CHUNK  # the marks came from the parts' XML
    streamed = scan(path, "Accounts")
    assert (6, 2) in table.marks.errors and 7_001 in table.marks.hidden_rows and (11_001, 1) in table.marks.formulas
    assert (table.marks.errors, table.marks.formulas, table.marks.hidden_rows) == (
        streamed.errors, streamed.formulas, streamed.hidden_rows)
