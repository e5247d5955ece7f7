"""CSV files as Brazilian Excel saves them: ``;`` or ``,`` separators, UTF-8 (with or without BOM) or Latin-1.

The apostrophe our CSV export puts before a value Excel would take for a formula is taken off again, so an
exported file comes back unchanged.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from crmxl.errors import UnusableInput
from crmxl.workbook.csv_writer import ESCAPED_STARTS


def decode(data: bytes) -> str:
    """UTF-16 with a BOM (Excel's "Unicode text"); UTF-8 (a BOM is dropped); Windows-1252 / Latin-1 otherwise
    (what Excel 'CSV' uses in Brazil)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_delimiter(text: str) -> str:
    """The separator of the first non-empty line: the most frequent of ``;``, ``,`` and tab outside quotes."""
    for line in text.splitlines():
        if line.strip():
            counts = {sep: _count_outside_quotes(line, sep) for sep in (";", ",", "\t")}
            best = max(counts, key=lambda sep: counts[sep])
            return best if counts[best] else ","
    return ","


def _count_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def read_csv_grid(path: Path) -> list[list[str]]:
    """Every record of the file as a list of strings, padded to the same width (row i = line i + 1)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnusableInput("file_unreadable", file=path.name, detail=exc.strerror or str(exc)) from None
    text = decode(data)
    delimiter = detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows = []
    try:
        line = 1
        for row in reader:
            for value in row:  # a quote never closed swallows the next lines into one cell: say so, lose no row
                if "\n" in value and delimiter in value:
                    raise UnusableInput("csv_unclosed_quote", file=path.name, line=line,
                                        lines=reader.line_num - line + 1)
            rows.append(row)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise UnusableInput("csv_unreadable", file=path.name, detail=str(exc)) from None
    width = max((len(r) for r in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        for i, value in enumerate(row):
            if value.startswith("'") and value[1:2] and value[1:].startswith(ESCAPED_STARTS):
                row[i] = value[1:]
    return rows
