"""Import use cases: read + validate + plan (a dry run), commit a plan, report on it.

``plan_import`` writes nothing; ``commit_import`` applies exactly the plan it is given, in one
transaction, and records a batch that ``crmxl undo`` can restore. ``commit_file`` is for a face that
commits a file without showing the plan first (the command line): when another batch made the plan
stale, it plans the file again once and applies the new plan only if it brings no new errors.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from crmxl import i18n
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import without_portfolio_label
from crmxl.domain.formats import format_date
from crmxl.errors import Conflict, UnusableInput
from crmxl.schema import TEMPLATES
from crmxl.services.access import Actor
from crmxl.services.importing.commit import ImportHasErrors, check_fresh, commit_plan
from crmxl.services.importing.model import (
    AccountCreate,
    AccountUpdate,
    ContactCreate,
    ContactUpdate,
    Fingerprint,
    ImportPlan,
    Move,
)
from crmxl.services.importing.plan import build_plan
from crmxl.services.importing.reference import AccountPrefetch, load_reference
from crmxl.services.labels import field_label
from crmxl.services.progress import Progress, no_progress
from crmxl.validation import check_against, validate_cells
from crmxl.validation.model import ValidationResult
from crmxl.validation.speed import paused_gc
from crmxl.workbook.reader import read_table

SUMMARY_CHANGES = 200  # changes listed one by one on the report's Summary sheet


def plan_import(db: Database, actor: Actor, path: Path, template_id: str, *, lang: str | None = None,
                allow_transfers: bool = False, progress: Progress = no_progress,
                shown_name: str | None = None) -> ImportPlan:
    """Read, validate and plan the import of ``path`` (a copy of the user's ``shown_name``, if given):
    nothing is written. Messages are in ``lang``, or when none is given in the language of the file's headers."""
    tpl = TEMPLATES.get(template_id)
    if tpl is None:
        raise UnusableInput("import_template_unknown", template=template_id, known=", ".join(TEMPLATES))
    table = read_table(Path(path), tpl, progress=progress)
    table.shown_name = shown_name
    lang = lang or table.lang
    prefetch = AccountPrefetch(db)  # the accounts of the file's numbers, read while the rest is validated
    result = validate_cells(table, lang=lang, progress=progress, on_numbers=prefetch.start)
    return plan_result(db, actor, result, lang=lang, allow_transfers=allow_transfers, progress=progress,
                       prefetch=prefetch)


def plan_result(db: Database, actor: Actor, result: ValidationResult, *, lang: str = "en",
                allow_transfers: bool = False, progress: Progress = no_progress,
                prefetch: AccountPrefetch | None = None) -> ImportPlan:
    """Plan from an already validated table (any face: a file, a live workbook, an upload)."""
    table = result.table
    total = result.rows
    progress("plan", 0, total)
    with paused_gc():
        with db.transaction() as conn:
            lookup = load_reference(conn, actor, result, prefetch)
        check_against(result, lookup.ref, lang=lang, allow_transfers=allow_transfers)
        plan = ImportPlan(result=result, actor=actor.login, template_id=table.template.id,
                          template_version=table.template_version, file_name=table.name,
                          sha256=table.sha256, allow_transfers=allow_transfers, lang=lang)
        build_plan(plan, lookup)
    progress("plan", total, total)
    return plan


def commit_import(db: Database, actor: Actor, plan: ImportPlan, *, skip_invalid: bool = False,
                  progress: Progress = no_progress) -> int | None:
    """Apply ``plan`` in one transaction; returns the batch id (None: the plan changes nothing).

    Raises ``ImportHasErrors`` (exit 1) when the plan has errors and ``skip_invalid`` is false,
    ``Conflict('plan_stale')`` when the database changed since the plan, ``PermissionDenied``
    when ``actor`` may not apply it.
    """
    return commit_plan(db, actor, plan, skip_invalid=skip_invalid, progress=progress)


REPLAN_CODES = {"plan_stale", "concurrent_change"}  # the database moved under the plan: plan again
REPLANS = 3  # a deadlock's victim may plan again before the winner committed: it then waits and is stale once more


def commit_file(db: Database, actor: Actor, plan: ImportPlan, path: Path, *, skip_invalid: bool = False,
                progress: Progress = no_progress) -> tuple[ImportPlan, int | None]:
    """``commit_import(plan)``, re-planned from ``path`` if another commit made the plan stale.

    Returns (the plan applied, batch id). A new plan is applied only if the file is unchanged and it has
    no error rows the first plan did not have (with ``skip_invalid``: the rows the user agreed to skip);
    otherwise ``Conflict('plan_stale_replanned')`` and nothing is written. Gives up with
    ``Conflict('plan_stale_twice')`` after ``REPLANS`` new plans.
    """
    current = plan
    for attempt in range(REPLANS + 1):
        try:
            return current, commit_import(db, actor, current, skip_invalid=skip_invalid, progress=progress)
        except Conflict as exc:
            if exc.code not in REPLAN_CODES:
                raise
            if attempt == REPLANS:
                raise Conflict("plan_stale_twice", file=plan.file_name, reason=exc.render(plan.lang)) from None
            stale = exc
        current = plan_import(db, actor, path, plan.template_id, lang=plan.lang,
                              allow_transfers=plan.allow_transfers, progress=progress)
        new_errors = sorted(current.error_rows - plan.error_rows)
        if current.sha256 != plan.sha256 or new_errors or (current.has_errors and not skip_invalid):
            raise Conflict("plan_stale_replanned", file=plan.file_name, reason=stale.render(plan.lang),
                           rows=", ".join(map(str, new_errors[:10])) or "-")
    raise AssertionError("unreachable")


def plan_as_json(plan: ImportPlan, *, committed: bool = False, batch_id: int | None = None,
                 details: bool = False) -> dict[str, Any]:
    """The JSON object of DESIGN.md §4 (plus ``committed_rows`` / ``reported_rows``, and the changes
    themselves with ``details``)."""
    table = plan.table
    reported = len(plan.error_rows)
    data: dict[str, Any] = {
        "file": table.file,
        "sheet": table.sheet,
        "template": plan.template_id,
        "template_version": plan.template_version,
        "rows": plan.rows,
        "valid_rows": plan.valid_rows,
        "committed": committed,
        "batch_id": batch_id,
        "committed_rows": plan.valid_rows if committed else 0,
        "reported_rows": reported,
        "errors": len(plan.result.errors),
        "findings": [f.as_json() for f in plan.result.findings],
        "plan": plan.counts(),
        "fingerprint": plan.fingerprint.digest,
    }
    if details:
        data["changes"] = change_lines(plan, limit=None)
    return data


def _show(value: Any, lang: str) -> str:
    if value is None or value == ():
        return "—"
    if isinstance(value, tuple | list):
        return "; ".join(map(str, value))
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value)


