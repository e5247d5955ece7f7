"""What frames the data worksheet's rows: the dimension and ``<cols>`` before them, ``<legacyDrawing>`` after.

Before ``<sheetData>``: the dimension grown to hold the Errors column, that column made 60 wide (a
``<col>`` range covering it is split), and the columns' formats read for the empty cells we mark. After
``</sheetData>``: the notes' ``<legacyDrawing>`` checked against what the sheet's relationships
suggest, then removed or added (where CT_Worksheet wants it).
"""

from __future__ import annotations

import re

from crmxl.workbook.patch.cells import column_index, column_letters
from crmxl.workbook.patch.package import Unpatchable, attributes, set_attr

ERRORS_WIDTH = b"60"
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([^"]*)"[^>]*/>')
_COLS = re.compile(rb"<cols>(.*?)</cols>|<cols\s*/>", re.S)
_COL = re.compile(rb"<col\b[^>]*?(?:/>|>\s*</col>)", re.S)
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")
# CT_Worksheet: what may follow <legacyDrawing> (it goes before the first of these)
_AFTER_LEGACY = {b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst"}


def column_styles(head: bytes) -> list[tuple[int, int, int]]:
    """The formats of ``<cols>`` in ``head``: 0-based first and last column, xf."""
    styles = []
    block = _COLS.search(head)
    for item in _COL.findall(block.group(1) or b"") if block else ():
        a = attributes(item)
        if a.get(b"style", b"0").isdigit() and a.get(b"min", b"").isdigit() and a.get(b"max", b"").isdigit():
            styles.append((int(a[b"min"]) - 1, int(a[b"max"]) - 1, int(a.get(b"style", b"0"))))
    return styles


def patch_head(head: bytes, column: int, header_row: int, last_row: int) -> bytes:
    """``head`` (up to ``<sheetData>``) with the Errors column ``column`` in its dimension and 60 wide."""
    dimension = _DIMENSION.search(head)
    if dimension is not None:
        new = _widen(dimension.group(1), column, header_row, last_row)
        tag = dimension.group()
        replacement = set_attr(tag, b"ref", new) if new else b""
        head = head[:dimension.start()] + replacement + head[dimension.end():]
    return _with_width(head, column)


def patch_tail(tail: bytes, expected: str | None, remove: bool, add: bytes | None) -> bytes:
    """``tail`` (from ``</sheetData>``) with its ``<legacyDrawing>`` removed or ``add`` put in.

    ``expected``: the r:id the sheet's ``<legacyDrawing>`` was taken to have (None: none).
    """
    legacy = re.search(rb"<legacyDrawing\b[^>]*>", tail)
    found = re.search(rb':id="([^"]*)"', legacy.group()) if legacy else None
    if (found.group(1).decode() if found else None) != expected or (legacy and not found):
        raise Unpatchable("the sheet's notes drawing is not the one its relationships suggest")
    if remove:
        tail = re.sub(rb"<legacyDrawing\b[^>]*/>", b"", tail, count=1)
    if add is not None:
        end = tail.index(b"</sheetData>") + len(b"</sheetData>")
        tail = tail[:end] + _insert_legacy(tail[end:], add)
    return tail


def _widen(ref: bytes, column: int, header_row: int, last_row: int) -> bytes | None:
    """The dimension ``ref`` grown to hold the Errors column (None: drop an unreadable one)."""
    match = re.fullmatch(rb"([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?", ref)
    if match is None:
        return None
    c1, r1 = column_index(match.group(1)), int(match.group(2))
    c2, r2 = (column_index(match.group(3)), int(match.group(4))) if match.group(3) else (c1, r1)
    c1, r1 = min(c1, column), min(r1, header_row)
    c2, r2 = max(c2, column), max(r2, last_row, header_row)
    return column_letters(c1) + str(r1).encode() + b":" + column_letters(c2) + str(r2).encode()


def _with_width(head: bytes, column: int) -> bytes:
    """``head`` with column ``column`` (0-based) 60 wide in ``<cols>`` (a covering range is split)."""
    number = column + 1
    ours = b'<col min="%d" max="%d" width="%b" customWidth="1"/>' % (number, number, ERRORS_WIDTH)
    block = _COLS.search(head)
    if block is None:
        at = head.rfind(b"<sheetData")
        return head[:at] + b"<cols>" + ours + b"</cols>" + head[at:]
    items = _COL.findall(block.group(1) or b"")
    out, placed = [], False
    for item in items:
        a = attributes(item)
        try:
            low, high = int(a.get(b"min", b"0")), int(a.get(b"max", b"0"))
        except ValueError:
            raise Unpatchable("a column range without numbers") from None
        if low <= number <= high:
            if low < number:
                out.append(set_attr(item, b"max", str(number - 1).encode()))
            mine = set_attr(set_attr(item, b"min", str(number).encode()), b"max", str(number).encode())
            mine = set_attr(set_attr(mine, b"width", ERRORS_WIDTH), b"customWidth", b"1")
            out.append(mine)
            if number < high:
                out.append(set_attr(item, b"min", str(number + 1).encode()))
            placed = True
        else:
            if not placed and low > number:
                out.append(ours)
                placed = True
            out.append(item)
    if not placed:
        out.append(ours)
    return head[:block.start()] + b"<cols>" + b"".join(out) + b"</cols>" + head[block.end():]


def _insert_legacy(tail: bytes, element: bytes) -> bytes:
    """``element`` put in the tail where CT_Worksheet wants ``<legacyDrawing>``."""
    depth = 0
    for match in _TAG.finditer(tail):
        closing, name, empty = match.groups()
        if tail[match.start():match.start() + 4] in (b"<!--", b"<?xm"):
            continue
        if closing:
            depth -= 1
            if depth < 0:  # </worksheet>
                return tail[:match.start()] + element + tail[match.start():]
            continue
        if depth == 0:
            local = name.rpartition(b":")[2]
            if b":" in name and local == b"AlternateContent":
                raise Unpatchable("alternate content where the notes' drawing goes")
            if local in _AFTER_LEGACY:
                return tail[:match.start()] + element + tail[match.start():]
        if not empty:
            depth += 1
    raise Unpatchable("the worksheet does not end")
