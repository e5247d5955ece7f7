"""The openpyxl engine: xlwings' own Book/Sheet/Range on files, checked with two other readers."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw
from openpyxl.comments import Comment
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.styles import PatternFill
from python_calamine import CalamineWorkbook

from crmxl.errors import UnusableInput
from crmxl.workbook.xlwings_engine import ENGINE_NAME, new_book, open_book

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def accounts_file(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Accounts"
    ws.append(["Account number", "Name", "Visits", "Since"])
    ws.append(["123456/SP", "Dr. Ana", 3, dt.datetime(2024, 5, 17)])
    ws.append(["11222333000181", "Clínica Boa", 12, dt.date(2023, 1, 2)])
    ws.append(["bad", "Nobody", None, "17/05/2024"])
    ws["B2"].comment = Comment("already here", "someone")
    ws["A3"].fill = PatternFill(fill_type="solid", fgColor="FF00FF00")
    wb.create_sheet("Lists").append(["MEDICAL", "COMPANY", "INSURANCE"])
    path = tmp_path / "accounts.xlsx"
    wb.save(path)
    return path


def validate_macro(book: xw.Book) -> None:
    """A ribbon macro as crmxl writes them: only xlwings' public object model."""
    app = book.app
    app.screen_updating = False
    app.calculation = "manual"
    app.status_bar = "Validating..."
    sheet = book.sheets["Accounts"]
    table = sheet.range("A1").expand("table")
    header, *rows = table.options(ndim=2).value
    errors_col = len(header) + 1
    sheet.range((1, errors_col)).value = "Errors"
    sheet.range((1, errors_col)).font.bold = True
    messages = []
    for offset, row in enumerate(rows, start=2):
        cell = sheet.range((offset, 1))
        if row[0] == "bad":
            cell.color = "#FF0000"
            cell.add_note("Not a CRM number or CNPJ")
            messages.append(["A: not a CRM number or CNPJ"])
        else:
            cell.color = None
            messages.append(["Row is correct"])
    sheet.range((2, errors_col)).value = messages
    summary = book.sheets.add("Summary", after=sheet)
    summary["A1"].value = [["rows", len(rows)], ["errors", 1]]
    app.status_bar = False
    app.alert("1 row has errors", title="crmxl", buttons="ok", mode="critical")


def test_reads_like_excel(accounts_file: Path) -> None:
    book = open_book(accounts_file)
    assert isinstance(book, xw.Book)
    assert book.app.engine.name == ENGINE_NAME
    assert book.name == "accounts.xlsx"
    assert book.fullname == str(accounts_file.resolve())
    assert [s.name for s in book.sheets] == ["Accounts", "Lists"]
    assert book.sheets.active.name == "Accounts"
    sheet = book.sheets["accounts"]
    assert sheet.range("A2:D3").value == [
        ["123456/SP", "Dr. Ana", 3.0, dt.datetime(2024, 5, 17)],
        ["11222333000181", "Clínica Boa", 12.0, dt.datetime(2023, 1, 2)],
    ]
    assert type(sheet["C2"].value) is float
    assert sheet["C4"].value is None
    assert sheet["D4"].value == "17/05/2024"
    assert sheet.range((2, 1), (2, 2)).value == ["123456/SP", "Dr. Ana"]
    assert sheet["B1"].options(ndim=2).value == [["Name"]]
    assert sheet["A1"].options(dates=dt.date).offset(1, 3).value == dt.date(2024, 5, 17)
    assert sheet["A1"].expand().address == "$A$1:$D$4"
    assert sheet["A1"].expand("right").shape == (1, 4)
    assert sheet.used_range.address == "$A$1:$D$4"
    assert sheet.used_range.last_cell.address == "$D$4"
    assert sheet[1, 1].value == "Dr. Ana"
    assert sheet["A1:D4"][1:3, 0].value == ["123456/SP", "11222333000181"]
    rng = sheet.range("B2:C4")
    assert (rng.row, rng.column, rng.shape, rng.count) == (2, 2, (3, 2), 6)
    assert rng.last_cell.address == "$C$4"
    assert sheet.cells.last_cell.row == 1_048_576
    assert sheet.range("A" + str(sheet.cells.last_cell.row)).end("up").row == 4
    assert sheet["A3"].color == (0, 255, 0)
    assert sheet["A2"].color is None
    assert sheet["B2"].note.text == "already here"
    assert sheet["B3"].note is None
    assert book.sheets["Lists"]["A1"].expand("right").value == ["MEDICAL", "COMPANY", "INSURANCE"]


