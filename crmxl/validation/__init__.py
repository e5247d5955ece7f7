"""Validation: cell -> row -> file rules (``validate_cells``), then the database rules (``check_against``).

The same functions run for every face (a file on disk, a live workbook, an upload), so the same
cells give the same findings.
"""

from __future__ import annotations

from collections.abc import Callable

from crmxl.schema import column_letter
from crmxl.services.progress import Progress, no_progress
from crmxl.validation.database import AmbiguousContact, check_against, resolve_contact
from crmxl.validation.findings import finalise
from crmxl.validation.in_file import check_duplicates
from crmxl.validation.model import Table, ValidationResult
from crmxl.validation.rows import TableRules
from crmxl.validation.sheet import sheet_findings
from crmxl.validation.speed import paused_gc

def validate_cells(table: Table, *, lang: str = "en", progress: Progress = no_progress,
                   on_numbers: Callable[[list[str]], None] | None = None) -> ValidationResult:
    """Cell, row and in-file rules (no database): a ``Record`` per non-blank row and the findings.
    ``on_numbers`` gets the well-formed account numbers as soon as they are known (``TableRules.run``)."""
    total = len(table.rows)
    progress("validate", 0, total)
    with paused_gc():
        rules = TableRules(table, lang)
        records, findings = rules.run(on_numbers)
        unread = table.unread_cells
        if unread:  # such a cell reads as empty: say why, not what follows from it ("mandatory")
            marked = {(row, column_letter(col)) for row, col in unread}
            findings = [f for f in findings if (f.row, f.column) not in marked]
        findings[:0] = sheet_findings(table, lang)
        check_duplicates(table, records, findings, rules.render)
        result = ValidationResult(table=table, records=records, findings=findings)
        finalise(result)
    progress("validate", total, total)
    return result


__all__ = ["AmbiguousContact", "check_against", "resolve_contact", "validate_cells"]
