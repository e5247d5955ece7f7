"""`crmxl export accounts|contacts`, `crmxl profiles ...`, `crmxl transfer`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from crmxl.cli.common import AsOption, DbOption, LangOption, acting_user, console, open_database, progress_bar, settings
from crmxl.domain.account_number import display_account_number
from crmxl.i18n import plural
from crmxl.services import profiles as profile_service
from crmxl.services.exporting import export
from crmxl.services.profiles import Filters
from crmxl.services.transfer import commit_transfer, plan_transfer

def _logins(value):
    """A login given must be one: an empty one is a usage error (it read as Without Portfolio)."""
    for login in value if isinstance(value, list) else [value] if value is not None else []:
        if not login.strip():
            raise typer.BadParameter("a login cannot be empty (for accounts without one: --without-portfolio)")
    return value


PortfolioOption = Annotated[list[str] | None, typer.Option("--portfolio", callback=_logins,
                                                           help="An agent's login (repeatable).")]
WithoutOption = Annotated[bool, typer.Option("--without-portfolio", help="Accounts without a portfolio (inactive).")]
TypeOption = Annotated[list[str] | None, typer.Option("--type", help="MEDICAL, COMPANY or INSURANCE (repeatable).")]
UfOption = Annotated[list[str] | None, typer.Option("--uf", help="Only these UFs (repeatable).")]
ActiveOption = Annotated[bool | None, typer.Option("--active/--inactive", help="Only active (with an owner) or "
                                                                              "inactive accounts.", show_default=False)]

export_app = typer.Typer(help="Export a portfolio into the model-workbook layout.", no_args_is_help=True)
profiles_app = typer.Typer(help="Saved export profiles: columns and filters.", no_args_is_help=True)


def _export(entity: str, out: Path, portfolio, without_portfolio, types, ufs, active, profile, fmt, db, as_login,
            lang) -> None:
    cfg = settings(db=db, login=as_login, lang=lang)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    fmt = fmt or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    with progress_bar() as progress:
        result = export(database, actor, entity, out, portfolios=portfolio or (), without_portfolio=without_portfolio,
                        types=types or (), ufs=ufs or (), active=active, profile=profile, fmt=fmt.lower(),
                        lang=cfg.lang, progress=progress)
    noun = entity.removesuffix("s")
    console.print(f"Exported {plural(result.rows, noun, entity)} (profile '{result.profile}') to {result.path}")


def _export_command(entity: str):
    def command(
        out: Path = typer.Option(..., "-o", "--out", help="The file to write (.xlsx, or .csv with --format csv)."),
        portfolio: PortfolioOption = None,
        without_portfolio: WithoutOption = False,
        account_type: TypeOption = None,
        uf: UfOption = None,
        active: ActiveOption = None,
        profile: str | None = typer.Option(None, "--profile", help="A saved export profile (default: the entity's)."),
        fmt: str | None = typer.Option(None, "--format", help="xlsx or csv (';' separated, UTF-8 with BOM; a value "
                                       "starting with = + - @ gets a leading '). Default: from OUT's suffix."),
        db: DbOption = None,
        as_login: AsOption = None,
        lang: LangOption = None,
    ) -> None:
        _export(entity, out, portfolio, without_portfolio, account_type, uf, active, profile, fmt, db, as_login, lang)

    command.__doc__ = f"Export {entity} of one or more portfolios (and/or Without Portfolio)."
    return command


def _filters(portfolio, without_portfolio, types, ufs, active) -> Filters:
    return Filters(tuple(portfolio or ()), without_portfolio, tuple(types or ()), active, tuple(ufs or ()))


@profiles_app.command("list")
def profiles_list(db: DbOption = None, as_login: AsOption = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """List the export profiles."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    acting_user(database, cfg.login)  # an unknown or inactive user is refused, as on every command
    found = profile_service.list_profiles(database)
    if as_json:
        typer.echo(json.dumps([{**p.__dict__, "filters": p.filters.as_json()} for p in found], ensure_ascii=False))
        return
    table = Table(Column("Name", no_wrap=True), "Entity", "Columns", "Filters", "Default", "Author")
    for p in found:
        flt = ", ".join(f"{k}={v}" for k, v in p.filters.as_json().items() if v not in (None, False, []))
        table.add_row(p.name, p.entity, ", ".join(p.columns), flt, "yes" if p.is_default else "", p.created_by or "")
    console.print(table)


@profiles_app.command("show")
def profiles_show(name: str, db: DbOption = None, as_login: AsOption = None) -> None:
    """Show one profile as JSON."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    acting_user(database, cfg.login)
    p = profile_service.get_profile(database, name)
    typer.echo(json.dumps({**p.__dict__, "filters": p.filters.as_json()}, ensure_ascii=False, indent=2))


@profiles_app.command("add")
def profiles_add(
    name: str,
    entity: str = typer.Option(..., "--entity", help="accounts or contacts."),
    columns: str | None = typer.Option(None, "--columns", help="Comma-separated fields (default: all); the file has them in the model workbook's order."),
    portfolio: PortfolioOption = None, without_portfolio: WithoutOption = False, account_type: TypeOption = None,
    uf: UfOption = None, active: ActiveOption = None, db: DbOption = None, as_login: AsOption = None,
) -> None:
    """Create an export profile. The key column is always included; a file the import takes back needs
    every mandatory (red) column too."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    p = profile_service.add_profile(database, acting_user(database, cfg.login), name, entity,
                                    columns.split(",") if columns else None,
                                    _filters(portfolio, without_portfolio, account_type, uf, active))
    console.print(f"Profile '{p.name}' ({p.entity}): {', '.join(p.columns)}")


