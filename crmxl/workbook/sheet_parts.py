"""Parse a large worksheet on several cores.

python-calamine parses a sheet without holding the interpreter lock, but one sheet on one core. A large
sheet's rows are therefore cut into parts, at row boundaries of its XML: each part becomes a small
package of its own (the sheet's XML before and after its rows, a share of the rows, every other member
copied as it is, still compressed), parsed by calamine in its own thread; the grids are then joined.

The joined grid is what ``to_python(skip_empty_area=False)`` gives for the whole sheet (cells from A1,
every row as wide as the widest). Only an ordinary sheet is cut: rows numbered by their ``r`` attribute
where the parts begin, an unprefixed ``<sheetData>``; anything else (or any error) returns None and the
caller parses the sheet whole, which also reports a damaged file.

The price is memory: while the parts are made, the sheet's XML is held twice (inflated, and in the
parts), about 120 MB more than a whole parse for 100,000 rows of a template.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from crmxl.workbook.cell_marks import sheet_part
from crmxl.workbook.patch.package import copy_member

MIN_PART_BYTES = 8 << 20  # smaller sheets (about 10,000 rows of a template) are parsed whole
MAX_PARTS = 8
_ROW = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<dimension\b[^>]*/>')
_DATA_START, _DATA_END = b"<sheetData>", b"</sheetData>"

Grid = list[list[Any]]


def parts_for(size: int) -> int:
    """How many parts a sheet of ``size`` bytes of XML is parsed in (1: whole)."""
    return max(1, min(os.cpu_count() or 1, MAX_PARTS, size // MIN_PART_BYTES))


def read_in_parts(path: Path, sheet: str, parts: int | None = None,
                  meanwhile: Callable[[bytes], None] | None = None) -> tuple[Grid, list] | None:
    """The grid and merged ranges of worksheet ``sheet``, parsed in parts; None: parse it whole.
    ``meanwhile`` gets the sheet's XML in this thread while the parts are parsed (the XML inflated once)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = sheet_part(archive, sheet)
            if member is None:
                return None
            info = archive.getinfo(member)
            count = parts if parts is not None else parts_for(info.file_size)
            if count < 2:
                return None
            xml = archive.read(member)
            cuts = _cuts(xml, count)
            if cuts is None:
                return None
            packages = [[_package(archive, member, xml, cuts, k)] for k in range(len(cuts) - 1)]
        with ThreadPoolExecutor(max_workers=len(packages), thread_name_prefix="crmxl-part") as pool:
            futures = [pool.submit(_parse, package, sheet, k == 0) for k, package in enumerate(packages)]
            if meanwhile is not None:
                meanwhile(xml)
            del xml
            parsed = [future.result() for future in futures]
    except Exception:  # whatever went wrong, parsing the sheet whole says it properly (or works)
        return None
    firsts = [first for first, _ in cuts[:-1]]
    for k, part in enumerate(parsed):
        bound = firsts[k + 1] if k + 1 < len(firsts) else None
        if part.rows and (part.first < firsts[k] or (bound is not None and part.first + len(part.rows) > bound)):
            return None  # rows out of order: a part holds rows of another
    return _join(parsed), parsed[0].merged


def _cuts(xml: bytes, count: int) -> list[tuple[int, int]] | None:
    """[(first worksheet row index (0-based), offset)] where each part's rows begin, then (-1, end of the
    rows): the first part from the start of ``<sheetData>``, the others at a numbered ``<row>``."""
    start = xml.find(_DATA_START)
    end = xml.rfind(_DATA_END)
    if start < 0 or end < start or xml.find(_DATA_START, start + 1) >= 0:
        return None
    start += len(_DATA_START)
    cuts = [(0, start)]
    for k in range(1, count):
        found = _ROW.search(xml, start + (end - start) * k // count, end)
        if found is None:
            break
        row = int(found.group(1)) - 1
        if found.start() <= cuts[-1][1] or row <= cuts[-1][0]:
            continue
        cuts.append((row, found.start()))
    if len(cuts) < 2:
        return None
    cuts.append((-1, end))
    return cuts


def _package(archive: zipfile.ZipFile, member: str, xml: bytes, cuts: list[tuple[int, int]], k: int) -> bytes:
    """A copy of the package whose sheet holds only the rows of part ``k`` (the sheet stored, not deflated)."""
    head_end, tail_start = cuts[0][1], cuts[-1][1]
    low, high = cuts[k][1], cuts[k + 1][1]
    # the sheet's stated dimension would have calamine size each part for the whole sheet
    head = _DIMENSION.sub(b"", bytes(xml[:head_end]), count=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in archive.infolist():
            if info.filename != member:
                copy_member(archive, info, target)
                continue
            view = memoryview(xml)
            entry = zipfile.ZipInfo(member, info.date_time)
            entry.compress_type = zipfile.ZIP_STORED
            entry.file_size = len(head) + (high - low) + (len(xml) - tail_start)
            with target.open(entry, "w", force_zip64=entry.file_size > 0x7FFF0000) as handle:
                handle.write(head)
                handle.write(view[low:high])
                handle.write(view[tail_start:])
    return buffer.getvalue()


@dataclass
class _Part:
    rows: Grid  # the part's rows from its first cell's row and column (the first part: from A1)
    first: int  # the worksheet row index (0-based) of rows[0]
    column: int  # the column index of each row's first value
    merged: list


def _parse(box: list[bytes], sheet: str, from_a1: bool) -> _Part:
    """Parse the package in ``box`` (taken out: calamine keeps its own copy, ours is freed at once)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(box.pop()))
    try:
        found = book.get_sheet_by_name(sheet)
        merged = list(found.merged_cell_ranges or ())
        if from_a1:
            return _Part(found.to_python(skip_empty_area=False), 0, 0, merged)
        if found.start is None:
            return _Part([], 0, 0, merged)
        (row, column), rows = found.start, found.to_python(skip_empty_area=True)
        return _Part(rows, row, column, merged)
    finally:
        book.close()


def _join(parts: list[_Part]) -> Grid:
    """One grid from A1, every row as wide as the widest, from the parts' rows."""
    width = max((part.column + len(part.rows[0]) for part in parts if part.rows), default=0)
    joined: Grid = []
    for part in parts:
        if not part.rows:
            continue
        joined.extend([""] * width for _ in range(part.first - len(joined)))
        left, right = [""] * part.column, [""] * (width - part.column - len(part.rows[0]))
        joined.extend(part.rows if not (left or right) else [left + row + right for row in part.rows])
    return joined
