"""What the bulk reader cannot see in a data sheet: formulas (and those saved without a result), error
values, hidden rows, merged cells.

python-calamine gives a formula's cached value (good) but says nothing of the formula, turns an error
value (``#N/A``, ``#REF!``) into an empty cell, and ignores hidden rows. One streamed pass over the
sheet's XML (decompressed in chunks, never whole; the regular expressions only run on chunks that hold
a marker) finds them, so the importer can warn, or refuse the cell instead of reading it as empty.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from posixpath import normpath

from defusedxml import ElementTree

from crmxl.validation.model import CellMarks

CHUNK = 1 << 20
OVERLAP = 4096  # a tag cut by a chunk boundary is whole in the next buffer
MAX_MARKS = 10_000  # a sheet full of formulas gets this many warnings, not millions (errors: all of them)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_ERROR = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?\bt="e"[^>]*>(?:<f[^>]*?/>|<f[^>]*>[^<]*</f>)?'
                         rb'(?:<v>([^<]{0,20})</v>)?')
_CELL_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*>(?:<v>[^<]*</v>)?<f[ >/]')
# a formula with no result, or an empty one: saved by a program that does not calculate (an empty text
# result, t="str", is a result)
_CELL_UNCOMPUTED = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"([^>]*)>(?:<f[^>]*?/>|<f[^>]*>[^<]*</f>)'
                              rb'(<v\s*/>|<v>\s*</v>)?</c>')
_COL = re.compile(rb"<col\b[^>]*>")
_ATTRIBUTE = re.compile(rb'\b([a-zA-Z]+)="([^"]*)"')
MAX_COLUMNS = 16_384  # Excel's last column, XFD
_ROW_HIDDEN = re.compile(rb'<row r="([0-9]{1,7})"[^>]*?\bhidden="(?:1|true)"')


def column_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + char - 64
    return index - 1


def sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding worksheet ``sheet`` (by the workbook's relationships)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # a damaged or hostile part: the marks are a bonus, the reader already read the cells
        return None
    rel_id = next((s.get(f"{_REL}id") for s in book.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None)
    target = next((r.get("Target") for r in rels.iter(f"{_PKG}Relationship") if r.get("Id") == rel_id), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else normpath(f"xl/{target}")


def scan(path: Path, sheet: str) -> CellMarks:
    """The formulas, error values and hidden rows of worksheet ``sheet`` of ``path`` (best effort: empty
    marks when the part cannot be found or read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_part(archive, sheet)
            if part is None or part not in archive.namelist():
                return CellMarks()
            with archive.open(part) as handle:
                return _scan_chunks(iter(lambda: handle.read(CHUNK), b""))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        return CellMarks()


def scan_xml(xml: bytes) -> CellMarks:
    """``scan`` of a sheet's XML already inflated (in slices as ``scan`` reads it)."""
    view = memoryview(xml)
    return _scan_chunks(bytes(view[start:start + CHUNK]) for start in range(0, len(xml), CHUNK))


def _scan_chunks(chunks: Iterable[bytes]) -> CellMarks:
    marks = CellMarks()
    tail = b""
    unprefix = None
    for chunk in chunks:
        if unprefix is None:
            unprefix = _unprefixer(chunk)
        buffer = unprefix(tail + chunk)  # a tag cut by the chunk boundary is whole here
        _collect(buffer, marks)
        tail = buffer[-OVERLAP:]
    return marks


_NO_RESULT = (b"</f></c>", b"/></c>", b"<v/>", b"<v />", b"<v></v>")  # what a formula without a result ends with


_PREFIXED_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*):worksheet\b")


def _unprefixer(first: bytes):
    """What turns the sheet's XML into the unprefixed spelling the patterns read: a sheet written with a
    prefix for its namespace ('<x:c r="A1">', as the .NET Open XML SDK writes) loses it; any other passes."""
    found = _PREFIXED_ROOT.search(first)
    if found is None:
        return lambda data: data
    opening, closing = b"<" + found.group(1) + b":", b"</" + found.group(1) + b":"
    return lambda data: data.replace(closing, b"</").replace(opening, b"<")


def _collect(buffer: bytes, marks: CellMarks) -> None:
    """Error values and formulas without a result, all of them (they are errors); formulas and hidden rows
    (warnings) up to ``MAX_MARKS``."""
    if b't="e"' in buffer:
        for letters, row, value in _CELL_ERROR.findall(buffer):
            marks.errors[(int(row), column_index(letters))] = value.decode("ascii", "replace") or "#ERROR"
    if b"<f" in buffer:
        if len(marks.formulas) < MAX_MARKS:
            marks.formulas.update((int(row), column_index(letters)) for letters, row in _CELL_FORMULA.findall(buffer))
        if any(end in buffer for end in _NO_RESULT):
            for letters, row, attributes, empty in _CELL_UNCOMPUTED.findall(buffer):
                if not empty or b't="str"' not in attributes:
                    marks.uncomputed.add((int(row), column_index(letters)))
    if b'hidden="' in buffer and len(marks.hidden_rows) < MAX_MARKS:
        marks.hidden_rows.update(int(row) for row in _ROW_HIDDEN.findall(buffer))
        for tag in _COL.findall(buffer):  # <col min="6" max="6" hidden="1"/>, attributes in any order
            attrs = dict(_ATTRIBUTE.findall(tag))
            if attrs.get(b"hidden") in (b"1", b"true") and attrs.get(b"min", b"").isdigit() and \
                    attrs.get(b"max", b"").isdigit():
                marks.hidden_columns.update(range(int(attrs[b"min"]) - 1, min(int(attrs[b"max"]), MAX_COLUMNS)))
