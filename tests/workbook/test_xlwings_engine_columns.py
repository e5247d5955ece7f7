"""The openpyxl engine's whole columns and data validation, through xlwings' public API, read back by
openpyxl and calamine."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from crmxl.workbook.xlwings_engine import open_book


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    path = tmp_path / "cols.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.active.append(["Number", "CEP", "Name", "Born"])
    wb.create_sheet("Lists").append(["MEDICAL"])
    wb.save(path)
    return path


def test_a_whole_columns_format_and_width_hold_for_the_rows_to_come(book_path: Path) -> None:
    book = open_book(book_path)
    sheet = book.sheets["Data"]
    cells = len(sheet.impl.ws._cells)
    sheet.range("A:B").number_format = "@"
    sheet.range("D:D").number_format = "dd/mm/yyyy"
    assert len(sheet.impl.ws._cells) == cells  # no cell per row
    assert sheet.range("B7").number_format == "@"  # a cell not made yet: its column's format, as in Excel
    assert sheet.range("C7").number_format == "General"
    sheet.range("A:B").column_width = 22
    sheet.range("C:C").column_width = 32
    assert sheet.range("A1:B1").column_width == 22
    assert sheet.range("B1:C1").column_width is None  # mixed
    assert sheet.range("E1").column_width == pytest.approx(8.43)
    sheet.range("A2").value = [["0123", "01310100", "=1+1", 45000]]
    sheet.range("A3").value = "'0042"  # in a Text cell a prefix is part of the text, as in Excel
    book.save()

    ws = openpyxl.load_workbook(book_path)["Data"]
    dims = {letter: (d.number_format, d.width) for letter, d in ws.column_dimensions.items()}
    assert dims["A"] == ("@", 22) and dims["B"] == ("@", 22) and dims["C"] == ("General", 32)
    assert dims["D"][0] == "dd/mm/yyyy"
    cols = zipfile.ZipFile(book_path).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<col style="\d+" min="4" max="4" />', cols), cols  # no width of its own: Excel's standard
    assert ws["A1"].number_format == "@"  # the cells the columns had take the format too
    assert [ws[a].number_format for a in ("A2", "B2", "C2", "D2")] == ["@", "@", "General", "dd/mm/yyyy"]
    assert (ws["A2"].value, ws["A2"].data_type, ws["A3"].value) == ("0123", "s", "'0042")
    assert ws["C2"].value == "=1+1"  # a General cell: a formula
    grid = CalamineWorkbook.from_path(str(book_path)).get_sheet_by_name("Data").to_python()
    assert grid[1][:2] == ["0123", "01310100"]


def test_list_and_rule_validations(book_path: Path) -> None:
    book = open_book(book_path)
    sheet = book.sheets["Data"]
    column = sheet.range("C2:C1048576")
    assert column.data_validation.type == "none"
    column.data_validation.set_list(["MEDICAL", "COMPANY"])
    dv = column.data_validation
    assert (dv.type, dv.source, dv.in_cell_dropdown, dv.alert_style, dv.show_error) == (
        "list", "MEDICAL,COMPANY", True, "stop", True)
    assert sheet.range("C5").data_validation.type == "list"
    assert sheet.range("C1:C5").data_validation.type == "mixed_criteria"
    sheet.range("C10:C20").data_validation.delete()
    assert sheet.range("C10").data_validation.type == "none"
    assert sheet.range("C21").data_validation.type == "list"
    sheet.range("B2:B9").data_validation.set_list(book.sheets["Lists"].range("A1:A1"), in_cell_dropdown=False)
    sheet.range("D2").data_validation.set_whole_number("between", 1, 10)
    assert sheet.range("D2").data_validation.formula2 == "=10"
    book.save()

    ws = openpyxl.load_workbook(book_path)["Data"]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert set(rules) == {"C2:C9 C21:C1048576", "B2:B9", "D2"}
    assert rules["C2:C9 C21:C1048576"].formula1 == '"MEDICAL,COMPANY"'
    assert rules["B2:B9"].formula1 == "Lists!$A$1" and rules["B2:B9"].showDropDown
    assert (rules["D2"].type, rules["D2"].operator, rules["D2"].formula1) == ("whole", "between", "1")
