"""What the review page of an upload shows, kept beside its plan.

The plan of a large upload is big (100,000 rows: ~40 MB pickled, seconds to load); the page needs only the few
columns it shows, the messages of the rows with findings, and the counts. This view is made once, when the
plan is, and each page of the review loads it alone; Next and the annotated workbook still use the whole plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmxl.services.imports import change_lines
from crmxl.web.store import Pending

SHOWN_COLUMNS = 4
SHEET_WARNINGS = 20  # listed in the pop-up; the annotated workbook has them all


@dataclass
class ReviewView:
    token: str
    login: str
    entity: str
    original_name: str
    size: int
    created: float
    first_upload: float  # the plan's lifetime (``store``) is the view's
    upload: Path
    total: int  # data rows in the file
    counts: dict[str, int]
    changes: list[tuple[str, str]]
    error_count: int
    error_rows: int
    warning_count: int
    sheet_warnings: list[str]
    headers: dict[str, list[str]]  # language -> the shown columns' headers
    rows: list[tuple[int, tuple[Any, ...]]]  # (worksheet row, the shown columns' values)
    messages: dict[int, list[str]]  # row -> its errors
    warnings: dict[int, list[str]]  # row -> its warnings

    def page(self, number: int, size: int, errors_only: bool) -> tuple[list[tuple], int, int]:
        """The rows of page ``number`` (row, values, errors, warnings), the page shown and the page count."""
        shown = [r for r in self.rows if r[0] in self.messages] if errors_only else self.rows
        pages = max(1, -(-len(shown) // size))
        number = min(max(number, 1), pages)
        rows = [(row, values, self.messages.get(row, []), self.warnings.get(row, []))
                for row, values in shown[(number - 1) * size: number * size]]
        return rows, number, pages


def build_review(pending: Pending) -> ReviewView:
    plan = pending.plan
    messages: dict[int, list[str]] = defaultdict(list)
    warnings: dict[int, list[str]] = defaultdict(list)  # shown too: a warning says what will happen
    for f in plan.result.findings:
        if f.severity in ("error", "warning") and f.row > 0:
            said = f"{f.column or ''}{f.row if f.column else ''}: {f.message}".lstrip(": ")
            (messages if f.severity == "error" else warnings)[f.row].append(said)
    table = plan.table
    data_rows = {row for row, _ in table.rows}
    sheet_warnings = [m for row, ms in sorted(warnings.items()) if row not in data_rows for m in ms]
    fields = [f for f in table.template.fields if f in table.header_map.fields][:SHOWN_COLUMNS]
    where = [table.header_map.fields[f] for f in fields]
    return ReviewView(
        pending.token, pending.login, pending.entity, pending.original_name, pending.size, pending.created,
        pending.first_upload, pending.upload,
        plan.rows, plan.counts(), change_lines(plan, limit=30), len(plan.result.errors), len(plan.error_rows),
        sum(map(len, warnings.values())), sheet_warnings,
        {lang: [table.template.column(f).header(lang) for f in fields] for lang in ("en", "pt-BR")},
        [(row, tuple(values[i] for i in where)) for row, values in table.rows], dict(messages), dict(warnings))
