"""Whole-column properties of a range over openpyxl's column dimensions: ``rng.columns.hidden``,
``rng.column_width``, and the number format of whole columns (``sheet.range("E:E").number_format``).

openpyxl keeps one dimension per run of equal columns (``min``..``max``); a run that a change touches
only in part is split first, so that no two runs overlap in the saved file. A whole column's number
format is its dimension's style (no cell is made for it); a cell the engine creates later in that column
takes the column's style, as a cell typed into a formatted column does in Excel.
"""

from __future__ import annotations

from copy import copy

from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

DEFAULT_WIDTH = 8.43  # Excel's standard column width, in characters
WHOLE_COLUMN = 1_048_576  # rows of a sheet


def _runs(ws) -> list:
    holder = ws.column_dimensions
    for dim in holder.values():
        dim.reindex()  # a dimension made by index only gets its min/max
    return list(holder.values())


def _covering(ws, column: int):
    return next((d for d in _runs(ws) if d.min <= column <= d.max), None)


def _common(values):
    """The one value of ``values``, else None (mixed, as Excel says)."""
    found = set()
    for value in values:
        found.add(value)
        if len(found) > 1:
            return None
    return found.pop() if found else None


def column_hidden(ws, first: int, last: int) -> bool | None:
    """True when every column ``first..last`` is hidden, False when none is, None when mixed (as Excel)."""
    return _common(bool(d is not None and d.hidden) for d in (_covering(ws, c) for c in range(first, last + 1)))


def column_width(ws, first: int, last: int) -> float | None:
    """The width of the columns ``first..last`` when they share one, else None."""
    return _common((d.width if d is not None and d.customWidth else DEFAULT_WIDTH)
                   for d in (_covering(ws, c) for c in range(first, last + 1)))


def _own_dimensions(ws, first: int, last: int) -> list:
    """One dimension per column ``first..last`` (runs split; the rest of each run keeps its width and state)."""
    holder = ws.column_dimensions
    for dim in [d for d in _runs(ws) if d.max >= first and d.min <= last]:
        del holder[get_column_letter(dim.min)]
        for lo, hi in ((dim.min, first - 1), (last + 1, dim.max)):  # the parts outside, as they were
            if lo <= hi:
                _put(holder, dim, lo, hi)
        for column in range(max(dim.min, first), min(dim.max, last) + 1):
            _put(holder, dim, column, column)
    dims = []
    for column in range(first, last + 1):
        letter = get_column_letter(column)
        new = letter not in holder
        dim = holder[letter]  # created on first access when the column had none
        if new:
            dim.width = 0  # no width of its own: Excel's standard one (openpyxl's default would write 13)
        dim.reindex()
        dims.append(dim)
    return dims


def set_column_hidden(ws, first: int, last: int, hidden: bool) -> None:
    """Hide (or show) the columns ``first..last``."""
    for dim in _own_dimensions(ws, first, last):
        dim.hidden = hidden


def set_column_width(ws, first: int, last: int, width: float) -> None:
    if not 0 <= width <= 255:
        raise ValueError("column_width must be between 0 and 255 characters")
    for dim in _own_dimensions(ws, first, last):
        dim.width = width


def set_column_format(ws, first: int, last: int, number_format: str) -> None:
    """The number format of whole columns: of their dimensions, and of the cells they already have."""
    for dim in _own_dimensions(ws, first, last):
        dim.number_format = number_format
    for (_row, column), cell in ws._cells.items():
        if first <= column <= last:
            cell.number_format = number_format


def column_styles(ws, first: int, last: int) -> dict[int, StyleArray]:
    """The styles of the columns ``first..last`` that have one: what a cell made in them starts with."""
    styles = {}
    for dim in _runs(ws):
        if dim.max >= first and dim.min <= last and dim._style is not None and any(dim._style):
            for column in range(max(dim.min, first), min(dim.max, last) + 1):
                styles[column] = dim._style
    return styles


def _put(holder, dim, lo: int, hi: int) -> None:
    part = copy(dim)
    part._style = copy(dim._style)  # not shared: a change to one part's style is not the others'
    part.index = get_column_letter(lo)
    part.min, part.max = lo, hi
    holder[part.index] = part


class ColumnProperties:
    """xlwings' Range implementation: its whole columns and its number format (mixed into ``rng.Range``)."""

    @property
    def number_format(self) -> str:
        cell = self._ws._cells.get((self.row1, self.col1))
        if cell is not None:
            return cell.number_format
        dim = _covering(self._ws, self.col1)  # a cell not made yet has its column's format, as in Excel
        return dim.number_format if dim is not None else "General"

    @number_format.setter
    def number_format(self, value: str) -> None:
        if self.whole_columns:  # "E:E": the columns' format, for the rows to come too, without a cell per row
            set_column_format(self._ws, self.col1, self.col2, value)
            return
        for cell in self._all_cells():
            cell.number_format = value

    @property
    def column_hidden(self) -> bool | None:
        return column_hidden(self._ws, self.col1, self.col2)

    @column_hidden.setter
    def column_hidden(self, value: bool) -> None:
        set_column_hidden(self._ws, self.col1, self.col2, bool(value))

    @property
    def column_width(self) -> float | None:
        return column_width(self._ws, self.col1, self.col2)

    @column_width.setter
    def column_width(self, value: float) -> None:
        set_column_width(self._ws, self.col1, self.col2, value)

    @property
    def whole_columns(self) -> bool:
        return self.row1 == 1 and self.row2 == WHOLE_COLUMN
