"""The data worksheet, patched as a stream: marks, the Errors column, column width, dimension, notes' drawing.

The part is fed in decompressed chunks; what is ready comes out as bytes to compress. Nothing builds a
tree: rows are cut at ``</row>`` and most of them only get the Errors cell appended (one bytes format per
row). A row with a mark to set or to clear, or a cell at or after the Errors column, is taken apart cell
by cell. Rows before the header row pass through as they were. What precedes ``<sheetData>`` is held
until the header row has said where the Errors column goes; what follows ``</sheetData>`` is small and
is rewritten at the end (``<legacyDrawing>`` added or removed).

Anything unexpected -- a row or cell without its ``r`` reference, rows out of order, a data row the
stream never shows -- raises ``Unpatchable``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate
from dataclasses import dataclass, field

from crmxl.schema import header_key
from crmxl.workbook.patch.package import MAIN, MAX_PART, Unpatchable, attributes, set_attr, string_item, unescape
from crmxl.workbook.patch.styles import Styles

ERRORS_WIDTH = b"60"
_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\sr="([0-9]+)"')
_ROW_FIRST = re.compile(rb'<row r="([0-9]+)"')
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_START = re.compile(rb"<c\b[^>]*?/?>")
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]+)"')
_LETTERS = re.compile(rb"[A-Z]{1,3}")
_SPANS = re.compile(rb'\sspans="[^"]*"')
_S = re.compile(rb'\ss="([0-9]+)"')
_V = re.compile(rb"<v>([^<]*)</v>")
_IS = re.compile(rb"<is>(.*?)</is>", re.S)
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="([^"]*)"[^>]*/>')
_COLS = re.compile(rb"<cols>(.*?)</cols>|<cols\s*/>", re.S)
_COL = re.compile(rb"<col\b[^>]*?(?:/>|>\s*</col>)", re.S)
_TAG = re.compile(rb"<(/?)([A-Za-z_][\w.:-]*)[^>]*?(/?)>")
# CT_Worksheet: what may follow <legacyDrawing> (it goes before the first of these)
_AFTER_LEGACY = {b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                 b"tableParts", b"extLst"}
MAX_ROW_BYTES = 200_000_000


def column_index(letters: bytes) -> int:
    """b"A" -> 0, b"AA" -> 26."""
    index = 0
    for char in letters:
        index = index * 26 + char - 64
    return index - 1


def column_letters(index: int) -> bytes:
    letters = b""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = bytes((65 + rest,)) + letters
    return letters


def _before(a: bytes, b: bytes) -> bool:
    """Column letters ``a`` come before ``b``."""
    return len(a) < len(b) or (len(a) == len(b) and a < b)


@dataclass
class SheetMarks:
    """What the sheet patch writes: marks by row, the Errors texts, the header."""

    header_row: int
    marks: dict[int, dict[int, str]]  # row -> 0-based column -> severity
    texts: dict[int, bytes]  # data row -> the <is> of its Errors cell, for rows that are not OK
    data_rows: set[int]
    ok: bytes  # the <is> of an OK row
    header: bytes  # the <is> of the Errors header
    min_errors_column: int  # 0-based: the Errors column goes at least here (after every mapped column)
    legacy_add: bytes | None = None  # a <legacyDrawing .../> element to add
    legacy_remove: bool = False  # drop the <legacyDrawing> element (our notes were the only shapes)
    legacy_expected: str | None = None  # the r:id the sheet's <legacyDrawing> was taken to have (None: none)
    seen_marks: set[int] = field(default_factory=set)


class SheetPatch:
    """Feed the part's bytes with ``feed``, then call ``finish``; each returns the bytes ready to write."""

    def __init__(self, marks: SheetMarks, styles: Styles, strings: Callable[[set[int]], dict[int, str]]) -> None:
        self.m = marks
        self.styles = styles
        self.strings = strings
        self.phase = "head"
        self.buffer = b""
        self.head = b""
        self.held: list[bytes] | None = []  # output held until the header row placed the Errors column
        self.tail = b""
        self.column_styles: list[tuple[int, int, int]] = []  # 0-based first and last column, xf
        self.last_row = 0
        self.data_seen = 0
        self.errors_column: int | None = None
        self.errors_letters = b""
        old = sorted(styles.mark_ids)
        self._old_marks = re.compile(rb' s="(?:' + b"|".join(str(i).encode() for i in old) + rb')"') if old else None
        self._mark_rows = sorted(marks.marks)

    # -- the stream -----------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer = self.buffer + data if self.buffer else data
        out: list[bytes] = []
        if self.phase == "head":
            self._take_head()
        if self.phase == "rows":
            end = self.buffer.find(b"</sheetData>")
            if end >= 0:
                region, self.buffer = self.buffer[:end], self.buffer[end:]
                self._rows(region, out)
                self.phase = "tail"
            else:
                last = self.buffer.rfind(b"</row>")
                if last >= 0:
                    region, self.buffer = self.buffer[:last + 6], self.buffer[last + 6:]
                    self._rows(region, out)
                if len(self.buffer) > MAX_ROW_BYTES:
                    raise Unpatchable("a row too large")
        if self.phase == "tail":
            self.tail += self.buffer
            self.buffer = b""
            if len(self.tail) > MAX_PART:
                raise Unpatchable("too much after the sheet data")
        return self._emit(out)

    def finish(self) -> list[bytes]:
        if self.phase != "tail":
            raise Unpatchable("the sheet data does not end")
        if self.errors_column is None:
            raise Unpatchable("the header row is not in the sheet")
        if self.data_seen != len(self.m.data_rows) or set(self.m.marks) - self.m.seen_marks:
            raise Unpatchable("rows of the table are not in the sheet")
        out = self._emit([])
        out.append(self._patch_tail(self.tail))
        return out

    def _emit(self, out: list[bytes]) -> list[bytes]:
        if self.held is None:
            return out
        self.held.extend(out)
        if self.errors_column is None:
            if sum(map(len, self.held)) > MAX_ROW_BYTES:
                raise Unpatchable("the header row is too far down")
            return []
        ready = [self._patch_head(self.head), *self.held]
        self.held = None
        return ready

    def _take_head(self) -> None:
        start = self.buffer.find(b"<sheetData")
        if start < 0:
            if len(self.buffer) > MAX_PART:
                raise Unpatchable("no sheet data")
            return
        end = self.buffer.find(b">", start)
        if end < 0:
            return
        if self.buffer[end - 1:end] == b"/":
            raise Unpatchable("the sheet has no rows")
        head = self.buffer[:end + 1]
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise Unpatchable("a DTD in the worksheet")
        root = re.search(rb"<worksheet\b[^>]*>", head)
        if root is None or f'xmlns="{MAIN}"'.encode() not in root.group():
            raise Unpatchable("the worksheet is not in the transitional namespace, unprefixed")
        self.head, self.buffer = head, self.buffer[end + 1:]
        self.phase = "rows"
        block = _COLS.search(head)
        for item in _COL.findall(block.group(1) or b"") if block else ():
            a = attributes(item)
            if a.get(b"style", b"0").isdigit() and a.get(b"min", b"").isdigit() and a.get(b"max", b"").isdigit():
                self.column_styles.append((int(a[b"min"]) - 1, int(a[b"max"]) - 1, int(a.get(b"style", b"0"))))

    def _empty_cell_style(self, row_tag: bytes, col: int) -> int:
        """The format an empty cell shows: its row's (if the row has one), else its column's."""
        a = attributes(row_tag)
        if a.get(b"customFormat") in (b"1", b"true") and a.get(b"s", b"").isdigit():
            return int(a[b"s"])
        return next((style for low, high, style in self.column_styles if low <= col <= high), 0)

    # -- rows ---------------------------------------------------------------------------------------------

    def _rows(self, region: bytes, out: list[bytes]) -> None:
        if b' spans="' in region:
            region = _SPANS.sub(b"", region)
        if self.errors_column is not None and self._bulk(region, out):
            return
        self._each_row(region, out)

    def _bulk(self, region: bytes, out: list[bytes]) -> bool:
        """Rows after the header, the common way: every row gets its Errors cell by one bytes format, and
        only the rows with a mark to set or clear, or a cell past the Errors column, are taken apart.
        False if the region is not plain enough (a row without a leading r, an empty row element...)."""
        if self._at_errors_prefix in region:
            region = self._at_errors.sub(b"", region)
        pieces = region.split(b"</row>")
        rest = pieces.pop()
        numbers = _ROW_FIRST.findall(region)
        if len(numbers) != len(pieces) or region.count(b"<row") != len(pieces) or (rest.strip() and b"<" in rest):
            return False
        special: set[int] = set()
        problems = self._problem.finditer(region)
        first = next(problems, None)
        ends: list[int] | None = None
        if first is not None:
            ends = list(accumulate(len(p) + 6 for p in pieces))
            for match in (first, *problems):
                if region[match.start() + 2:match.start() + 3] != b" " or region[match.start() + 3:
                                                                                  match.start() + 6] != b'r="':
                    return False  # a cell without its leading r reference
                special.add(bisect_right(ends, match.start()))
        rows = list(map(int, numbers))
        if not rows:
            if rest:
                out.append(rest)
            return True
        if rows[0] <= self.last_row or any(a >= b for a, b in zip(rows, rows[1:], strict=False)):
            raise Unpatchable("rows out of order")
        self.last_row = rows[-1]
        marks = self._mark_rows
        low, high = bisect_left(marks, rows[0]), bisect_right(marks, rows[-1])
        for row in marks[low:high]:
            at = bisect_left(rows, row)
            if at < len(rows) and rows[at] == row:
                special.add(at)
        if self._old_marks is not None:
            for match in self._old_marks.finditer(region):
                if ends is None:
                    ends = list(accumulate(len(p) + 6 for p in pieces))
                special.add(bisect_right(ends, match.start()))
        m = self.m
        data_rows, texts, ok, letters = m.data_rows, m.texts, m.ok, self.errors_letters
        get = texts.get
        cells = [b'<c r="%b%d" t="inlineStr">%b</c></row>' % (letters, row, get(row, ok)) if row in data_rows
                 else b"</row>" for row in rows]
        self.data_seen += sum(1 for row in rows if row in data_rows)
        for at in special:
            piece = pieces[at]
            start = piece.rfind(b"<row")
            row = rows[at]
            text = get(row, ok) if row in data_rows else None
            pieces[at] = self._row(piece, start, piece.find(b">", start), row, text, None)
            cells[at] = b""
        joined: list[bytes] = [b""] * (2 * len(pieces))
        joined[0::2] = pieces
        joined[1::2] = cells
        out.append(b"".join(joined))
        if rest:
            out.append(rest)
        return True

    def _each_row(self, region: bytes, out: list[bytes]) -> None:
        """Rows one by one: the rows up to the header row, and regions the bulk way does not take."""
        pieces = region.split(b"</row>")
        rest = pieces.pop()
        if rest.strip() and (b"<row" not in rest or b"<c" in rest):
            raise Unpatchable("unexpected content between rows")
        if b"<c" in region and region.count(b'<c r="') != (region.count(b"<c ") + region.count(b"<c>")
                                                          + region.count(b"<c/>")):
            raise Unpatchable("cells without a leading r reference")
        old = self._old_marks is not None and self._old_marks.search(region) is not None
        ext = b"<extLst" in region
        m = self.m
        header_row, marks, texts, data_rows, ok = m.header_row, m.marks, m.texts, m.data_rows, m.ok
        letters = self.errors_letters
        append = out.append
        for piece in pieces:
            start = piece.rfind(b"<row")
            match = _ROW_NUMBER.match(piece, start) if start >= 0 else None
            if match is None:
                raise Unpatchable("a row without its r number")
            row = int(match.group(1))
            if row <= self.last_row:
                raise Unpatchable("rows out of order")
            self.last_row = row
            if row < header_row:
                append(piece)
                append(b"</row>")
                continue
            if row == header_row:
                append(self._header_row(piece, start, row))
                letters = self.errors_letters
                continue
            if not letters:
                raise Unpatchable("the header row is not in the sheet")
            if row in data_rows:
                text = texts.get(row, ok)
                self.data_seen += 1
            else:
                text = None
            tag_end = piece.find(b">", start)
            if not (row in marks or ext or (old and self._old_marks.search(piece, tag_end))):
                last = piece.rfind(b'<c r="', tag_end)
                if last < 0:
                    here: bytes | None = b""
                else:
                    found = _LETTERS.match(piece, last + 6)
                    here = found.group() if found is not None else None
                if here is not None and (not here or _before(here, letters)):
                    append(piece)
                    if text is not None:
                        append(b'<c r="%b%d" t="inlineStr">%b</c></row>' % (letters, row, text))
                    else:
                        append(b"</row>")
                    continue
                if here == letters:  # the Errors cell of an earlier run: replaced
                    append(piece[:last])
                    if text is not None:
                        append(b'<c r="%b%d" t="inlineStr">%b</c></row>' % (letters, row, text))
                    else:
                        append(b"</row>")
                    continue
            append(self._row(piece, start, tag_end, row, text, None))
        if rest:
            append(rest)

    def _row(self, piece: bytes, start: int, tag_end: int, row: int, text: bytes | None,
             header_style: int | None) -> bytes:
        """A row taken apart: marks set or cleared, the Errors cell (``text``) put in column order.

        ``header_style``: the header row's Errors cell is bold (the style of a cell already there, in bold).
        """
        body = piece[tag_end + 1:]
        marks = self.m.marks.get(row, {})
        if marks:
            self.m.seen_marks.add(row)
        column = self.errors_column
        styles = self.styles
        new_cells = sorted(c for c in marks if c != column)  # marked cells the row may not have
        errors_pending = text is not None
        parts = [piece[:tag_end + 1]]
        pos = 0

        def errors_cell(style: int | None) -> bytes:
            attr = b' s="%d"' % style if style else b""
            return b'<c r="%b%d"%b t="inlineStr">%b</c>' % (self.errors_letters, row, attr, text)

        def empty_marked(col: int) -> bytes:
            base = self._empty_cell_style(piece[start:tag_end + 1], col)
            return b'<c r="%b%d" s="%d"/>' % (column_letters(col), row, styles.mark(base, marks[col]))

        for cell in _CELL.finditer(body):
            xml = cell.group()
            tag = _CELL_START.match(xml).group()
            ref = _CELL_REF.search(tag)
            if ref is None:
                raise Unpatchable("a cell without its r reference")
            col = column_index(ref.group(1))
            parts.append(body[pos:cell.start()])
            pos = cell.end()
            while new_cells and new_cells[0] < col:
                parts.append(empty_marked(new_cells.pop(0)))
            if errors_pending and column < col:
                parts.append(errors_cell(header_style))
                errors_pending = False
            s_match = _S.search(tag)
            s = int(s_match.group(1)) if s_match else 0
            if col == column:  # the Errors cell of an earlier run (or an empty styled cell): replaced
                if errors_pending:
                    parts.append(errors_cell(styles.bold(s) if header_style is not None else None))
                    errors_pending = False
                continue
            if new_cells and new_cells[0] == col:
                new_cells.pop(0)
            new = styles.mark(s, marks[col]) if col in marks else styles.restore(s)
            if new != s:
                parts.append(set_attr(tag, b"s", str(new).encode() if new else None) + xml[len(tag):])
            else:
                parts.append(xml)
        trailing = body[pos:]
        for col in new_cells:
            if errors_pending and column < col:
                parts.append(errors_cell(header_style))
                errors_pending = False
            parts.append(empty_marked(col))
        if errors_pending:
            parts.append(errors_cell(header_style))
        parts.append(trailing)
        parts.append(b"</row>")
        return b"".join(parts)

    def _header_row(self, piece: bytes, start: int, row: int) -> bytes:
        """Find the Errors column from the header cells, then patch the header row."""
        tag_end = piece.find(b">", start)
        body = piece[tag_end + 1:]
        cells = []
        wanted: set[int] = set()
        for cell in _CELL.finditer(body):
            tag = _CELL_START.match(cell.group()).group()
            ref = _CELL_REF.search(tag)
            if ref is None:
                raise Unpatchable("a cell without its r reference")
            kind = attributes(tag).get(b"t", b"n")
            value = _V.search(cell.group())
            if kind == b"s" and value:
                wanted.add(int(value.group(1)))
            cells.append((column_index(ref.group(1)), kind, cell.group(), value))
        strings = self.strings(wanted) if wanted else {}
        found, last = None, -1
        errors_keys = self._errors_keys()
        for col, kind, xml, value in cells:
            if kind == b"s":
                text = strings.get(int(value.group(1))) if value else None
            elif kind == b"inlineStr":
                inline = _IS.search(xml)
                text = string_item(inline.group(1)) if inline else None
            else:
                text = unescape(value.group(1)) if value else None
            if text not in (None, ""):
                last = max(last, col)
                if found is None and isinstance(text, str) and header_key(text) in errors_keys:
                    found = col
        column = found if found is not None else max(self.m.min_errors_column, last + 1)
        self.errors_column = column
        self.errors_letters = letters = column_letters(column)
        # a cell at the Errors column (an earlier run's, replaced), and any cell at or after it (or without its
        # leading r reference): after those are stripped, a row with neither only needs its Errors cell appended
        self._at_errors = re.compile(rb'<c r="' + letters + rb'[0-9]+"[^>]*?(?:/>|>.*?</c>)', re.S)
        self._at_errors_prefix = b'<c r="' + letters
        self._problem = re.compile(rb'<c(?:(?! r=")[\s>/]| r="(?:' + _at_least(letters) + rb")[0-9])")
        return self._row(piece, start, tag_end, row, self.m.header, self.styles.bold(0))

    @staticmethod
    def _errors_keys() -> set[str]:
        from crmxl.schema import ERRORS_HEADER

        return {header_key(v) for v in ERRORS_HEADER.values()}

    # -- before and after the rows ------------------------------------------------------------------------

    def _patch_head(self, head: bytes) -> bytes:
        column = self.errors_column
        dimension = _DIMENSION.search(head)
        if dimension is not None:
            new = _widen(dimension.group(1), column, self.m.header_row, max(self.m.data_rows, default=0))
            tag = dimension.group()
            replacement = set_attr(tag, b"ref", new) if new else b""
            head = head[:dimension.start()] + replacement + head[dimension.end():]
        return _with_width(head, column)

    def _patch_tail(self, tail: bytes) -> bytes:
        legacy = re.search(rb"<legacyDrawing\b[^>]*>", tail)
        found = re.search(rb':id="([^"]*)"', legacy.group()) if legacy else None
        if (found.group(1).decode() if found else None) != self.m.legacy_expected or (legacy and not found):
            raise Unpatchable("the sheet's notes drawing is not the one its relationships suggest")
        if self.m.legacy_remove:
            tail = re.sub(rb"<legacyDrawing\b[^>]*/>", b"", tail, count=1)
        if self.m.legacy_add is not None:
            end = tail.index(b"</sheetData>") + len(b"</sheetData>")
            tail = tail[:end] + _insert_legacy(tail[end:], self.m.legacy_add)
        return tail


def _at_least(letters: bytes) -> bytes:
    """A regular expression matching the column letters at or after ``letters`` (up to XFD)."""
    options = [letters]
    for k, char in enumerate(letters):
        if char < ord("Z"):
            rest = len(letters) - k - 1
            options.append(letters[:k] + b"[" + bytes((char + 1,)) + b"-Z]" + (b"[A-Z]{%d}" % rest if rest else b""))
    if len(letters) < 3:
        options.append(b"[A-Z]{%d,3}" % (len(letters) + 1))
    return b"|".join(options)


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
