"""The `crmxl` command: a thin face over the services."""

from __future__ import annotations

import sys

import click
import typer
from typer.exceptions import TyperException

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DataError, IntegrityError

from crmxl import __version__, i18n
from crmxl.cli import addin, common, data, exporting, importing, templates, usage, web
from crmxl.cli.help import plain_help
from crmxl.db.session import CONCURRENCY_STATES, ConcurrentChange, describe_error, refused, sqlstate
from crmxl.errors import CrmxlError, DatabaseUnavailable

app = typer.Typer(
    name="crmxl",
    help="Import, validate, export and transfer CRM accounts and contacts with Excel model workbooks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", help="Show the version and exit.")) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


data.register(app)
templates.register(app)
importing.register(app)
exporting.register(app)
web.register(app)
app.add_typer(addin.app, name="addin")


_COMMAND: click.Command | None = None


def command() -> click.Command:
    """The click command behind ``app``, built once, with plain help texts."""
    global _COMMAND
    if _COMMAND is None:
        _COMMAND = plain_help(typer.main.get_command(app))
    return _COMMAND


def run(argv: list[str] | None = None) -> int:
    """Entry point: never a traceback for the user; exit 0/1/2 as DESIGN.md says."""
    try:
        result = command()(args=argv, standalone_mode=False)
        if result == INTERRUPTED:  # Typer turns Ctrl-C into exit 130, which Click returns here without a word
            common.err_console.print(_interrupted(argv))
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        if exc.exit_code == INTERRUPTED:  # Typer's own answer to Ctrl-C: say what it means
            common.err_console.print(_interrupted(argv))
        return exc.exit_code
    except (click.exceptions.Abort, typer.Abort):
        common.err_console.print(i18n.message("cli_aborted", _lang(argv)))
        return 2
    except (click.ClickException, TyperException) as exc:  # usage errors (typer 0.29 bundles its own click)
        answer = usage.json_answer(app, exc, list(sys.argv[1:] if argv is None else argv), _lang(argv))
        if answer is not None:  # --json: the one JSON object on stdout; the usage text still on stderr
            typer.echo(answer)
        show = getattr(exc, "show", None)
        if show is None:
            common.err_console.print(common.error_text(str(exc)), highlight=False)
        else:
            show()
        return 2
    except CrmxlError as exc:
        return _refuse(exc, argv)
    except DatabaseError as exc:  # a database that went away, is locked, or is no database at all
        if isinstance(exc, IntegrityError):
            return _unexpected(exc, argv)
        if isinstance(exc, DataError):  # a value the database refused: the database itself works
            return _refuse(refused(exc), argv)
        return _refuse(ConcurrentChange("concurrent_change", detail=describe_error(exc))
                       if sqlstate(exc) in CONCURRENCY_STATES
                       else DatabaseUnavailable("database_unavailable", url=_database_url(argv),
                                                detail=describe_error(exc)), argv)
    except ArgumentError as exc:  # a database URL SQLAlchemy cannot use
        return _refuse(DatabaseUnavailable("database_unavailable", url=_database_url(argv), detail=str(exc)), argv)
    except OSError as exc:  # a folder that cannot be written, a disk that is full
        lang = _lang(argv)
        said = f"{exc.filename or ''}: {exc.strerror or exc}." + _nothing_committed(argv, lang)
        _answer_json(argv, "os_error", said, 2)
        common.err_console.print(common.error_text(said, lang=lang), highlight=False)
        return 2
    except KeyboardInterrupt:
        common.err_console.print(_interrupted(argv))
        return INTERRUPTED
    except Exception as exc:  # the last line of defence: a message, not a traceback
        return _unexpected(exc, argv)


INTERRUPTED = 130  # what a shell reports for Ctrl-C


def _interrupted(argv: list[str] | None) -> str:
    return i18n.message("cli_interrupted", _lang(argv))


