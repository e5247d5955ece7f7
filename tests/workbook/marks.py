"""What the annotated-report tests read back from a report: the Errors column, a cell's fill."""

from __future__ import annotations

ERRORS_COL = 15  # O: right after the 14 columns of the accounts template


def fill_of(cell) -> str | None:
    """The colour of ``cell``'s solid fill (openpyxl), None without one."""
    fill = cell.fill
    return fill.fgColor.rgb if fill is not None and fill.fill_type == "solid" else None
