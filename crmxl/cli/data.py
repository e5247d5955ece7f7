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
from crmxl.cli.common import AsOption, DbOption, acting_user, console, open_database, progress_bar, settings
from crmxl.errors import UnusableInput
from crmxl.services import history
from crmxl.services.demo import DEMO_PASSWORD, load_demo
from crmxl.services.setup import init_database

db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)


@db_app.command("init")
def db_init(db: DbOption = None) -> None:
    """Create or migrate the schema (Alembic) and seed the specialties registry and default profiles."""
    cfg = settings(db=db)
    result = init_database(open_database(cfg.database_url, check_schema=False))
    state = "created" if result.revision_before is None else (
        "already current" if result.revision_before == result.revision_after else "migrated")
    console.print(f"Database {cfg.database_url}: schema {state} (revision {result.revision_after}); "
                  f"{result.qualifications_added} specialties and {result.profiles_added} export profiles added.")


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
    console.print(
        f"Demo data in {cfg.database_url}: {result.accounts_total} accounts, {result.contacts_total} contacts "
        f"(added now: {result.users_added} users, {result.accounts_added} accounts, {result.contacts_added} contacts)."
    )
    if tour:
        db_option = f" --db {shlex.quote(db)}" if db else ""  # the tour's commands reach the demo's database
        _sample_import(database, out, db_option)
        _tour(cfg.database_url, out, db_option)


SAMPLE_IMPORT = "crmxl import accounts {sample} --as mgr.south --allow-transfers"  # what the tour's dry run is


def _sample_import(database, out: Path, db_option: str) -> None:
    """The seed's reading step on a sample: validate, plan, write the annotated report; commit nothing. It is
    the dry run of the command it prints, which gives the same findings and plan when run."""
    from crmxl.cli.importing import summary
    from crmxl.services.imports import plan_import, write_import_report
    from crmxl.services.sample import write_sample_workbook

    sample = write_sample_workbook(database, out / "sample-accounts.xlsx")
    report = out / "sample-report.xlsx"
    actor = acting_user(database, "mgr.south")
    plan = plan_import(database, actor, sample, "accounts", allow_transfers=True)
    write_import_report(plan, report)
    command = SAMPLE_IMPORT.format(sample=shlex.quote(str(sample))) + f" --report {shlex.quote(str(report))}{db_option}"
    console.print(Text.assemble("\n", ("Demo import", "bold"), " (a dry run: nothing is written), as\n  ", command),
                  highlight=False)
    summary(plan, "en", commit=False, batch_id=None, report=report)


def _tour(url: str, out: Path, db: str) -> None:
    sample = SAMPLE_IMPORT.format(sample=shlex.quote(str(out / "sample-accounts.xlsx")))
    steps = [
        (f"open {out / 'sample-report.xlsx'}", "red cells with notes, the Errors column, the Summary sheet"),
        (f"{sample} --skip-invalid --commit{db}", "commits the valid rows (and the portfolio move) as one batch"),
        (f"crmxl history --as mgr.south{db}", "batches, and `crmxl undo BATCH_ID --as mgr.south`"),
        (f"crmxl templates build --out {shlex.quote(str(out / 'templates'))}",
         "the model workbooks, mandatory columns in red"),
        (f"crmxl export accounts --portfolio agent.sp1 -o {shlex.quote(str(out / 'sp1.xlsx'))}{db}",
         "a portfolio in the model workbook's layout"),
        (f"crmxl serve{db}", "the web wizard on http://127.0.0.1:8000"),
    ]
    lines = "".join(f"\n  {command}\n      {what}" for command, what in steps)
    console.print(Text.assemble("\n", ("What to try next", "bold"),
                                f"  (demo users: admin, mgr.south, mgr.north, agent.sp1 ... agent.df1; password "
                                f"{DEMO_PASSWORD}){lines}\nDatabase: {url}"), highlight=False)


MAX_LISTED = 500  # as the API's /api/batches
MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger number is no batch, not a database error


KINDS = ("import", "transfer", "undo")


def _kind(value: str | None) -> str | None:
    if value is not None and value not in KINDS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(KINDS)}")
    return value


def _day(value: str | None) -> dt.date | None:
    try:
        return history.parse_day(value)
    except UnusableInput as exc:
        raise typer.BadParameter(exc.render()) from None


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
    t = lambda code: i18n.message(code, cfg.lang)  # noqa: E731
    table = Table(t("cli_history_batch"), Column(t("cli_history_kind"), overflow="fold"),
                  Column(t("cli_history_who"), overflow="fold"),
                  Column(t("cli_history_when"), no_wrap=True, min_width=len("2026-12-31 23:59:59")),  # never cut
                  Column(t("cli_history_file"), overflow="fold"), Column(t("cli_history_counts"), overflow="fold"),
                  Column(t("cli_history_status"), overflow="fold"))  # the others wrap, never cut
    for b in batches:
        status = b.status + (f" by {b.undone_by}" if b.undone_by else "") + (f" (undo of {b.undo_of})" if b.undo_of else "")
        counts = ", ".join(f"{k}={v}" for k, v in b.counts.items() if v)
        table.add_row(str(b.id), b.kind, b.user_login, b.created_at, b.file_name or "", counts, status)
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
    console.print(f"Batch {batch_id} undone (recorded as batch {new_id}).")


i18n.register({
    "cli_history_batch": {"en": "Batch", "pt-BR": "Lote"},
    "cli_history_kind": {"en": "Kind", "pt-BR": "Tipo"},
    "cli_history_who": {"en": "Who", "pt-BR": "Quem"},
    "cli_history_when": {"en": "When (UTC)", "pt-BR": "Quando (UTC)"},
    "cli_history_file": {"en": "File", "pt-BR": "Arquivo"},
    "cli_history_counts": {"en": "Counts", "pt-BR": "Contagens"},
    "cli_history_status": {"en": "Status", "pt-BR": "Situação"},
    "cli_history_none": {"en": "No batches yet.", "pt-BR": "Nenhum lote ainda."},
})


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("demo")(demo)
    app.command("history")(history_cmd)
    app.command("undo")(undo_cmd)