def _refuse(error: CrmxlError, argv: list[str] | None) -> int:
    lang = _lang(argv)
    if not getattr(error, "answered_json", False):  # import answers its own (it knows the file it read)
        _answer_json(argv, error.code, error.render(lang), error.exit_code)
    common.err_console.print(common.error_text(error.render(lang), lang=lang), highlight=False)
    return error.exit_code


def _answer_json(argv: list[str] | None, code: str, message: str, exit_code: int) -> None:
    """With --json, the one JSON object on stdout that every exit 2 answers (the message goes to stderr too)."""
    answer = usage.json_error(app, list(sys.argv[1:] if argv is None else argv), code, message, exit_code)
    if answer is not None:
        typer.echo(answer)


def _unexpected(exc: Exception, argv: list[str] | None) -> int:
    if common.is_debug():
        raise exc
    lang = _lang(argv)
    _answer_json(argv, "unexpected_error", f"{type(exc).__name__}: {exc}", 2)
    common.err_console.print(
        common.error_text(f"{type(exc).__name__}: {exc}\n"
                          + (_nothing_committed(argv, lang) + " " + i18n.message("cli_debug_hint", lang)).strip(),
                          i18n.message("cli_unexpected_error", lang)),
        highlight=False,
    )
    return 2


def _commits(argv: list[str] | None) -> bool:
    """Whether the command run writes to the database (so a failure may say that nothing was committed)."""
    args = [a for a in (sys.argv[1:] if argv is None else argv) if a]
    name, sub = (args + ["", ""])[:2]
    if name in ("import", "transfer"):
        return "--commit" in args
    return (name in ("db", "demo", "undo") or (name == "users" and sub in ("add", "passwd", "token"))
            or (name == "profiles" and sub in ("add", "edit", "delete")))


def _nothing_committed(argv: list[str] | None, lang: str | None) -> str:
    """' Nothing was committed by the failed step.' for a command that commits; '' for one that does not."""
    return " " + i18n.message("cli_nothing_committed", lang) if _commits(argv) else ""


i18n.register({
    "cli_nothing_committed": {"en": "Nothing was committed by the failed step.",
                              "pt-BR": "Nada foi gravado pela etapa que falhou."},
    "cli_aborted": {"en": "Aborted.", "pt-BR": "Cancelado."},
    "cli_interrupted": {"en": "Interrupted: the step under way committed nothing (a commit is all or nothing); "
                              "`crmxl history` lists what was committed.",
                        "pt-BR": "Interrompido: a etapa em andamento não gravou nada (uma gravação é tudo ou nada); "
                                 "`crmxl history` lista o que foi gravado."},
    "cli_debug_hint": {"en": "Set CRMXL_DEBUG=1 to see the details.",
                       "pt-BR": "Defina CRMXL_DEBUG=1 para ver os detalhes."},
})


def _lang(argv: list[str] | None) -> str | None:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--lang" in args and args.index("--lang") + 1 < len(args):
        return args[args.index("--lang") + 1]
    given = [a.removeprefix("--lang=") for a in args if a.startswith("--lang=")]
    if given:
        return given[-1]
    try:
        return common.settings().lang
    except CrmxlError:
        return None


def _database_url(argv: list[str] | None) -> str:
    """The database the command was given (--db, else the settings'), its password hidden."""
    args = list(sys.argv[1:] if argv is None else argv)
    url = next((a.split("=", 1)[1] for a in args if a.startswith("--db=")), None)
    if url is None and "--db" in args and args.index("--db") + 1 < len(args):
        url = args[args.index("--db") + 1]
    try:
        url = url or common.settings().database_url
        return make_url(url).render_as_string(hide_password=True)
    except (CrmxlError, ArgumentError):
        return url or "?"


def _quiet_unraisable(info) -> None:
    """A library's cleanup failing at garbage collection (e.g. a temporary file on a full disk) after the
    error was already reported: no second, raw traceback for the user (shown with CRMXL_DEBUG=1)."""
    if common.is_debug():
        sys.__unraisablehook__(info)


def entry() -> None:
    sys.unraisablehook = _quiet_unraisable
    sys.exit(run())


if __name__ == "__main__":
    entry()
