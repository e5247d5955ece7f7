"""What the annotated-report tests read back from a report: the Errors column, a cell's fill."""

from __future__ import annotations

from crmxl.workbook.report import AUTHOR, ERROR_FILL

ERRORS_COL = 15  # O: right after the 14 columns of the accounts template


def fill_of(cell) -> str | None:
    """The colour of ``cell``'s solid fill (openpyxl), None without one."""
    fill = cell.fill
    return fill.fgColor.rgb if fill is not None and fill.fill_type == "solid" else None


def check_bad_cells(ws, result, rows, bad: set[tuple[int, str]]) -> list:
    """The template's cells (A-N) of ``rows``: each ``bad`` one (row, letter) red, with its findings as its
    note; no note on the others, which are returned (their fill is the caller's to check)."""
    others = []
    for row in rows:
        for col in "ABCDEFGHIJKLMN":
            cell = ws[f"{col}{row}"]
            if (row, col) in bad:
                assert fill_of(cell) == ERROR_FILL, cell.coordinate
                assert cell.comment.author == AUTHOR
                expected = [f.message for f in result.findings if (f.row, f.column) == (row, col)]
                assert cell.comment.text == "\n".join(expected)
            else:
                assert cell.comment is None, cell.coordinate
                others.append(cell)
    return others
