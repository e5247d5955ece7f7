"""The ``Summary`` sheet of a report: the verdict, the counts by rule, the plan."""

from __future__ import annotations

from collections import Counter

from openpyxl.styles import Font
from openpyxl.workbook.workbook import Workbook

from crmxl import i18n
from crmxl.i18n import message
from crmxl.schema import SUMMARY_SHEET
from crmxl.validation.model import Finding, Table, ValidationResult

TITLE_PREFIX = "crmxl"

i18n.register(
    {
        "summary_title": {"en": "crmxl - import summary", "pt-BR": "crmxl - resumo da importação"},
        "summary_file": {"en": "File", "pt-BR": "Arquivo"},
        "summary_sheet": {"en": "Sheet", "pt-BR": "Aba"},
        "summary_template": {"en": "Template", "pt-BR": "Modelo"},
        "summary_version": {"en": "Template version", "pt-BR": "Versão do modelo"},
        "summary_unstamped": {"en": "(no stamp)", "pt-BR": "(sem marca)"},
        "summary_rows": {"en": "Rows", "pt-BR": "Linhas"},
        "summary_valid_rows": {"en": "Valid rows", "pt-BR": "Linhas válidas"},
        "summary_error_rows": {"en": "Rows with errors", "pt-BR": "Linhas com erros"},
        "summary_errors": {"en": "Errors", "pt-BR": "Erros"},
        "summary_warnings": {"en": "Warnings", "pt-BR": "Avisos"},
        "summary_correct": {"en": "The data is correct.", "pt-BR": "Os dados estão corretos."},
        "summary_incorrect": {
            "en": "Warning: {errors:plural:error:errors} in {rows:plural:row:rows}; see the red cells and the Errors column.",
            "pt-BR": "Atenção: {errors:plural:erro:erros} em {rows:plural:linha:linhas}; veja as células vermelhas e a coluna Erros.",
        },
        "summary_by_rule": {"en": "Findings by rule", "pt-BR": "Ocorrências por regra"},
        "summary_code": {"en": "Rule", "pt-BR": "Regra"},
        "summary_severity": {"en": "Severity", "pt-BR": "Gravidade"},
        "summary_count": {"en": "Count", "pt-BR": "Quantidade"},
        "summary_example": {"en": "First occurrence", "pt-BR": "Primeira ocorrência"},
        "summary_plan": {"en": "Plan", "pt-BR": "Plano"},
        "summary_notes": {"en": "Notes", "pt-BR": "Observações"},
    }
)


def remove_summary(book: Workbook) -> None:
    """Drop the Summary sheet(s) an earlier run wrote (recognised by their title cell)."""
    for name in list(book.sheetnames):
        sheet = book[name]
        if name in SUMMARY_SHEET.values() or name.startswith(tuple(f"{v} (" for v in SUMMARY_SHEET.values())):
            title = sheet["A1"].value if hasattr(sheet, "cell") else None
            if isinstance(title, str) and title.startswith(TITLE_PREFIX):
                book.remove(sheet)


def _sheet_name(book: Workbook, lang: str) -> str:
    base = SUMMARY_SHEET.get(lang, SUMMARY_SHEET["en"])
    name, n = base, 1
    while name in book.sheetnames:  # the user has a sheet of that name: do not touch it
        n += 1
        name = f"{base} ({n})"
    return name


def write_summary(book: Workbook, table: Table, result: ValidationResult, findings: list[Finding], *,
                  lang: str, summary: dict | None) -> None:
    sheet = book.create_sheet(_sheet_name(book, lang))
    bold = Font(bold=True)
    t = lambda code, **p: message(code, lang, **p)  # noqa: E731
    errors = [f for f in findings if f.severity == "error"]
    error_rows = {f.row for f in errors}
    data_rows = {row for row, _ in table.rows}
    sheet.append([t("summary_title")])
    sheet["A1"].font = Font(bold=True, size=14)
    bad_rows = len(error_rows & data_rows) + (1 if error_rows - data_rows else 0)
    verdict = (t("summary_incorrect", errors=len(errors), rows=bad_rows) if errors
               else t("summary_correct") if data_rows else t("import_no_rows"))
    sheet.append([verdict])
    sheet["A2"].font = bold
    sheet.append([])
    lines = [
        ("summary_file", table.name),
        ("summary_sheet", table.sheet),
        ("summary_template", table.template.sheet(lang)),  # its name in the language, not its key
        ("summary_version", table.template_version or t("summary_unstamped")),
        ("summary_rows", len(table.rows)),
        ("summary_valid_rows", len(data_rows - error_rows)),
        ("summary_error_rows", len(data_rows & error_rows)),
        ("summary_errors", len(errors)),
        ("summary_warnings", sum(1 for f in findings if f.severity == "warning")),
    ]
    for code, value in lines:
        sheet.append([t(code), value])
    if summary:
        sheet.append([])
        sheet.append([t("summary_plan")])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for key, value in summary.items():
            label = t(f"plan_{key}") if i18n.has_message(f"plan_{key}") else str(key)
            sheet.append([label, value if isinstance(value, int | float | str) else str(value)])
    counts = Counter((f.code, f.severity) for f in findings)
    if counts:
        sheet.append([])
        sheet.append([t("summary_by_rule")])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append([t("summary_code"), t("summary_severity"), t("summary_count"), t("summary_example")])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        first: dict[tuple[str, str], Finding] = {}
        for f in findings:
            first.setdefault((f.code, f.severity), f)
        order = {"error": 0, "warning": 1, "notice": 2}
        for (code, severity), count in sorted(counts.items(), key=lambda kv: (order[kv[0][1]], -kv[1])):
            example = first[(code, severity)]
            where = f"{example.column or ''}{example.row}: " if example.row else ""
            sheet.append([code, t(f"severity_{severity}"), count, where + example.message])
    notes = [f for f in findings if f.row == 0]
    if notes:
        sheet.append([])
        sheet.append([t("summary_notes")])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for f in notes:
            sheet.append([f.message])
    for letter, width in (("A", 30), ("B", 22), ("C", 12), ("D", 90)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # a user's text that starts with '=' (a name, a message quoting it) stays text
                cell.data_type = "s"
