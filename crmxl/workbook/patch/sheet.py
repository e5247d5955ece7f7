"""The data worksheet, patched as a stream: its rows cut at ``</row>`` and given their Errors cells.

The part is fed in decompressed chunks; what is ready comes out as bytes to compress. Nothing builds a
tree: most rows only get the Errors cell appended (one bytes format per row). A row with a mark to set
or to clear, or a cell at or after the Errors column, is taken apart cell by cell (see ``cells``). Rows
before the header row pass through as they were. What precedes ``<sheetData>`` is held until the header
row has said where the Errors column goes; what follows ``</sheetData>`` is small and is rewritten at the
end (see ``sheet_frame``).

Anything unexpected -- a row or cell without its ``r`` reference, rows out of order, a data row the
stream never shows -- raises ``Unpatchable``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import accumulate
from dataclasses import dataclass, field

from crmxl.workbook.patch.cells import RowEditor, errors_column
from crmxl.workbook.patch.package import MAIN, MAX_PART, Unpatchable
from crmxl.workbook.patch.sheet_frame import column_styles, patch_head, patch_tail
from crmxl.workbook.patch.styles import Styles

_ROW_NUMBER = re.compile(rb'<row\b[^>]*?\sr="([0-9]+)"')
_ROW_FIRST = re.compile(rb'<row r="([0-9]+)"')
_LETTERS = re.compile(rb"[A-Z]{1,3}")
_SPANS = re.compile(rb'\sspans="[^"]*"')
MAX_ROW_BYTES = 200_000_000


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
        self.editor: RowEditor | None = None  # once the header row has placed the Errors column
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
        if self.editor is None:
            raise Unpatchable("the header row is not in the sheet")
        m = self.m
        if self.data_seen != len(m.data_rows) or set(m.marks) - m.seen_marks:
            raise Unpatchable("rows of the table are not in the sheet")
        out = self._emit([])
        out.append(patch_tail(self.tail, m.legacy_expected, m.legacy_remove, m.legacy_add))
        return out

    def _emit(self, out: list[bytes]) -> list[bytes]:
        if self.held is None:
            return out
        self.held.extend(out)
        if self.editor is None:
            if sum(map(len, self.held)) > MAX_ROW_BYTES:
                raise Unpatchable("the header row is too far down")
            return []
        head = patch_head(self.head, self.editor.column, self.m.header_row, max(self.m.data_rows, default=0))
        ready = [head, *self.held]
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
        self.column_styles = column_styles(head)

    # -- rows ---------------------------------------------------------------------------------------------

    def _rows(self, region: bytes, out: list[bytes]) -> None:
        if b' spans="' in region:
            region = _SPANS.sub(b"", region)
        if self.editor is not None and self._bulk(region, out):
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
            pieces[at] = self.editor.row(piece, start, piece.find(b">", start), row, text)
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
            append(self.editor.row(piece, start, tag_end, row, text))
        if rest:
            append(rest)

    def _header_row(self, piece: bytes, start: int, row: int) -> bytes:
        """Place the Errors column from the header cells, then patch the header row."""
        tag_end = piece.find(b">", start)
        column = errors_column(piece[tag_end + 1:], self.strings, self.m.min_errors_column)
        self.editor = RowEditor(column, self.styles, self.column_styles, self.m.marks, self.m.seen_marks)
        self.errors_letters = letters = self.editor.letters
        # a cell at the Errors column (an earlier run's, replaced), and any cell at or after it (or without its
        # leading r reference): after those are stripped, a row with neither only needs its Errors cell appended
        self._at_errors = re.compile(rb'<c r="' + letters + rb'[0-9]+"[^>]*?(?:/>|>.*?</c>)', re.S)
        self._at_errors_prefix = b'<c r="' + letters
        self._problem = re.compile(rb'<c(?:(?! r=")[\s>/]| r="(?:' + _at_least(letters) + rb")[0-9])")
        return self.editor.row(piece, start, tag_end, row, self.m.header, self.styles.bold(0))


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