def test_macro_result_is_a_real_workbook(accounts_file: Path, tmp_path: Path) -> None:
    book = open_book(accounts_file)
    validate_macro(book)
    out = tmp_path / "checked.xlsx"
    book.save(out)
    assert book.fullname == str(out.resolve())

    calamine = CalamineWorkbook.from_path(str(out))
    assert calamine.sheet_names == ["Accounts", "Summary", "Lists"]
    rows = calamine.get_sheet_by_name("Accounts").to_python()
    assert [row[4] for row in rows] == ["Errors", "Row is correct", "Row is correct", "A: not a CRM number or CNPJ"]
    assert rows[1][:3] == ["123456/SP", "Dr. Ana", 3.0]
    assert calamine.get_sheet_by_name("Summary").to_python() == [["rows", 3.0], ["errors", 1.0]]

    wb = openpyxl.load_workbook(out)
    ws = wb["Accounts"]
    assert ws["A4"].fill.fill_type == "solid"
    assert ws["A4"].fill.fgColor.rgb == "FFFF0000"
    assert ws["A3"].fill.fill_type is None  # the green fill was cleared
    assert ws["A4"].comment.text == "Not a CRM number or CNPJ"
    assert ws["B2"].comment.text == "already here"
    assert ws["A2"].comment is None
    assert ws["E1"].font.b is True
    assert ws["D2"].value == dt.datetime(2024, 5, 17)
    assert wb.sheetnames == ["Accounts", "Summary", "Lists"]
    assert book.app.impl.status_bar_history == ["Validating...", False]


def test_writes_blocks_scalars_and_formats(tmp_path: Path) -> None:
    book = new_book()
    sheet = book.sheets[0]
    assert sheet.name == "Sheet1"
    sheet["B2"].value = [[1, "x", dt.date(2024, 1, 31)], [2.5, None, True]]
    sheet["F1:G2"].value = 7
    sheet["H1"].value = ["a", "b"]
    sheet["J1"].options(transpose=True).value = ["down", "wards"]
    sheet["A10"].value = "=SUM(B2:B3)"
    assert sheet["B2:D3"].value == [[1.0, "x", dt.datetime(2024, 1, 31)], [2.5, None, True]]
    assert sheet["F1:G2"].value == [[7.0, 7.0], [7.0, 7.0]]
    assert sheet["J1:J2"].value == ["down", "wards"]
    assert sheet["A10"].formula == "=SUM(B2:B3)"
    sheet["B2:C2"].color = (1, 2, 3)
    assert sheet["B2:C2"].color == (1, 2, 3)
    assert sheet["B2:D2"].color is None  # mixed
    sheet["C3"].font.color = "#0000FF"
    sheet["C3"].font.bold = True
    assert (sheet["C3"].font.color, sheet["C3"].font.bold) == ((0, 0, 255), True)
    note = sheet["D3"].add_note("first")
    note.text = "second"
    assert sheet["D3"].note.text == "second"
    sheet["B3"].add_note("gone soon")
    sheet["B3"].note.delete()
    assert sheet["B3"].note is None
    sheet["F1:G2"].clear_contents()
    assert sheet["F1:G2"].value == [[None, None], [None, None]]
    out = tmp_path / "new.xlsx"
    book.save(out)

    ws = openpyxl.load_workbook(out).active
    assert [ws["B2"].value, ws["C2"].value, ws["D2"].value.date()] == [1, "x", dt.date(2024, 1, 31)]
    assert ws["B2"].fill.fgColor.rgb == "FF010203"
    assert ws["C3"].font.color.rgb == "FF0000FF"
    assert ws["D3"].comment.text == "second"
    assert ws["B3"].comment is None
    assert ws["A10"].value == "=SUM(B2:B3)"
    assert ws["F1"].value is None and ws["H1"].value == "a" and ws["I1"].value == "b"


