"""`crmxl serve` (the web wizard and JSON API) and `crmxl users add|passwd|token`."""

from __future__ import annotations

import typer

from crmxl import i18n
from crmxl.cli.common import (AsOption, DbOption, checked_language, console, err_console, open_database, settings,
                              speaking)
from crmxl.services.access import resolve_actor
from crmxl.services.users import add_user, issue_token, set_password

users_app = typer.Typer(help="Users: create, set passwords, issue API tokens.", no_args_is_help=True)


def _actor_or_bootstrap(database, login: str | None):
    """The acting user; on a database with no users at all, the command line itself may create the first."""
    from sqlalchemy import func, select

    from crmxl.db.models import User

    with database.session() as session:
        if not session.scalar(select(func.count()).select_from(User)):
            return None
        return resolve_actor(session, login)


def _password(value: str | None, lang: str) -> str:
    if value is not None:
        return value
    return typer.prompt(i18n.message("cli_password_prompt", lang), hide_input=True,
                        confirmation_prompt=i18n.message("cli_password_again", lang))


@users_app.command("add")
def users_add(
    login: str,
    name: str = typer.Option(..., "--name", help="The person's name."),
    role: str = typer.Option("agent", "--role", help="admin, manager or agent."),
    manager: str | None = typer.Option(None, "--manager", help="The agent's manager (a manager's login)."),
    password: str | None = typer.Option(None, "--password", help="The password (asked when not given)."),
    lang: str = typer.Option("en", "--lang", callback=checked_language, help="en or pt-BR."),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """Create a user (admins only, or anyone on a database with no users yet)."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = _actor_or_bootstrap(database, cfg.login)
    said = speaking(cfg, actor)
    add_user(database, actor, login, name, role, manager=manager, password=_password(password, said), lang=lang)
    console.print(i18n.message("cli_user_added", said, login=login, role=role), highlight=False)


@users_app.command("passwd")
def users_passwd(login: str, password: str | None = typer.Option(None, "--password"), db: DbOption = None,
                 as_login: AsOption = None) -> None:
    """Set a user's password."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = _actor_or_bootstrap(database, cfg.login)
    said = speaking(cfg, actor)
    set_password(database, actor, login, _password(password, said))
    console.print(i18n.message("cli_password_changed", said, login=login), highlight=False)


@users_app.command("token")
def users_token(login: str, db: DbOption = None, as_login: AsOption = None) -> None:
    """Issue a new API token for LOGIN (printed once; only its hash is stored)."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    typer.echo(issue_token(database, _actor_or_bootstrap(database, cfg.login), login))


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    upload_limit_mb: int = typer.Option(50, "--upload-limit-mb", help="Largest upload accepted, in MB."),
    db: DbOption = None,
) -> None:
    """Serve the web wizard and the JSON API (OpenAPI docs at /docs)."""
    import uvicorn

    from crmxl.web.app import create_app

    cfg = settings(db=db)
    open_database(cfg.database_url)
    app = create_app(cfg, upload_limit=upload_limit_mb * 1_000_000)
    err_console.print(i18n.message("cli_serving", cfg.lang, url=f"http://{host}:{port}", database=cfg.database_url),
                      highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.command("serve")(serve)


i18n.register({
    "cli_password_prompt": {"en": "Password", "pt-BR": "Senha"},
    "cli_password_again": {"en": "Repeat for confirmation", "pt-BR": "Repita para confirmar"},
    "cli_user_added": {"en": "User {login} ({role}) created.", "pt-BR": "Usuário {login} ({role}) criado."},
    "cli_password_changed": {"en": "Password of {login} changed.", "pt-BR": "Senha de {login} alterada."},
    "cli_serving": {"en": "crmxl web wizard on {url}  (database {database})",
                    "pt-BR": "assistente web do crmxl em {url}  (banco de dados {database})"},
})