@profiles_app.command("edit")
def profiles_edit(
    name: str,
    rename: str | None = typer.Option(None, "--rename", help="A new name."),
    columns: str | None = typer.Option(None, "--columns", help="Comma-separated fields; the file has them in the model workbook's order."),
    portfolio: PortfolioOption = None, without_portfolio: WithoutOption = False, account_type: TypeOption = None,
    uf: UfOption = None, active: ActiveOption = None,
    clear_filters: bool = typer.Option(False, "--clear-filters", help="Drop the saved filters first."),
    db: DbOption = None, as_login: AsOption = None,
) -> None:
    """Change a profile's name, columns or filters: each filter given replaces the saved one, the others stay."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    current = Filters() if clear_filters else profile_service.get_profile(database, name).filters
    changes: dict = {}
    if portfolio or without_portfolio:
        changes.update(portfolios=tuple(portfolio or ()), without_portfolio=without_portfolio)
    if account_type:
        changes["types"] = tuple(account_type)
    if uf:
        changes["ufs"] = tuple(uf)
    if active is not None:
        changes["active"] = active
    p = profile_service.edit_profile(database, acting_user(database, cfg.login), name, new_name=rename,
                                     columns=columns.split(",") if columns else None,
                                     filters=replace(current, **changes))
    console.print(f"Profile '{p.name}' ({p.entity}): {', '.join(p.columns)}")


@profiles_app.command("delete")
def profiles_delete(name: str, db: DbOption = None, as_login: AsOption = None) -> None:
    """Delete a profile."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    profile_service.delete_profile(database, acting_user(database, cfg.login), name)
    console.print(f"Profile '{name}' deleted.")


def transfer(
    from_login: str | None = typer.Option(None, "--from", callback=_logins, help="The login whose accounts move."),
    from_without: bool = typer.Option(False, "--from-without-portfolio", help="Move accounts without a portfolio."),
    to_login: str | None = typer.Option(None, "--to", callback=_logins, help="The login that receives them."),
    to_without: bool = typer.Option(False, "--without-portfolio", help="Move them to Without Portfolio (inactive)."),
    account_type: TypeOption = None,
    account: list[str] | None = typer.Option(None, "--account", help="Only this account number (repeatable)."),
    commit: bool = typer.Option(False, "--commit", help="Move them (default: a dry run)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: what moves, and the batch."),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """Move accounts between portfolios; a dry run lists them, --commit records a batch `crmxl undo` reverses.

    Moving to Without Portfolio makes the accounts inactive, moving from it active; contacts follow their account."""
    if (from_login is None) == (not from_without):
        raise typer.BadParameter("give --from LOGIN or --from-without-portfolio", param_hint="--from")
    if (to_login is not None) == to_without:
        raise typer.BadParameter("give --to LOGIN or --without-portfolio", param_hint="--to")
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    plan = plan_transfer(database, actor, from_login, to_login, types=account_type or (), accounts=account or ())
    batch_id = commit_transfer(database, actor, plan) if commit else None
    source, target = plan.label(plan.from_login), plan.label(plan.to_login)
    if as_json:
        typer.echo(json.dumps({
            "from": source, "to": target, "count": len(plan.accounts), "committed": batch_id is not None,
            "batch_id": batch_id,
            "accounts": [{"id": m.id, "number": display_account_number(m.number), "name": m.name, "type": m.type}
                         for m in plan.accounts],
        }, ensure_ascii=False))
        return
    verb = "moved" if batch_id else "moves" if len(plan.accounts) == 1 else "move"
    console.print(f"{plural(len(plan.accounts), 'account', 'accounts')} {verb} from {source} to {target}:")
    for m in plan.accounts[:20]:
        console.print(f"  {display_account_number(m.number):<20}  {m.type:<9}  {m.name}", highlight=False)
    if len(plan.accounts) > 20:
        console.print(f"  ... and {len(plan.accounts) - 20} more")
    if not commit:
        console.print(f"Dry run: nothing moved. Add --commit to move {'it' if len(plan.accounts) == 1 else 'them'}.")
    elif batch_id:
        console.print(f"Batch {batch_id} recorded (undo with `crmxl undo {batch_id}`).")
    else:
        console.print("Nothing moved.")


def register(app: typer.Typer) -> None:
    export_app.command("accounts")(_export_command("accounts"))
    export_app.command("contacts")(_export_command("contacts"))
    app.add_typer(export_app, name="export")
    app.add_typer(profiles_app, name="profiles")
    app.command("transfer")(transfer)
