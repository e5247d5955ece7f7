"""Findings about the sheet itself (stamp, unknown and repeated columns, cells whose values do not show
what the sheet holds: error values, formulas, hidden rows, merged cells), derived from the ``Table``.

They are derived rather than stored so every face renders them in its own language.
"""

from __future__ import annotations


from crmxl.i18n import message
from crmxl.schema import column_letter
from crmxl.validation import messages  # noqa: F401  (registers the catalogue)
from crmxl.validation.model import Finding, Severity, Table


def sheet_findings(table: Table, lang: str = "en") -> list[Finding]:
    tpl = table.template
    findings: list[Finding] = []
    if table.template_version is None:
        findings.append(_finding(0, None, "template_unstamped", "notice", lang, sheet=table.sheet,
                                 file=table.name, template=tpl.id))
    elif table.template_version != tpl.version:
        findings.append(_finding(0, None, "template_version_older", "notice", lang, file=table.name,
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
    if not table.rows:
        findings.append(_finding(row, None, "no_data_rows", "warning", lang, file=table.name, sheet=table.sheet,
                                 header_row=row))
    findings += _unnamed_findings(table, lang)
    findings += _mark_findings(table, lang)
    return findings


def _unnamed_findings(table: Table, lang: str) -> list[Finding]:
    """A column with no header is not imported: say so when it holds something."""
    found: list[Finding] = []
    for index in table.header_map.unnamed:
        first = next((number for number, row in table.rows if index < len(row) and not _blank(row[index])), None)
        if first is not None:
            found.append(_finding(table.header_row, column_letter(index), "unnamed_column", "warning", lang,
                                  column=column_letter(index), first=first, template=table.template.id))
    return found


def _blank(value: object) -> bool:
    return value is None or value == "" or (value.__class__ is str and value.isspace())


def _mark_findings(table: Table, lang: str) -> list[Finding]:
    """An error value, a formula saved without its result, are errors (the cell reads as empty); a formula,
    a hidden row, merged cells warn."""
    marks = table.marks
    if not (marks.errors or marks.formulas or marks.uncomputed or marks.hidden_rows or marks.merged
            or marks.hidden_columns):
        return []
    hm = table.header_map
    fields = {index: name for name, index in {**hm.hidden, **hm.fields}.items()}
    data_rows = {number for number, _ in table.rows} if marks.formulas or marks.hidden_rows else set()
    name = table.name
    found: list[Finding] = []

    def add(row: int, col: int, code: str, severity: Severity, **params: object) -> None:
        letter = column_letter(col)
        found.append(Finding(row, letter, fields.get(col), code, severity,
                             message(code, lang, cell=f"{letter}{row}", file=name, **params)))

    for (row, col), value in sorted(marks.errors.items()):
        if row > table.header_row and col in fields:
            add(row, col, "cell_error_value", "error", value=value)
    for row, col in sorted(marks.uncomputed - set(marks.errors)):
        if row > table.header_row and col in fields:
            add(row, col, "formula_without_value", "error")
    for row, col in sorted(marks.formulas - set(marks.errors) - marks.uncomputed):
        if row in data_rows and col in fields:
            add(row, col, "formula_cached_value", "warning")
    shown = {index: name for name, index in hm.fields.items()}  # the key columns of an export are hidden: fine
    for col in sorted(marks.hidden_columns):
        if col in shown and table.rows:
            add(table.header_row, col, "hidden_column", "warning", column=column_letter(col),
                header=table.template.column(shown[col]).header(table.lang))
    for row in sorted(marks.hidden_rows & data_rows):
        found.append(Finding(row, None, None, "hidden_row", "warning", message("hidden_row", lang, row=row, file=name)))
    for (top, left), (bottom, right) in marks.merged:
        if bottom + 1 > table.header_row and any(c in fields for c in range(left, right + 1)):
            cells = f"{column_letter(left)}{top + 1}:{column_letter(right)}{bottom + 1}"
            add(top + 1, left, "merged_cells", "warning", cells=cells)
    return found


def _field_of(table: Table, header: str) -> str | None:
    from crmxl.schema import map_headers

    mapped = map_headers(table.template, [header]).fields
    return next(iter(mapped), None)


def _finding(row: int, letter: str | None, code: str, severity, lang: str, **params: object) -> Finding:
    return Finding(row, letter, None, code, severity, message(code, lang, **params))
