"""A worksheet row taken apart cell by cell: marks set or cleared, the Errors cell put in column order.

The header row's cells say where the Errors column goes (``errors_column``): at an earlier run's Errors
header if there is one, else after the last header cell and every mapped column. ``RowEditor`` then
rewrites the rows the stream (see ``sheet``) cannot just append to: a marked cell gets its mark format,
a cell that had a mark gets its own format back, a marked cell the row lacks is written empty (with
the format its row or column shows), and an earlier run's Errors cell is replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crmxl.schema import ERRORS_HEADER, header_key
from crmxl.workbook.patch.package import Unpatchable, attributes, set_attr, string_item, unescape
from crmxl.workbook.patch.styles import Styles

_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_CELL_START = re.compile(rb"<c\b[^>]*?/?>")
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]+)"')
_S = re.compile(rb'\ss="([0-9]+)"')
_V = re.compile(rb"<v>([^<]*)</v>")
_IS = re.compile(rb"<is>(.*?)</is>", re.S)
_ERRORS_KEYS = {header_key(v) for v in ERRORS_HEADER.values()}


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


def errors_column(body: bytes, strings: Callable[[set[int]], dict[int, str]], min_column: int) -> int:
    """The 0-based Errors column, from the cells of the header row (``body``: what follows its row tag)."""
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
    found_strings = strings(wanted) if wanted else {}
    found, last = None, -1
    for col, kind, xml, value in cells:
        if kind == b"s":
            text = found_strings.get(int(value.group(1))) if value else None
        elif kind == b"inlineStr":
            inline = _IS.search(xml)
            text = string_item(inline.group(1)) if inline else None
        else:
            text = unescape(value.group(1)) if value else None
        if text not in (None, ""):
            last = max(last, col)
            if found is None and isinstance(text, str) and header_key(text) in _ERRORS_KEYS:
                found = col
    return found if found is not None else max(min_column, last + 1)


class RowEditor:
    """Rows rewritten cell by cell, once the header row has placed the Errors column at ``column``.

    ``marks``: row -> 0-based column -> severity; a row whose marks are written is added to ``seen``.
    ``column_styles``: (first, last 0-based column, xf) of the sheet's ``<cols>``.
    """

    def __init__(self, column: int, styles: Styles, column_styles: list[tuple[int, int, int]],
                 marks: dict[int, dict[int, str]], seen: set[int]) -> None:
        self.column = column
        self.letters = column_letters(column)
        self.styles = styles
        self.column_styles = column_styles
        self.marks = marks
        self.seen = seen

    def row(self, piece: bytes, start: int, tag_end: int, row: int, text: bytes | None,
            header_style: int | None = None) -> bytes:
        """The row in ``piece`` (its tag at ``start:tag_end + 1``) with its marks and the Errors cell ``text``.

        ``header_style``: the header row's Errors cell is bold (the style of a cell already there, in bold).
        """
        body = piece[tag_end + 1:]
        marks = self.marks.get(row, {})
        if marks:
            self.seen.add(row)
        column = self.column
        styles = self.styles
        new_cells = sorted(c for c in marks if c != column)  # marked cells the row may not have
        errors_pending = text is not None
        parts = [piece[:tag_end + 1]]
        pos = 0

        def errors_cell(style: int | None) -> bytes:
            attr = b' s="%d"' % style if style else b""
            return b'<c r="%b%d"%b t="inlineStr">%b</c>' % (self.letters, row, attr, text)

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

    def _empty_cell_style(self, row_tag: bytes, col: int) -> int:
        """The format an empty cell shows: its row's (if the row has one), else its column's."""
        a = attributes(row_tag)
        if a.get(b"customFormat") in (b"1", b"true") and a.get(b"s", b"").isdigit():
            return int(a[b"s"])
        return next((style for low, high, style in self.column_styles if low <= col <= high), 0)
