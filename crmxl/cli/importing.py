"""`crmxl import accounts|contacts FILE`: validate and plan (a dry run), or commit with `--commit`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmxl import i18n
from crmxl.cli.common import (
    AsOption,
    DbOption,
    LangOption,
    acting_user,
    console,
    error_text,
    err_console,
    open_database,
    progress_bar,
    settings,
)
from crmxl.domain.enums import without_portfolio_label
from crmxl.errors import CrmxlError, DatabaseUnavailable
from crmxl.services.imports import (
    ImportPlan,
    check_report_target,
    commit_file,
    plan_as_json,
    plan_import,
    write_cells_report,
    write_import_report,
)

MOVES_SHOWN = 10

import_app = typer.Typer(help="Validate a model workbook against the database, plan the changes, commit them.",
                         no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="The workbook (.xlsx/.xlsm) or CSV file to import.")]
CommitOption = Annotated[bool, typer.Option("--commit", help="Apply the plan (default: a dry run that writes nothing).")]
ReportOption = Annotated[Path | None, typer.Option("--report", help="Write the workbook with bad cells marked, an "
                                                   "Errors column and a Summary sheet to this file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")]
SkipOption = Annotated[bool, typer.Option("--skip-invalid", help="With --commit: commit the valid rows and report "
                                          "the others (default: any error and nothing is committed).")]
TransfersOption = Annotated[bool, typer.Option("--allow-transfers", help="Allow rows that move accounts between "
                                               "portfolios (otherwise they are errors).")]


def run_import(entity: str, file: Path, *, commit: bool, report: Path | None, as_json: bool, db: str | None,
               as_login: str | None, skip_invalid: bool, allow_transfers: bool, lang: str | None) -> int:
    cfg = settings(db=db, login=as_login, lang=lang)
    try:
        database = open_database(cfg.database_url)
        try:
            actor = acting_user(database, cfg.login)
            batch_id = None
            with progress_bar(not as_json) as progress:
                # messages in the language chosen, else in the file's own (a Portuguese template: Portuguese)
                plan = plan_import(database, actor, file, entity, lang=cfg.lang if cfg.lang_chosen else None,
                                   allow_transfers=allow_transfers, progress=progress)
                checked = plan
                if report is not None:
                    check_report_target(plan, report)  # a name refused is refused before the commit
                try:
                    if commit and (skip_invalid or not plan.has_errors):
                        plan, batch_id = commit_file(database, actor, plan, file, skip_invalid=skip_invalid,
                                                     progress=progress)  # re-planned: the plan applied
                finally:  # also when the commit is refused: the report of what the file holds
                    if report is not None:
                        try:
                            write_import_report(plan, report, batch_id=batch_id)
                        except CrmxlError as exc:  # e.g. a full disk: after a commit, still say its batch
                            if batch_id is None:
                                raise
                            err_console.print(error_text(exc.render(plan.lang), lang=plan.lang), highlight=False)
        finally:
            database.dispose()
    except CrmxlError as exc:
        if isinstance(exc, DatabaseUnavailable) and report is not None and not commit:
            # the cell checks need no database: still write their report
            write_cells_report(file, entity, report, lang=cfg.lang)
            err_console.print(i18n.message("cli_import_cells_report", cfg.lang, path=str(report)), highlight=False)
        if as_json:  # the one JSON object, saying why there is no plan (the message goes to stderr too)
            typer.echo(json.dumps({"file": str(file), "committed": False, "batch_id": None,
                                   "error": {"code": exc.code, "message": exc.render(cfg.lang),
                                             "exit_code": exc.exit_code}}, ensure_ascii=False))
            exc.answered_json = True
        raise
    replanned = plan is not checked  # another commit came first: the file was planned again, and that applied
    if as_json:
        typer.echo(json.dumps({**plan_as_json(plan, committed=batch_id is not None, batch_id=batch_id),
                               "replanned": replanned}, ensure_ascii=False, default=str))
    else:
        if replanned:
            console.print(i18n.message("cli_import_replanned", plan.lang), style="bold yellow", highlight=False)
        summary(plan, plan.lang, commit=commit, batch_id=batch_id, report=report, skip_invalid=skip_invalid)
    return 1 if plan.has_errors else 0


def summary(plan: ImportPlan, lang: str, *, commit: bool, batch_id: int | None, report: Path | None,
            skip_invalid: bool = False) -> None:
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    table = plan.table
    findings = plan.result.findings
    errors = plan.result.errors
    console.print(t("cli_import_file", file=table.name, sheet=table.sheet, template=plan.template_id,
                    version=plan.template_version or "-"), highlight=False)
    console.print(t("cli_import_rows", rows=plan.rows, valid=plan.valid_rows, bad=len(plan.error_rows)),
                  highlight=False)
    by_rule = Counter((f.code, f.severity) for f in findings if f.severity in ("error", "warning"))
    if by_rule:
        rules = Table(t("cli_import_rule"), t("cli_import_severity"), t("cli_import_count"), t("cli_import_example"))
        first = {}
        for f in findings:
            first.setdefault((f.code, f.severity), f)
        for (code, severity), count in sorted(by_rule.items(), key=lambda kv: (kv[0][1] != "error", -kv[1])):
            example = first[(code, severity)]
            rules.add_row(code, t(f"severity_{severity}"), str(count), f"{example.column or ''}{example.row}: {example.message}")
        console.print(rules)
    counts = plan.counts()
    console.print(t("cli_import_plan", **counts), highlight=False)
    for move in plan.moves[:MOVES_SHOWN]:
        console.print(t("cli_import_move", row=move.row, number=move.number,
                        old=move.from_login or without_portfolio_label(lang),
                        new=move.to_login or without_portfolio_label(lang)), highlight=False)
    if len(plan.moves) > MOVES_SHOWN:
        console.print(t("change_more", count=len(plan.moves) - MOVES_SHOWN), highlight=False)
    if errors:
        console.print(t("cli_import_warning", errors=len(errors), rows=len(plan.error_rows)), style="bold yellow",
                      highlight=False)
    elif not plan.rows:
        console.print(t("import_no_rows"), style="bold yellow", highlight=False)
    else:
        console.print(t("cli_import_correct"), style="bold green", highlight=False)
    if batch_id is not None:
        console.print(t("cli_import_committed", batch=batch_id, committed=plan.valid_rows,
                        reported=len(plan.error_rows)), highlight=False)
    elif commit and errors and skip_invalid:
        console.print(t("import_nothing_valid_to_do", rows=len(plan.error_rows)), highlight=False)
    elif commit and errors:
        console.print(t("import_has_errors", errors=len(errors), rows=len(plan.error_rows)), highlight=False)
    elif commit and plan.rows:
        console.print(t("import_nothing_to_do"), highlight=False)
    else:
        console.print(t("cli_import_dry_run_errors" if errors else "cli_import_dry_run"), highlight=False)
    if report is not None:
        console.print(t("cli_import_report", path=str(report)), highlight=False)


def _command(entity: str):
    def command(file: FileArg, commit: CommitOption = False, report: ReportOption = None, as_json: JsonOption = False,
                db: DbOption = None, as_login: AsOption = None, skip_invalid: SkipOption = False,
                allow_transfers: TransfersOption = False, lang: LangOption = None) -> None:
        code = run_import(entity, file, commit=commit, report=report, as_json=as_json, db=db, as_login=as_login,
                          skip_invalid=skip_invalid, allow_transfers=allow_transfers, lang=lang)
        if code:
            raise typer.Exit(code)

    command.__doc__ = (f"Validate the {entity} in FILE and plan the changes (a dry run); --commit applies them. "
                       "Exit 0 = valid, 1 = validation errors, 2 = unusable input.")
    return command


import_app.command("accounts")(_command("accounts"))
import_app.command("contacts")(_command("contacts"))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(import_app, name="import")


i18n.register(
    {
        "cli_import_file": {"en": "File {file} (sheet {sheet}, template {template} {version})",
                            "pt-BR": "Arquivo {file} (aba {sheet}, modelo {template} {version})"},
        "cli_import_rows": {"en": "Rows read: {rows}; valid: {valid}; with errors: {bad}",
                            "pt-BR": "Linhas lidas: {rows}; válidas: {valid}; com erros: {bad}"},
        "cli_import_rule": {"en": "Rule", "pt-BR": "Regra"},
        "cli_import_severity": {"en": "Severity", "pt-BR": "Gravidade"},
        "cli_import_count": {"en": "Count", "pt-BR": "Quantidade"},
        "cli_import_example": {"en": "First occurrence", "pt-BR": "Primeira ocorrência"},
        "cli_import_plan": {
            "en": "Plan: accounts {accounts_create} to create, {accounts_update} to update ({portfolio_moves:plural:"
                  "portfolio move:portfolio moves}), {accounts_unchanged} unchanged; contacts {contacts_create} to create, "
                  "{contacts_update} to update, {contacts_unchanged} unchanged.",
            "pt-BR": "Plano: contas {accounts_create} a criar, {accounts_update} a atualizar ({portfolio_moves:plural:"
                     "transferência de carteira:transferências de carteira}), {accounts_unchanged} sem alteração; contatos {contacts_create} a "
                     "criar, {contacts_update} a atualizar, {contacts_unchanged} sem alteração.",
        },
        "cli_import_move": {"en": "  row {row}: {number}  {old} → {new}", "pt-BR": "  linha {row}: {number}  {old} → {new}"},
        "cli_import_correct": {"en": "Data is correct.", "pt-BR": "Os dados estão corretos."},
        "cli_import_warning": {"en": "Warning: {errors:plural:error:errors} in {rows:plural:row:rows}.",
                               "pt-BR": "Atenção: {errors:plural:erro:erros} em {rows:plural:linha:linhas}."},
        "cli_import_committed": {
            "en": "Committed as batch {batch}: {committed:plural:row:rows} committed, {reported:plural:row:rows} reported "
                  "(undo with `crmxl undo {batch}`).",
            "pt-BR": "Gravado como lote {batch}: {committed:plural:linha gravada:linhas gravadas}, {reported:plural:linha relatada:linhas relatadas} "
                     "(desfaça com `crmxl undo {batch}`).",
        },
        "cli_import_dry_run": {"en": "Dry run: nothing was written. Add --commit to apply the plan.",
                               "pt-BR": "Simulação: nada foi gravado. Use --commit para aplicar o plano."},
        "cli_import_dry_run_errors": {
            "en": "Dry run: nothing was written. Fix the errors and run again with --commit, or add --skip-invalid "
                  "--commit to apply the valid rows.",
            "pt-BR": "Simulação: nada foi gravado. Corrija os erros e rode de novo com --commit, ou use "
                     "--skip-invalid --commit para aplicar as linhas válidas."},
        "cli_import_cells_report": {
            "en": "The database could not be reached: the report {path} has the cell checks only (portfolios, "
                  "existing accounts and contacts were not checked).",
            "pt-BR": "O banco de dados não pôde ser acessado: o relatório {path} tem só as verificações das células "
                     "(carteiras, contas e contatos existentes não foram verificados).",
        },
        "cli_import_replanned": {
            "en": "Another commit changed the CRM while this file was being checked: it was checked again against "
                  "the CRM as it is now, and this new plan (with no new errors) is what was committed.",
            "pt-BR": "Outra gravação mudou o CRM enquanto este arquivo era verificado: ele foi verificado de novo "
                     "com o CRM como está agora, e este novo plano (sem novos erros) é o que foi gravado.",
        },
        "cli_import_report": {"en": "Report: {path}", "pt-BR": "Relatório: {path}"},
    }
)
