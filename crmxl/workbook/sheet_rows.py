"""The data rows of a model workbook, written as worksheet XML directly (exports of many rows).

xlsxwriter builds everything else of the workbook (header, notes, formats, dropdowns, the other
sheets); its per-cell machinery is most of an export's time, so the rows themselves are rendered
here -- strings as inline strings, numbers and booleans as values, dates as serials in the date
format -- into a temporary file, and spliced into the data sheet's ``<sheetData>``, with the sheet's
``<dimension>`` set to the real extent. Memory stays flat: rows stream from the iterator to disk,
and from disk into the package.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from crmxl.domain.formats import format_date
from crmxl.schema import column_letter
from crmxl.services.progress import Progress
from crmxl.workbook.patch.package import inline_string

DATA_PART = "xl/worksheets/sheet1.xml"  # the first sheet xlsxwriter adds: the data sheet
COMPRESS_LEVEL = 1  # the rows are most of the package: fast deflate, a slightly bigger file
FLUSH_ROWS = 2000
_EPOCH = dt.datetime(1899, 12, 30)
SERIAL_YEARS = 1901  # before, Excel's serials are off (its 29/02/1900) or none: such a date is written as text
# anything that needs more than the plain form: XML specials, characters XML cannot hold, a literal
# _xHHHH_, leading or trailing spaces, line breaks
_SPECIAL = re.compile("[&<>\x00-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|^\\s|\\s$")
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')


class RowWriter:
    """Renders rows (1-based worksheet numbers from ``first_row``) into a temporary file."""

    def __init__(self, width: int, first_row: int, date_style: int | None) -> None:
        self.letters = [column_letter(i) for i in range(width)]
        self.next_row = first_row
        self.date_style = date_style
        self.file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self._pending: list[str] = []

    def add(self, values: Sequence[Any]) -> None:
        number = str(self.next_row)
        cells = []
        for letter, value in zip(self.letters, values):
            if value is None or value == "":
                continue
            cls = value.__class__
            if cls is str:
                if _SPECIAL.search(value) is None:
                    cells.append(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
                else:
                    cells.append(f'<c r="{letter}{number}" t="inlineStr">{inline_string(value)}</c>')
            elif cls is int or cls is float or cls is Decimal:
                cells.append(f'<c r="{letter}{number}"><v>{float(value)!r}</v></c>' if cls is not int
                             else f'<c r="{letter}{number}"><v>{value}</v></c>')
            elif cls is bool:
                cells.append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, dt.date) and self.date_style is not None and value.year >= SERIAL_YEARS:
                cells.append(f'<c r="{letter}{number}" s="{self.date_style}"><v>{_serial(value)!r}</v></c>')
            elif isinstance(value, dt.date):
                cells.append(f'<c r="{letter}{number}" t="inlineStr">{inline_string(format_date(value))}</c>')
            else:
                cells.append(f'<c r="{letter}{number}" t="inlineStr">{inline_string(str(value))}</c>')
        self._pending.append(f'<row r="{number}">{"".join(cells)}</row>')
        self.next_row += 1
        if len(self._pending) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        self.file.write("".join(self._pending))
        self._pending.clear()

    def close(self) -> None:
        self.file.close()


def _serial(value: dt.date) -> float | int:
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400
    return (value - _EPOCH.date()).days


def write_rows(rows: Iterable[Sequence[Any]], width: int, first_row: int, date_style: int | None,
               progress: Progress, extra: Iterable[Sequence[Any]] = ()) -> tuple[RowWriter, int]:
    """Render ``rows`` (then ``extra``, rows not counted); returns the writer and how many ``rows`` there were."""
    writer = RowWriter(width, first_row, date_style)
    count = 0
    try:
        for count, values in enumerate(rows, start=1):
            writer.add(values)
            if count % 5000 == 0:
                progress("write", count, None)
        for values in extra:
            writer.add(values)
        writer.flush()
    except BaseException:
        writer.close()
        raise
    progress("write", count, count)
    return writer, count


def splice(book: Path, target: Path, writer: RowWriter, width: int) -> None:
    """Copy ``book`` (xlsxwriter's package, header only) to ``target`` with ``writer``'s rows in its data sheet."""
    last_row = writer.next_row - 1
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED,
                                                          compresslevel=COMPRESS_LEVEL) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != DATA_PART:
                out.writestr(info, data)
                continue
            xml = data.decode("utf-8")
            end = xml.rindex("</sheetData>")
            head = _DIMENSION.sub(f'<dimension ref="A1:{column_letter(width - 1)}{last_row}"/>', xml[:end], count=1)
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            with out.open(entry, "w", force_zip64=True) as part:
                part.write(head.encode("utf-8"))
                writer.file.seek(0)
                while chunk := writer.file.read(1 << 20):
                    part.write(chunk.encode("utf-8"))
                part.write(xml[end:].encode("utf-8"))

