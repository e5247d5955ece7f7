"""Hostile and broken workbooks, made from a real template."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

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
    files["huge dimension"] = _rezip(folder / "huge.xlsx", {
        "xl/worksheets/sheet1.xml": sheet.replace(b'<dimension ref="A1:N1"/>', b'<dimension ref="A1:XFD1048576"/>')})
    (folder / "notzip.xlsx").write_bytes(b"hello, this is not a zip")
    files["not a zip"] = folder / "notzip.xlsx"
    (folder / "trunc.xlsx").write_bytes(TEMPLATE.read_bytes()[:5000])
    files["truncated zip"] = folder / "trunc.xlsx"
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
    book = openpyxl.load_workbook(TEMPLATE)
    ws = book["Accounts"]
    ws.append(["11.222.333/0001-81", "=CONCAT(\"a\",\"b\")", "COMPANY", "agent.sp1", "SP"])
    ws.append(["#N/A", "#REF!", "COMPANY", "agent.sp1", "SP"])
    ws.append(["12.ABC.345/01DE-35", "x" * 40_000, "COMPANY", "agent.sp1", "SP"])
    ws.merge_cells("B5:E6")
    ws.row_dimensions[3].hidden = True
    book["Lists"].sheet_state = "hidden"
    for column in range(20, 10_020):
        ws.cell(row=1, column=column, value=f"extra {column}")
    book.save(folder / "mixed.xlsx")
    files["formulas, errors, merged, hidden, 10,000 columns, long strings"] = folder / "mixed.xlsx"
    (folder / "unknown.csv").write_bytes(b"\xff\xfe\x00\xd8" + bytes(range(128, 256)) * 20)
    files["CSV in an unknown encoding"] = folder / "unknown.csv"
    return files