def change_lines(plan: ImportPlan, limit: int | None = SUMMARY_CHANGES) -> list[tuple[str, str]]:
    """(label, what changes) per planned change, in row order: for the Summary sheet and the details.

    Only the first ``limit`` changes are put into words (a plan may hold 100,000 of them)."""
    lang = plan.lang
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    login = lambda v: v or without_portfolio_label(lang)  # noqa: E731

    def account_create(c: AccountCreate) -> tuple[str, str]:
        return t("change_account_create", row=c.row, number=display_account_number(c.number)), login(c.owner)

    def account_update(u: AccountUpdate) -> tuple[str, str]:
        parts = [f"{field_label('accounts', k, lang)}: "
                 f"{login(o) if k == 'owner' else _show(o, lang)} → {login(n) if k == 'owner' else _show(n, lang)}"
                 for k, (o, n) in u.changes.items()]
        return t("change_account_update", row=u.row, number=display_account_number(u.number)), ", ".join(parts)

    def contact_create(c: ContactCreate) -> tuple[str, str]:
        return t("change_contact_create", row=c.row, identifier=display_account_number(c.identifier)), c.name

    def contact_update(u: ContactUpdate) -> tuple[str, str]:
        parts = [f"{field_label('contacts', k, lang)}: {_show(o, lang)} → {_show(n, lang)}"
                 for k, (o, n) in u.changes.items()]
        return t("change_contact_update", row=u.row, identifier=display_account_number(u.identifier),
                 name=u.name), ", ".join(parts)

    changes: list[tuple[int, Any, Any]] = []
    for items, words in ((plan.accounts_create, account_create), (plan.accounts_update, account_update),
                         (plan.contacts_create, contact_create), (plan.contacts_update, contact_update)):
        changes += [(item.row, words, item) for item in items]
    changes.sort(key=lambda change: change[0])  # stable: on one row, accounts before contacts
    chosen = [words(item) for _, words, item in (changes if limit is None else changes[:limit])]
    if limit is not None and len(changes) > limit:
        chosen.append((t("change_more", count=len(changes) - limit), ""))
    return chosen


def write_import_report(plan: ImportPlan, out_path: Path, lang: str | None = None, *,
                        batch_id: int | None = None) -> Path:
    """The user's workbook with the findings marked, and a Summary sheet with the plan and its changes (and,
    after a commit, its batch)."""
    lang = lang or plan.lang
    summary: dict[str, Any] = {}
    if batch_id is not None:
        summary["committed"] = i18n.message("report_committed", lang, batch=batch_id)
    summary.update(plan.counts())
    for label, text in change_lines(plan):
        summary[label] = text
    return _report(plan.table, plan.result, Path(out_path), lang, summary)


def write_cells_report(path: Path, template_id: str, out_path: Path, *, lang: str = "en") -> Path:
    """The report of the cell, row and in-file rules only (no database): for when the database cannot be used."""
    tpl = TEMPLATES.get(template_id)
    if tpl is None:
        raise UnusableInput("import_template_unknown", template=template_id, known=", ".join(TEMPLATES))
    result = validate_cells(read_table(Path(path), tpl), lang=lang)
    return _report(result.table, result, Path(out_path), lang, None)


