"""Whole-column properties of a range (``rng.columns.hidden``) over openpyxl's column dimensions.

openpyxl keeps one dimension per run of equal columns (``min``..``max``); a run that a change touches
only in part is split first, so that no two runs overlap in the saved file.
"""

from __future__ import annotations

from copy import copy

from openpyxl.utils import get_column_letter


def _runs(ws) -> list:
    holder = ws.column_dimensions
    for dim in holder.values():
        dim.reindex()  # a dimension made by index only gets its min/max
    return list(holder.values())


def _covering(ws, column: int):
    return next((d for d in _runs(ws) if d.min <= column <= d.max), None)


def column_hidden(ws, first: int, last: int) -> bool | None:
    """True when every column ``first..last`` is hidden, False when none is, None when mixed (as Excel)."""
    states = set()
    for column in range(first, last + 1):
        dim = _covering(ws, column)
        states.add(bool(dim is not None and dim.hidden))
        if len(states) > 1:
            return None
    return states.pop() if states else False


def set_column_hidden(ws, first: int, last: int, hidden: bool) -> None:
    """Hide (or show) the columns ``first..last``; the rest of each run keeps its width and state."""
    holder = ws.column_dimensions
    for dim in [d for d in _runs(ws) if d.max >= first and d.min <= last]:
        del holder[get_column_letter(dim.min)]
        for lo, hi in ((dim.min, first - 1), (last + 1, dim.max)):  # the parts outside, as they were
            if lo <= hi:
                _put(holder, dim, lo, hi)
        for column in range(max(dim.min, first), min(dim.max, last) + 1):
            _put(holder, dim, column, column)
    for column in range(first, last + 1):
        dim = holder[get_column_letter(column)]  # created on first access when the column had none
        dim.reindex()
        dim.hidden = hidden


def _put(holder, dim, lo: int, hi: int) -> None:
    part = copy(dim)
    part.index = get_column_letter(lo)
    part.min, part.max = lo, hi
    holder[part.index] = part