def test_error_cells_and_texts_openpyxl_refuses() -> None:
    sheet = new_book().sheets[0]
    sheet["A1"].value = [["#N/A", "=1/0", "plain"]]
    assert sheet["A1:C1"].value == [None, "=1/0", "plain"]
    assert sheet["A1:C1"].options(err_to_str=True).value == ["#N/A", "=1/0", "plain"]
    assert sheet["A1"].api["A1"].data_type == "e"
    with pytest.raises(IllegalCharacterError):
        sheet["A2"].value = [["fine", "bell\x07"]]


def test_sheets_can_be_added_renamed_hidden_and_deleted(accounts_file: Path) -> None:
    book = open_book(accounts_file)
    first = book.sheets.add("First", before=book.sheets[0])
    assert book.sheets.active == first
    book.sheets.add("Last", after=book.sheets[-1])
    assert book.sheet_names == ["First", "Accounts", "Lists", "Last"]
    assert book.sheets.active.name == "Last"
    unnamed = book.sheets.add()
    assert unnamed.name == "Sheet5" and unnamed.index == 4
    unnamed.delete()
    assert book.sheets.active.name == "Last"
    with pytest.raises(ValueError):
        book.sheets.add("accounts")
    book.sheets["Lists"].name = "Values"
    book.sheets["Values"].visible = False
    assert book.sheets["Values"].visible is False
    book.sheets["First"].delete()
    book.save()
    wb = openpyxl.load_workbook(accounts_file)
    assert wb.sheetnames == ["Accounts", "Values", "Last"]
    assert wb["Values"].sheet_state == "hidden"


def test_alerts_are_recorded_and_answered(accounts_file: Path) -> None:
    book = open_book(accounts_file)
    app = book.app
    assert app.alert("Data is correct") == "ok"
    assert app.alert("Commit?", title="crmxl", buttons="yes_no") == "yes"
    app.impl.answers.append("no")
    assert app.alert("Really?", buttons="yes_no_cancel", mode="info") == "no"
    app.impl.default_answer = "cancel"
    assert app.alert("Go on?", buttons="ok_cancel") == "cancel"
    assert app.alert("Done") == "ok"  # "cancel" is not a button of this alert
    assert [(a["prompt"], a["buttons"], a["answer"]) for a in app.impl.alerts] == [
        ("Data is correct", "ok", "ok"),
        ("Commit?", "yes_no", "yes"),
        ("Really?", "yes_no_cancel", "no"),
        ("Go on?", "ok_cancel", "cancel"),
        ("Done", "ok", "ok"),
    ]
    assert app.impl.alerts[1]["title"] == "crmxl"
    other = open_book(accounts_file)
    assert other.app != app and other.app.impl.alerts == []


def test_xlsm_keeps_its_vba_project(tmp_path: Path) -> None:
    source = Path(xw.__file__).parent / "quickstart.xlsm"
    path = tmp_path / "model.xlsm"
    shutil.copy(source, path)
    with zipfile.ZipFile(path) as archive:
        vba = archive.read("xl/vbaProject.bin")
    book = open_book(path)
    book.sheets[0]["A1"].value = "edited"
    book.save()
    with zipfile.ZipFile(path) as archive:
        assert archive.read("xl/vbaProject.bin") == vba
        content_types = archive.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in content_types
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[0][0] == "edited"