REPORT_SUFFIXES = (".xlsx", ".xlsm")  # a report is a workbook, whatever the input was


def check_report_target(plan: ImportPlan, out: Path) -> None:
    """Refuse a report name before anything is committed: a workbook is never written under another
    format's name (the user's own CSV would be replaced), and an .xlsm name needs an .xlsm workbook (Excel
    refuses to open an .xlsx under it)."""
    _check_target(plan.table, Path(out))


def _check_target(table: Any, out: Path) -> None:
    if out.suffix.lower() not in REPORT_SUFFIXES or (
            out.suffix.lower() == ".xlsm" and Path(table.file).suffix.lower() != ".xlsm"):
        raise UnusableInput("report_suffix", path=str(out))


def _report(table: Any, result: ValidationResult, out: Path, lang: str, summary: dict[str, Any] | None) -> Path:
    from crmxl.workbook.report import write_report

    _check_target(table, out)
    try:
        return write_report(table, result, out, lang=lang, summary=summary)
    except OSError as exc:  # unwritable folder, disk full, a file where a folder should be: the input is untouched
        raise UnusableInput("report_unwritable", path=str(out), detail=exc.strerror or str(exc)) from None


i18n.register(
    {
        "import_template_unknown": {
            "en": "There is no template '{template}' (known: {known}).",
            "pt-BR": "Não existe o modelo '{template}' (conhecidos: {known}).",
        },
        "change_account_create": {"en": "Row {row}: create account {number}",
                                  "pt-BR": "Linha {row}: criar conta {number}"},
        "change_account_update": {"en": "Row {row}: update account {number}",
                                  "pt-BR": "Linha {row}: atualizar conta {number}"},
        "change_contact_create": {"en": "Row {row}: create contact of {identifier}",
                                  "pt-BR": "Linha {row}: criar contato de {identifier}"},
        "change_contact_update": {"en": "Row {row}: update contact {name} of {identifier}",
                                  "pt-BR": "Linha {row}: atualizar contato {name} de {identifier}"},
        "report_committed": {"en": "as batch {batch} (undo with `crmxl undo {batch}`)",
                             "pt-BR": "como lote {batch} (desfaça com `crmxl undo {batch}`)"},
        "import_nothing_valid_to_do": {
            "en": "Nothing was committed: the valid rows are already in the CRM; {rows:plural:row with errors is:rows with errors are} reported.",
            "pt-BR": "Nada foi gravado: as linhas válidas já estão no CRM; {rows:plural:linha com erros foi relatada:linhas com erros foram relatadas}."},
        "import_nothing_to_do": {"en": "The data is correct and already in the CRM: nothing was imported.",
                                 "pt-BR": "Os dados estão corretos e já estão no CRM: nada foi importado."},
        "report_suffix": {
            "en": "The report is an Excel workbook without macros: name it .xlsx, not {path} (.xlsm only for an "
                  ".xlsm file). Nothing was changed.",
            "pt-BR": "O relatório é uma planilha do Excel sem macros: dê a ele um nome .xlsx, não {path} (.xlsm só "
                     "para um arquivo .xlsm). Nada foi alterado.",
        },
        "report_unwritable": {
            "en": "The report cannot be written to {path}: {detail}. Nothing else was changed.",
            "pt-BR": "O relatório não pode ser gravado em {path}: {detail}. Nada mais foi alterado.",
        },
        "plan_stale_replanned": {
            "en": "Nothing was committed from {file}: another batch changed the database in the meantime "
                  "({reason}), and planned again the file has new errors (rows {rows}). Validate it again.",
            "pt-BR": "Nada foi gravado de {file}: outro lote alterou o banco de dados nesse meio tempo "
                     "({reason}), e com o novo plano o arquivo tem erros novos (linhas {rows}). Valide-o novamente.",
        },
        "plan_stale_twice": {
            "en": "Nothing was committed from {file}: other batches keep changing the same rows ({reason}). "
                  "Try again in a moment.",
            "pt-BR": "Nada foi gravado de {file}: outros lotes continuam alterando as mesmas linhas ({reason}). "
                     "Tente novamente daqui a pouco.",
        },
        "change_more": {"en": "... and {count:plural:more change:more changes}", "pt-BR": "... e mais {count:plural:alteração:alterações}"},
    }
)

__all__ = [
    "AccountCreate",
    "AccountUpdate",
    "ContactCreate",
    "ContactUpdate",
    "Fingerprint",
    "ImportHasErrors",
    "ImportPlan",
    "Move",
    "change_lines",
    "check_report_target",
    "check_fresh",
    "commit_file",
    "commit_import",
    "plan_as_json",
    "plan_import",
    "plan_result",
    "write_cells_report",
    "write_import_report",
]
