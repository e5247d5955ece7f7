"""`crmxl db init`, `crmxl demo`, `crmxl history`, `crmxl undo`."""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path

import typer
from rich.table import Column, Table
from rich.text import Text

from crmxl import i18n
from crmxl.cli.common import (AsOption, DbOption, acting_user, bad_parameter, console, open_database, progress_bar,
                              settings, speaking)
from crmxl.errors import UnusableInput
from crmxl.services import history, labels
from crmxl.services.demo import DEMO_PASSWORD, load_demo
from crmxl.services.setup import init_database

db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)


@db_app.command("init")
def db_init(db: DbOption = None) -> None:
    """Create or migrate the schema (Alembic) and seed the specialties registry and default profiles."""
    cfg = settings(db=db)
    result = init_database(open_database(cfg.database_url, check_schema=False))
    state = "created" if result.revision_before is None else (
        "current" if result.revision_before == result.revision_after else "migrated")
    t = lambda code, **p: i18n.message(code, cfg.lang, **p)  # noqa: E731
    console.print(t("cli_db_init", url=cfg.database_url, state=t(f"cli_schema_{state}"),
                    revision=result.revision_after, specialties=result.qualifications_added,
                    profiles=result.profiles_added), highlight=False)


def demo(
    db: DbOption = None,
    tour: bool = typer.Option(False, "--tour", help="Also import a sample workbook with a few bad cells "
                                                   "(a dry run with an annotated report) and print a short tour."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the sample workbook and its report."),
) -> None:
    """Load demo users, portfolios, accounts and contacts (deterministic; running twice changes nothing)."""
    cfg = settings(db=db)
    database = open_database(cfg.database_url, check_schema=False)
    init_database(database)
    result = load_demo(database)
    console.print(i18n.message("cli_demo_data", cfg.lang, url=cfg.database_url, accounts=result.accounts_total,
                               contacts=result.contacts_total, users_added=result.users_added,
                               accounts_added=result.accounts_added, contacts_added=result.contacts_added),
                  highlight=False)
    if tour:
        db_option = f" --db {shlex.quote(db)}" if db else ""  # the tour's commands reach the demo's database
        lang = cfg.lang if cfg.lang_chosen else None
        _sample_import(database, out, db_option, lang)
        _tour(cfg.database_url, out, db_option, cfg.lang)


SAMPLE_IMPORT = "crmxl import accounts {sample} --as mgr.south --allow-transfers"  # what the tour's dry run is


def _sample_import(database, out: Path, db_option: str, lang: str | None) -> None:
    """The seed's reading step on a sample: validate, plan, write the annotated report; commit nothing. It is
    the dry run of the command it prints, which gives the same findings and plan when run."""
    from crmxl.cli.importing import summary
    from crmxl.services.imports import plan_import, write_import_report
    from crmxl.services.sample import write_sample_workbook

    sample = write_sample_workbook(database, out / "sample-accounts.xlsx")
    report = out / "sample-report.xlsx"
    actor = acting_user(database, "mgr.south")
    plan = plan_import(database, actor, sample, "accounts", lang=lang, allow_transfers=True)
    write_import_report(plan, report)
    command = SAMPLE_IMPORT.format(sample=shlex.quote(str(sample))) + f" --report {shlex.quote(str(report))}{db_option}"
    t = lambda code: i18n.message(code, plan.lang)  # noqa: E731
    console.print(Text.assemble("\n", (t("cli_tour_import"), "bold"), t("cli_tour_import_as"), "\n  ", command),
                  highlight=False)
    summary(plan, plan.lang, commit=False, batch_id=None, report=report)


def _tour(url: str, out: Path, db: str, lang: str) -> None:
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    sample = SAMPLE_IMPORT.format(sample=shlex.quote(str(out / "sample-accounts.xlsx")))
    steps = [
        (t("cli_tour_open", path=str(out / "sample-report.xlsx")), t("cli_tour_report")),
        (f"{sample} --skip-invalid --commit{db}", t("cli_tour_commit")),
        (f"crmxl history --as mgr.south{db}", t("cli_tour_history")),
        (f"crmxl templates build --out {shlex.quote(str(out / 'templates'))}", t("cli_tour_templates")),
        (f"crmxl export accounts --portfolio agent.sp1 -o {shlex.quote(str(out / 'sp1.xlsx'))}{db}",
         t("cli_tour_export")),
        (f"crmxl serve{db}", t("cli_tour_serve")),
    ]
    lines = "".join(f"\n  {command}\n      {what}" for command, what in steps)
    console.print(Text.assemble("\n", (t("cli_tour_next"), "bold"), t("cli_tour_users", password=DEMO_PASSWORD),
                                lines, "\n", t("cli_tour_database", url=url)), highlight=False)


MAX_LISTED = 500  # as the API's /api/batches
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger number is no batch, not a database error


KINDS = history.KINDS


def _kind(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return history.parse_kind(value) or value
    except UnusableInput as exc:
        raise bad_parameter(exc) from None


def _day(value: str | None) -> dt.date | None:
    try:
        return history.parse_day(value)
    except UnusableInput as exc:
        raise bad_parameter(exc) from None


def history_cmd(
    db: DbOption = None,
    as_login: AsOption = None,
    limit: int = typer.Option(20, "--limit", min=1, max=MAX_LISTED, help=f"How many batches to list (1 to {MAX_LISTED})."),
    user: str | None = typer.Option(None, "--user", help="Only the batches of this login."),
    kind: str | None = typer.Option(None, "--kind", callback=_kind, help="Only imports, transfers or undos: "
                                    + ", ".join(KINDS) + "."),
    since: str | None = typer.Option(None, "--since", metavar="YYYY-MM-DD", help="Only the batches made on this "
                                     "day (UTC) or later."),
    until: str | None = typer.Option(None, "--until", metavar="YYYY-MM-DD", help="Only the batches made on this "
                                     "day (UTC) or earlier."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the newest import, transfer and undo batches."""
    first, last = _day(since), _day(until)
    history.check_days(first, last)
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    batches = history.list_batches(database, actor, limit, user=user, kind=kind, since=first, until=last)
    if as_json:
        typer.echo(json.dumps([b.__dict__ for b in batches], ensure_ascii=False))
        return
    lang = speaking(cfg, actor)
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    table = Table(t("cli_history_batch"), Column(t("cli_history_kind"), overflow="fold"),
                  Column(t("cli_history_who"), overflow="fold"),
                  Column(t("cli_history_when"), no_wrap=True, min_width=len("2026-12-31 23:59:59")),  # never cut
                  Column(t("cli_history_file"), overflow="fold"), Column(t("cli_history_counts"), overflow="fold"),
                  Column(t("cli_history_status"), overflow="fold"))  # the others wrap, never cut
    for b in batches:
        status = ((t(f"cli_history_{b.status}") if i18n.has_message(f"cli_history_{b.status}") else b.status) + (t("cli_history_undone_by", batch=b.undone_by) if b.undone_by else "")
                  + (t("cli_history_undo_of", batch=b.undo_of) if b.undo_of else ""))
        view = labels.batch_view(b, lang)  # the web's labels of a kind and its counts
        counts = ", ".join(f"{label}: {value}" for label, value in view.counts.items())
        table.add_row(str(b.id), view.kind, b.user_login, b.created_at, b.file_name or "", counts, status)
    console.print(table if batches else t("cli_history_none"))


def undo_cmd(
    batch_id: int = typer.Argument(..., min=1, max=MAX_ID, help="The batch to undo (see `crmxl history`)."),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """Restore every row a batch touched to its before-image, in one transaction."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    with progress_bar() as progress:
        new_id = history.undo(database, actor, batch_id, progress=progress)
    console.print(i18n.message("cli_undone", speaking(cfg, actor), batch=batch_id, new=new_id), highlight=False)


i18n.register({
    "cli_history_batch": {"en": "Batch", "pt-BR": "Lote"},
    "cli_history_kind": {"en": "Kind", "pt-BR": "Tipo"},
    "cli_history_who": {"en": "Who", "pt-BR": "Quem"},
    "cli_history_when": {"en": "When (UTC)", "pt-BR": "Quando (UTC)"},
    "cli_history_file": {"en": "File", "pt-BR": "Arquivo"},
    "cli_history_counts": {"en": "Counts", "pt-BR": "Contagens"},
    "cli_history_status": {"en": "Status", "pt-BR": "Situação"},
    "cli_history_none": {"en": "No batches yet.", "pt-BR": "Nenhum lote ainda."},
    "cli_history_committed": {"en": "committed", "pt-BR": "gravado"},
    "cli_history_undone": {"en": "undone", "pt-BR": "desfeito"},
    "cli_history_undone_by": {"en": " by {batch}", "pt-BR": " pelo lote {batch}"},
    "cli_history_undo_of": {"en": " (undo of {batch})", "pt-BR": " (desfaz o lote {batch})"},
    "cli_undone": {"en": "Batch {batch} undone (recorded as batch {new}).",
                   "pt-BR": "Lote {batch} desfeito (registrado como lote {new})."},
    "cli_db_init": {
        "en": "Database {url}: schema {state} (revision {revision}); {specialties:plural:specialty:specialties} and "
              "{profiles:plural:export profile:export profiles} added.",
        "pt-BR": "Banco de dados {url}: esquema {state} (revisão {revision}); {specialties:plural:especialidade:"
                 "especialidades} e {profiles:plural:perfil de exportação:perfis de exportação} "
                 "adicionados."},
    "cli_schema_created": {"en": "created", "pt-BR": "criado"},
    "cli_schema_current": {"en": "already current", "pt-BR": "já atualizado"},
    "cli_schema_migrated": {"en": "migrated", "pt-BR": "migrado"},
    "cli_demo_data": {
        "en": "Demo data in {url}: {accounts:plural:account:accounts}, {contacts:plural:contact:contacts} (added now: "
              "{users_added:plural:user:users}, {accounts_added:plural:account:accounts}, "
              "{contacts_added:plural:contact:contacts}).",
        "pt-BR": "Dados de demonstração em {url}: {accounts:plural:conta:contas}, {contacts:plural:contato:contatos} "
                 "(adicionados agora: {users_added:plural:usuário:usuários}, {accounts_added:plural:conta:contas}, "
                 "{contacts_added:plural:contato:contatos})."},
    "cli_tour_import": {"en": "Demo import", "pt-BR": "Importação de demonstração"},
    "cli_tour_import_as": {"en": " (a dry run: nothing is written), as", "pt-BR": " (uma simulação: nada é gravado), como"},
    "cli_tour_open": {"en": "open {path}", "pt-BR": "abra {path}"},
    "cli_tour_report": {"en": "red cells with notes, the Errors column, the Summary sheet",
                        "pt-BR": "células vermelhas com notas, a coluna Erros, a aba Resumo"},
    "cli_tour_commit": {"en": "commits the valid rows (and the portfolio move) as one batch",
                        "pt-BR": "grava as linhas válidas (e a transferência de carteira) como um lote"},
    "cli_tour_history": {"en": "batches, and `crmxl undo BATCH_ID --as mgr.south`",
                         "pt-BR": "os lotes, e `crmxl undo BATCH_ID --as mgr.south`"},
    "cli_tour_templates": {"en": "the model workbooks, mandatory columns in red",
                           "pt-BR": "as pastas de trabalho modelo, colunas obrigatórias em vermelho"},
    "cli_tour_export": {"en": "a portfolio in the model workbook's layout",
                        "pt-BR": "uma carteira no formato da pasta de trabalho modelo"},
    "cli_tour_serve": {"en": "the web wizard on http://127.0.0.1:8000", "pt-BR": "o assistente web em http://127.0.0.1:8000"},
    "cli_tour_next": {"en": "What to try next", "pt-BR": "O que experimentar agora"},
    "cli_tour_users": {"en": "  (demo users: admin, mgr.south, mgr.north, agent.sp1 ... agent.df1; password {password})",
                       "pt-BR": "  (usuários de demonstração: admin, mgr.south, mgr.north, agent.sp1 ... agent.df1; "
                                "senha {password})"},
    "cli_tour_database": {"en": "Database: {url}", "pt-BR": "Banco de dados: {url}"},
})


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("demo")(demo)
    app.command("history")(history_cmd)
    app.command("undo")(undo_cmd)


