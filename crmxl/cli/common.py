"""What every command shares: options, opening the database, the acting user, progress, errors."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crmxl import i18n
from crmxl.config import Settings, load_settings
from crmxl.errors import CrmxlError, UnusableInput
from crmxl.db.session import Database
from crmxl.services.access import Actor, resolve_actor
from crmxl.services.setup import ensure_ready

# No markup by default: messages carry the user's data (names, file names, logins), and a '[/i]' in them
# must print as it is, not style the output or break it. Our own styles are given as ``style=``.
console = Console(soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)


def error_text(message: str, label: str | None = None, lang: str | None = None) -> Text:
    """'Error: <message>' ('Erro:' in Portuguese) with the label in bold red and the message as it is."""
    return Text.assemble((label or i18n.message("cli_error", lang), "bold red"), " ", message)


def chosen_language() -> str | None:
    """The language chosen (``CRMXL_LANG``, the config file) before a command knows its acting user; None when
    none was chosen or the settings cannot be read (their error is said later, by the command)."""
    try:
        cfg = settings()
    except CrmxlError:
        return None
    return cfg.lang if cfg.lang_chosen else None


class SaidBadParameter(typer.BadParameter):
    """A bad option value said in the chosen language: the service's message alone, not inside Click's English
    usage text (exit 2 like any usage error; with --json, the message is the JSON answer's)."""

    def __init__(self, error: CrmxlError, lang: str | None) -> None:
        self.lang = lang
        super().__init__(error.render(lang))

    def format_message(self) -> str:
        return self.message

    def show(self, file: Any = None) -> None:
        err_console.print(error_text(self.message, lang=self.lang), highlight=False)


def bad_parameter(error: CrmxlError) -> typer.BadParameter:
    """The usage error for a value a service refused: in the chosen language when one other than English was
    chosen, else Click's usual 'Invalid value' with the English message."""
    lang = chosen_language()
    if lang is not None and lang != i18n.DEFAULT_LANGUAGE:
        return SaidBadParameter(error, lang)
    return typer.BadParameter(error.render())


i18n.register({
    "cli_error": {"en": "Error:", "pt-BR": "Erro:"},
    "cli_unexpected_error": {"en": "Unexpected error:", "pt-BR": "Erro inesperado:"},
})

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL (default: $CRMXL_DATABASE_URL or the user's SQLite file).")]
AsOption = Annotated[str | None, typer.Option("--as", help="Act as this login (default: the config file's login; on the demo database, admin).")]
def checked_language(value: str | None) -> str | None:
    """The ``--lang`` option: en or pt-BR in any case (``pt-br``, ``PT_BR``), given back as written here (a usage
    error otherwise, not English in silence)."""
    if value is None:
        return None
    if not i18n.is_language(value):
        raise typer.BadParameter(f"{value!r} is not a language crmxl speaks: en or pt-BR.")
    return i18n.normalize_language(value)


LangOption = Annotated[str | None, typer.Option("--lang", callback=checked_language,
                                                help="Message language: en or pt-BR.")]


def out_folder(path: Path) -> Path:
    """An --out folder: a file of that name is a usage error, said so (mkdir said only 'File exists')."""
    if path.exists() and not path.is_dir():
        raise UnusableInput("out_is_a_file", path=str(path))
    return path


def settings(db: str | None = None, login: str | None = None, lang: str | None = None) -> Settings:
    return load_settings(database_url=db, login=login, lang=lang)


def speaking(cfg: Settings, actor: Actor | None = None) -> str:
    """The language of what a command prints: the one chosen (``--lang``, ``CRMXL_LANG``, the config file), else
    the acting user's, else English."""
    if cfg.lang_chosen or actor is None:
        return cfg.lang
    return i18n.normalize_language(actor.lang)


def open_database(url: str, *, check_schema: bool = True) -> Database:
    db = Database(url)
    if check_schema:
        ensure_ready(db)
    return db


def acting_user(db: Database, login: str | None) -> Actor:
    with db.session() as session:
        return resolve_actor(session, login)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A Rich progress bar as a ``Progress`` callback (stage, done, total); silent when not a terminal."""
    if not enabled or not err_console.is_terminal:
        yield lambda stage, done, total=None: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err_console, transient=True)
    tasks: dict[str, int] = {}
    with bar:
        def report(stage: str, done: int, total: int | None = None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


def fail(message: str, code: int = 2) -> None:
    err_console.print(error_text(message), highlight=False)
    raise typer.Exit(code)


def is_debug() -> bool:
    import os

    return bool(os.environ.get("CRMXL_DEBUG"))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
