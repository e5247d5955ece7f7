"""Ordering findings and marking the records they make invalid."""

from __future__ import annotations

from crmxl.validation.model import Finding, ValidationResult


def order_key(finding: Finding) -> tuple:
    column = finding.column
    return (finding.row, column is None, len(column or ""), column or "")


def finalise(result: ValidationResult) -> None:
    """Sort the findings by row then column; a record with an error is not valid."""
    result.findings.sort(key=order_key)
    bad = result.error_rows
    for record in result.records:
        record.valid = record.row not in bad
