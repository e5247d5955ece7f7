"""CSV in the model-workbook layout: ';' separated, UTF-8 with a BOM (Excel in Brazil opens it right).

A value that Excel would take for a formula (starting with =, +, -, @, tab or CR) gets a leading
apostrophe, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from crmxl.domain.formats import format_date
from crmxl.schema import Template, key_headers
from crmxl.services.progress import Progress, no_progress
from crmxl.workbook.files import written_atomically

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# a value that begins like a formula gets an apostrophe (Excel's text prefix); so does one that begins with an
# apostrophe, so that the reader, which takes one off, gives it back as it was
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return format_date(value)
    text = str(value)
    return "'" + text if text.startswith(ESCAPED_STARTS) else text


def write_csv(out: Path, tpl: Template, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, lang: str = "en",
              progress: Progress = no_progress) -> int:
    count = 0
    with written_atomically(Path(out)) as temp, temp.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow([tpl.column(c).header(lang) for c in columns] + list(key_headers(tpl.id, columns)))
        for count, row in enumerate(rows, start=1):
            writer.writerow([cell_text(v) for v in row])
            if count % 5000 == 0:
                progress("write", count, None)
    progress("write", count, count)
    return count
