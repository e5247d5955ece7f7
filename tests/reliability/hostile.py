"""Hostile and broken workbooks, made from a real template."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import xlsxwriter

from crmxl.benchmark import generate_rows
from crmxl.schema import ACCOUNTS

TEMPLATE = Path(__file__).resolve().parents[2] / "workbook_templates" / "crmxl-accounts-template.xlsx"
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def _rezip(target: Path, changes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.namelist():
            out.writestr(item, changes.get(item, source.read(item)))
    return target


def _sheet() -> bytes:
    with zipfile.ZipFile(TEMPLATE) as source:
        return source.read("xl/worksheets/sheet1.xml")


def make_all(folder: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    sheet = _sheet()
    bomb = folder / "bomb.xlsx"
    with zipfile.ZipFile(TEMPLATE) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.namelist():
            if item != "xl/worksheets/sheet1.xml":
                out.writestr(item, source.read(item))
                continue
            with out.open(item, "w") as handle:
                handle.write(sheet.replace(b"</sheetData>", b""))
                for _ in range(40):
                    handle.write(b" " * (1 << 24))
    files["zip bomb"] = bomb
    head, body = sheet.split(b"?>", 1)
    row = b'<row r="2"><c r="B2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    files["billion laughs"] = _rezip(folder / "laughs.xlsx", {
        "xl/worksheets/sheet1.xml": head + b"?>" + LAUGHS.encode() + body.replace(b"<sheetData>", b"<sheetData>" + row)})
    bad_row = (b'<row r="2"><c r="A2" t="inlineStr"><is><t>11.222.333/0001-80</t></is></c>'
               b'<c r="B2" t="inlineStr"><is><t>Huge</t></is></c></row>')
    files["huge dimension"] = _rezip(folder / "huge.xlsx", {
        "xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:N1"/>', b'<dimension ref="A1:XFD1048576"/>')
        .replace(b"</sheetData>", bad_row + b"</sheetData>")})
    (folder / "notzip.xlsx").write_bytes(b"hello, this is not a zip")
    files["not a zip"] = folder / "notzip.xlsx"
    (folder / "trunc.xlsx").write_bytes(TEMPLATE.read_bytes()[:5000])
    files["truncated zip"] = folder / "trunc.xlsx"
    newer = bytearray(TEMPLATE.read_bytes())  # a zip feature Python does not implement ("zip file version 6.4")
    newer[newer.find(b"PK\x01\x02") + 6] = 64
    (folder / "newer-zip.xlsx").write_bytes(newer)
    files["zip of a newer version"] = folder / "newer-zip.xlsx"
    data = Path(__file__).resolve().parents[1] / "validation" / "data"
    files["encrypted"] = data / "encrypted.xlsx"
    files["old .xls"] = data / "old.xls"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    (folder / "sheet.ods").write_bytes(buffer.getvalue())
    files[".ods"] = folder / "sheet.ods"
    contacts = Path(__file__).resolve().parents[2] / "workbook_templates" / "crmxl-contacts-template.xlsx"
    files["wrong template"] = contacts
    files.update(_cell_cases(folder))
    files["error values, prefixed XML"] = _prefixed(files["error values"], folder / "prefixed.xlsx")
    (folder / "unknown.csv").write_bytes(b"\xff\xfe\x00\xd8" + bytes(range(128, 256)) * 20)
    files["CSV in an unknown encoding"] = folder / "unknown.csv"
    header = "\t".join(c.header("en") for c in ACCOUNTS.columns)
    (folder / "unicode.csv").write_bytes(("\ufeff" + header + "\r\n" + "\t".join(c or "" for c in valid_rows(1)[0])
                                          + "\r\n").encode("utf-16-le"))
    files["CSV saved as Unicode text (UTF-16)"] = folder / "unicode.csv"
    return files


def valid_rows(count: int) -> list[list]:
    rows, _ = generate_rows(count * 2, [], seed=5)
    good = [r for r in rows if "??" not in r][:count]
    for row in good:
        row[3] = "agent.sp1"
    return good


def _book(path: Path, fill) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, [c.header("en") for c in ACCOUNTS.columns])
    fill(book, sheet)
    book.close()
    return path


def _prefixed(source: Path, target: Path) -> Path:
    """``source`` with its sheets' XML spelled with a prefix for the main namespace ('<x:c r="A1">'), as
    the .NET Open XML SDK writes it."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<worksheet xmlns="', b'<worksheet xmlns:x="')
                data = re.sub(rb"<(/?)([A-Za-z]+)(?=[\s>/])", rb"<\1x:\2", data)
            zout.writestr(item, data)
    return target


def _cell_cases(folder: Path) -> dict[str, Path]:
    """One case per file: formulas (with cached values), error values, merged cells, hidden rows and
    sheets, 10,000 columns, very long strings."""
    rows = valid_rows(4)

    def write(sheet, data) -> None:
        for r, row in enumerate(data, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write_string(r, c, value)

    def formulas(book, sheet) -> None:
        write(sheet, rows)
        sheet.write_formula(1, 1, '=CONCAT("Dr. ","House")', None, "Dr. House")
        sheet.write_formula(2, 9, '=UPPER("campinas")', None, "CAMPINAS")

    def errors(book, sheet) -> None:
        write(sheet, rows)
        sheet.write_formula(1, 1, "=NA()", None, "#N/A")
        sheet.write_formula(2, 12, "=#REF!+1", None, "#REF!")

    def merged(book, sheet) -> None:
        write(sheet, rows)
        sheet.merge_range(1, 1, 2, 3, "Merged name")

    def hidden(book, sheet) -> None:
        write(sheet, rows)
        sheet.set_row(2, None, None, {"hidden": True})
        sheet.set_column(5, 5, None, None, {"hidden": True})  # Contact Name
        other = book.add_worksheet("Secret")
        other.write_row(0, 0, ["x"])
        other.hide()

    def wide(book, sheet) -> None:
        write(sheet, rows)
        for column in range(14, 10_014):
            sheet.write_string(0, column, f"extra {column}")
            sheet.write_string(1, column, "x")

    def long_strings(book, sheet) -> None:
        write(sheet, rows)
        sheet.write_string(1, 1, "x" * 32_767)  # the most a cell holds
        sheet.write_string(2, 10, "Rua " + "y" * 20_000)

    cases = {"formulas in data cells": formulas, "error values": errors, "merged cells across data": merged,
             "hidden rows and sheets": hidden, "10,000 columns": wide, "very long strings": long_strings}
    return {case: _book(folder / f"cells-{i}.xlsx", fill) for i, (case, fill) in enumerate(cases.items())}
