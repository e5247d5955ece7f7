"""Usage errors with --json: the one JSON object every exit 2 answers (README: `--json`), not only Click's text.

Click stops at a usage error (an unknown option, a missing argument, a value a callback refuses) before the
command runs, so the command cannot answer for itself: the entry point asks here which command the words named,
whether it takes --json, and which FILE it was given."""

from __future__ import annotations

import json
from typing import Any

import typer

from crmxl import i18n

JSON_FLAG = "--json"


def _words(argv: list[str]) -> list[str]:
    """The words before a '--' (after it, every word is an argument: a file may be called --json)."""
    return argv[: argv.index("--")] if "--" in argv else list(argv)


def _is_option(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "option"


def _takes_json(command: Any) -> bool:
    if hasattr(command, "commands"):  # a group (`import`): when every one of its commands takes --json
        return bool(command.commands) and all(_takes_json(c) for c in command.commands.values())
    return any(_is_option(p) and JSON_FLAG in p.opts for p in command.params)


def _named_command(root: Any, argv: list[str]) -> tuple[Any, list[str], list[str]]:
    """The command the words name (a group when they name none of its commands), its names, and the words after."""
    command, names, rest = root, [], list(argv)
    while hasattr(command, "commands"):
        words = [w for w in rest if not w.startswith("-")]
        if not words or words[0] not in command.commands:
            break
        command = command.commands[words[0]]
        names.append(words[0])
        rest = rest[rest.index(words[0]) + 1:]
    return command, names, rest


def _file_argument(command: Any, rest: list[str]) -> str | None:
    """The FILE the words gave the command (its first argument), when it takes one."""
    if not any(getattr(p, "param_type_name", "") == "argument" and p.name == "file" for p in command.params):
        return None
    valued = {o for p in command.params if _is_option(p) and not p.is_flag and not p.count
              for o in (*p.opts, *p.secondary_opts)}
    skip = False
    for index, word in enumerate(rest):
        if skip:
            skip = False
        elif word == "--":
            return rest[index + 1] if index + 1 < len(rest) else None
        elif word.startswith("-") and word != "-":
            skip = "=" not in word and word in valued
        else:
            return word
    return None


def json_answer(app: typer.Typer, error: Exception, argv: list[str], lang: str | None) -> str | None:
    """The JSON object for ``error`` (a usage error) when --json is among the words and the command takes it;
    None otherwise (Click's usage text is the whole answer then)."""
    if JSON_FLAG not in _words(argv):
        return None
    command, names, rest = _named_command(typer.main.get_command(app), argv)
    if not names or not _takes_json(command):
        return None
    detail = error.format_message() if hasattr(error, "format_message") else str(error)
    message = i18n.message("cli_usage_error", lang, detail=detail, command=" ".join(["crmxl", *names]))
    return _object(_file_argument(command, rest), "usage_error", message, 2)


def json_error(app: typer.Typer, argv: list[str], code: str, message: str, exit_code: int) -> str | None:
    """The JSON object for a refusal after the command started (an unknown user, a database that cannot be used)
    when --json is among the words and the command takes it; None otherwise (stderr says it alone then)."""
    if JSON_FLAG not in _words(argv):
        return None
    command, names, rest = _named_command(typer.main.get_command(app), argv)
    if not names or not _takes_json(command):
        return None
    return _object(_file_argument(command, rest), code, message, exit_code)


def _object(file: str | None, code: str, message: str, exit_code: int) -> str:
    return json.dumps({"file": file, "committed": False, "batch_id": None,
                       "error": {"code": code, "message": message, "exit_code": exit_code}}, ensure_ascii=False)


i18n.register({
    "cli_usage_error": {"en": "{detail} See `{command} --help`.", "pt-BR": "{detail} Veja `{command} --help`."},
})