def test_save_replaces_the_file_atomically(accounts_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.chmod(accounts_file, 0o640)
    before = accounts_file.read_bytes()
    book = open_book(accounts_file)
    book.sheets[0]["A2"].value = "changed"

    def broken_save(filename):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(book.impl.wb, "save", broken_save)
    with pytest.raises(OSError):
        book.save()
    assert accounts_file.read_bytes() == before
    assert sorted(p.name for p in accounts_file.parent.iterdir()) == ["accounts.xlsx"]
    monkeypatch.undo()
    book.save()
    assert sorted(p.name for p in accounts_file.parent.iterdir()) == ["accounts.xlsx"]
    assert stat.S_IMODE(accounts_file.stat().st_mode) == 0o640
    assert openpyxl.load_workbook(accounts_file).active["A2"].value == "changed"


def test_unusable_files_get_clear_errors(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a workbook")
    with pytest.raises(UnusableInput) as caught:
        open_book(text)
    assert caught.value.code == "not_a_spreadsheet"
    with pytest.raises(UnusableInput) as caught:
        open_book(tmp_path / "missing.xlsx")
    assert caught.value.code == "file_not_found"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnusableInput) as caught:
        open_book(broken)
    assert caught.value.code == "corrupted_file"


def test_defined_names(accounts_file: Path) -> None:
    book = open_book(accounts_file)
    book.names.add("Header", "=Accounts!$A$1:$D$1")
    assert book.sheets["Accounts"].range("Header").value == ["Account number", "Name", "Visits", "Since"]
    assert book.names["Header"].refers_to == "=Accounts!$A$1:$D$1"
    assert book.names["Header"].refers_to_range.address == "$A$1:$D$1"
    sheet = book.sheets["Accounts"]
    assert sheet["A1:D1"].name.name == "Header"
    assert sheet["A2"].name is None
    sheet["B2:B4"].name = "Names"
    assert sheet.range("Names").value == ["Dr. Ana", "Clínica Boa", "Nobody"]
    assert sheet["A1:B2"].formula == (("Account number", "Name"), ("123456/SP", "Dr. Ana"))
    book.save()
    wb = openpyxl.load_workbook(accounts_file)
    assert wb.defined_names["Names"].attr_text == "Accounts!$B$2:$B$4"


def test_large_blocks_round_trip(tmp_path: Path) -> None:
    rows = [[f"n{r}", float(r), r % 7 == 0, None, "x"] * 3 for r in range(20_000)]
    book = new_book()
    book.sheets[0]["A2"].value = rows
    assert book.sheets[0]["A2"].expand("down").shape == (20_000, 1)
    assert book.sheets[0].range((2, 1), (20_001, 15)).value == rows
    out = tmp_path / "big.xlsx"
    book.save(out)
    got = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    assert got[1][:3] == ["n0", 0.0, True] and got[-1][:2] == ["n19999", 19999.0]


def test_engine_is_registered_not_active_and_pro_is_never_imported(tmp_path: Path, accounts_file: Path) -> None:
    script = f"""
import sys
import xlwings
from crmxl.workbook.xlwings_engine import open_book, new_book
book = open_book({str(accounts_file)!r})
book.sheets[0]["A1"].value = "x"
book.sheets[0]["A1"].color = (1, 2, 3)
book.sheets[0]["A1"].add_note("n")
book.app.alert("hi")
book.save({str(tmp_path / "out.xlsx")!r})
new_book().sheets[0]["A1"].options(ndim=2).value
assert xlwings.engines.active is None or xlwings.engines.active.name != "openpyxl"
try:
    open_book({str(tmp_path / "out.xlsx.txt")!r})
except Exception as exc:
    assert "is not a spreadsheet" in str(exc), str(exc)
print("pro" if "xlwings.pro" in sys.modules or xlwings.__pro__ else "free")
"""
    (tmp_path / "out.xlsx.txt").write_text("plain text")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "free"
    source = "\n".join(p.read_text() for p in (ROOT / "crmxl" / "workbook").rglob("*.py"))
    assert not re.search(r"(from|import)\s+xlwings\.pro|from\s+xlwings\s+import\s+pro\b", source)


def test_columns_can_be_hidden_and_a_run_of_equal_columns_is_split(tmp_path: Path) -> None:
    path = tmp_path / "cols.xlsx"
    wb = openpyxl.Workbook()
    dim = wb.active.column_dimensions["B"]
    dim.width, dim.min, dim.max = 30, 2, 6  # one run B:F
    wb.save(path)
    book = open_book(path)
    sheet = book.sheets[0]
    sheet.range("D1:E1").columns.hidden = True
    assert sheet.range("D1:E1").columns.hidden is True
    assert sheet.range("C1:E1").columns.hidden is None  # mixed, as Excel says
    assert sheet.range("G1").columns.hidden is False
    book.save()
    ws = openpyxl.load_workbook(path).active
    runs = sorted((d.min, d.max, d.width, d.hidden) for d in ws.column_dimensions.values())
    assert runs == [(2, 3, 30, False), (4, 4, 30, True), (5, 5, 30, True), (6, 6, 30, False)]
