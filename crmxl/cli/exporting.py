"""`crmxl export accounts|contacts`, `crmxl profiles ...`, `crmxl transfer`."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from crmxl import i18n
from crmxl.cli.common import (AsOption, DbOption, LangOption, acting_user, console, open_database, progress_bar,
                              settings, speaking)
from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import without_portfolio_label
from crmxl.services import labels
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
    console.print(i18n.message(f"cli_exported_{entity}", speaking(cfg, actor), rows=result.rows,
                               profile=result.profile, path=str(result.path)), highlight=False)


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
    actor = acting_user(database, cfg.login)  # an unknown or inactive user is refused, as on every command
    found = profile_service.list_profiles(database)
    if as_json:
        typer.echo(json.dumps([{**p.__dict__, "filters": p.filters.as_json()} for p in found], ensure_ascii=False))
        return
    lang = speaking(cfg, actor)
    t = lambda code: i18n.message(code, lang)  # noqa: E731
    table = Table(Column(t("cli_profile_name"), no_wrap=True), t("cli_profile_entity"), t("cli_profile_columns"),
                  t("cli_profile_filters"), t("cli_profile_default"), t("cli_profile_author"))
    for p in found:
        flt = ", ".join(f"{k}={v}" for k, v in p.filters.as_json().items() if v not in (None, False, []))
        table.add_row(p.name, t(f"cli_entity_{p.entity}"), _headers(p, lang), flt,
                      t("cli_profile_yes") if p.is_default else "", p.created_by or "")
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
    actor = acting_user(database, cfg.login)
    p = profile_service.add_profile(database, actor, name, entity, columns.split(",") if columns else None,
                                    _filters(portfolio, without_portfolio, account_type, uf, active))
    _print_profile(p, speaking(cfg, actor))


def _headers(p, lang: str) -> str:
    """A profile's columns by their headers in the language (as the exported file has them), not field names."""
    return ", ".join(labels.field_label(p.entity, c, lang) for c in p.columns)


def _print_profile(p, lang: str) -> None:
    console.print(i18n.message("cli_profile_saved", lang, name=p.name, entity=i18n.message(f"cli_entity_{p.entity}", lang),
                               columns=_headers(p, lang)), highlight=False)


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
    actor = acting_user(database, cfg.login)
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
    p = profile_service.edit_profile(database, actor, name, new_name=rename,
                                     columns=columns.split(",") if columns else None,
                                     filters=replace(current, **changes))
    _print_profile(p, speaking(cfg, actor))


@profiles_app.command("delete")
def profiles_delete(name: str, db: DbOption = None, as_login: AsOption = None) -> None:
    """Delete a profile."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    profile_service.delete_profile(database, actor, name)
    console.print(i18n.message("cli_profile_deleted", speaking(cfg, actor), name=name), highlight=False)


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
    lang = speaking(cfg, actor)
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    count = len(plan.accounts)
    console.print(t("cli_transfer_moved" if commit else "cli_transfer_moves", count=count,
                    source=plan.from_login or without_portfolio_label(lang),
                    target=plan.to_login or without_portfolio_label(lang)), highlight=False)
    for m in plan.accounts[:SHOWN]:
        console.print(f"  {display_account_number(m.number):<20}  {m.type:<9}  {m.name}", highlight=False)
    if count > SHOWN:
        console.print(t("cli_transfer_more", count=count - SHOWN), highlight=False)
    if not commit:
        console.print(t("cli_transfer_dry_run", count=count), highlight=False)
    elif batch_id:
        console.print(t("cli_transfer_batch", batch=batch_id), highlight=False)
    else:
        console.print(t("cli_transfer_nothing"), highlight=False)


SHOWN = 20  # accounts listed by a transfer


def register(app: typer.Typer) -> None:
    export_app.command("accounts")(_export_command("accounts"))
    export_app.command("contacts")(_export_command("contacts"))
    app.add_typer(export_app, name="export")
    app.add_typer(profiles_app, name="profiles")
    app.command("transfer")(transfer)


i18n.register({
    "cli_exported_accounts": {"en": "Exported {rows:plural:account:accounts} (profile '{profile}') to {path}",
                              "pt-BR": "{rows:plural:conta exportada:contas exportadas} (perfil '{profile}') para {path}"},
    "cli_exported_contacts": {"en": "Exported {rows:plural:contact:contacts} (profile '{profile}') to {path}",
                              "pt-BR": "{rows:plural:contato exportado:contatos exportados} (perfil '{profile}') para "
                                       "{path}"},
    "cli_entity_accounts": {"en": "accounts", "pt-BR": "contas"},
    "cli_entity_contacts": {"en": "contacts", "pt-BR": "contatos"},
    "cli_profile_name": {"en": "Name", "pt-BR": "Nome"},
    "cli_profile_entity": {"en": "Entity", "pt-BR": "Entidade"},
    "cli_profile_columns": {"en": "Columns", "pt-BR": "Colunas"},
    "cli_profile_filters": {"en": "Filters", "pt-BR": "Filtros"},
    "cli_profile_default": {"en": "Default", "pt-BR": "Padrão"},
    "cli_profile_author": {"en": "Author", "pt-BR": "Autor"},
    "cli_profile_yes": {"en": "yes", "pt-BR": "sim"},
    "cli_profile_saved": {"en": "Profile '{name}' ({entity}): {columns}", "pt-BR": "Perfil '{name}' ({entity}): {columns}"},
    "cli_profile_deleted": {"en": "Profile '{name}' deleted.", "pt-BR": "Perfil '{name}' excluído."},
    "cli_transfer_moves": {"en": "{count:plural:account moves:accounts move} from {source} to {target}:",
                           "pt-BR": "{count:plural:conta será movida:contas serão movidas} de {source} para {target}:"},
    "cli_transfer_moved": {"en": "{count:plural:account:accounts} moved from {source} to {target}:",
                           "pt-BR": "{count:plural:conta movida:contas movidas} de {source} para {target}:"},
    "cli_transfer_more": {"en": "  ... and {count} more", "pt-BR": "  ... e mais {count}"},
    "cli_transfer_dry_run": {"en": "Dry run: nothing moved. Add --commit to move {count:one:it:them}.",
                             "pt-BR": "Simulação: nada foi movido. Use --commit para movê-{count:one:la:las}."},
    "cli_transfer_batch": {"en": "Batch {batch} recorded (undo with `crmxl undo {batch}`).",
                           "pt-BR": "Lote {batch} registrado (desfaça com `crmxl undo {batch}`)."},
    "cli_transfer_nothing": {"en": "Nothing moved.", "pt-BR": "Nada foi movido."},
})
