"""Findings about the sheet as a whole (stamp, unknown and repeated columns), derived from the ``Table``.

They are derived rather than stored so every face renders them in its own language.
"""

from __future__ import annotations

from pathlib import Path

from crmxl.i18n import message
from crmxl.schema import column_letter
from crmxl.validation import messages  # noqa: F401  (registers the catalogue)
from crmxl.validation.model import Finding, Table


def sheet_findings(table: Table, lang: str = "en") -> list[Finding]:
    tpl = table.template
    findings: list[Finding] = []
    if table.template_version is None:
        findings.append(_finding(0, None, "template_unstamped", "notice", lang, sheet=table.sheet,
                                 file=Path(table.file).name, template=tpl.id))
    elif table.template_version != tpl.version:
        findings.append(_finding(0, None, "template_version_older", "notice", lang, file=Path(table.file).name,
                                 version=table.template_version, template=tpl.id, current=tpl.version))
    row = table.header_row
    for index, header in table.header_map.unknown:
        findings.append(_finding(row, column_letter(index), "unknown_column", "warning", lang,
                                 header=header.strip(), column=column_letter(index), template=tpl.id))
    for index, header in table.header_map.duplicates:
        field = _field_of(table, header)
        first = table.letter(field) if field else "?"
        findings.append(_finding(row, column_letter(index), "duplicate_column", "warning", lang,
                                 header=header.strip(), column=column_letter(index), first=first))
    return findings


def _field_of(table: Table, header: str) -> str | None:
    from crmxl.schema import map_headers

    mapped = map_headers(table.template, [header]).fields
    return next(iter(mapped), None)


def _finding(row: int, letter: str | None, code: str, severity, lang: str, **params: object) -> Finding:
    return Finding(row, letter, None, code, severity, message(code, lang, **params))
