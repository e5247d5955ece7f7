"""Help texts in the usual command-line style: `FILE`, `--db URL`, a flag with no type after it.

Typer writes an argument as `{file}` in the usage line, and the type of every option and argument as
`<str>`, `<bool>`, `<int>`: placeholders a user is not meant to read. The command tree gets plain names
instead, once, before it runs.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

# what an option's value is, where its parameter's name does not say it
VALUE_NAMES = {"db": "URL", "as_login": "LOGIN", "from_login": "LOGIN", "to_login": "LOGIN", "portfolio": "LOGIN",
               "manager": "LOGIN", "user": "LOGIN", "account_type": "TYPE", "fmt": "FORMAT", "account": "NUMBER",
               "upload_limit_mb": "MB", "out": "PATH", "lang": "LANG", "limit": "N", "port": "PORT"}


def _no_type(ctx: Any) -> None:
    return None


def plain_help(command: Any) -> Any:
    """Give ``command`` and its subcommands plain metavars; returns ``command``. Cosmetic, and made through
    attributes of Typer's own: whatever another Typer does with them, the commands run as they are."""
    try:
        _plain(command)
    except Exception:  # noqa: BLE001 - never a command that does not start for the looks of its help
        pass
    return command


def _plain(command: Any) -> None:
    for param in getattr(command, "params", ()):
        if getattr(param, "param_type_name", "") == "argument":
            if param.metavar is None:
                param.metavar = param.name.upper()
            param.display_type_rich = _no_type  # the name says it: no '<str>' beside it
            usage = param.metavar + ("..." if param.nargs != 1 else "")
            param._usage_display_name = lambda usage=usage: usage  # 'FILE', not '{file}'
        elif param.metavar is None:
            param.metavar = "" if getattr(param, "is_flag", False) else VALUE_NAMES.get(param.name, param.name.upper())
    help_option = command.get_help_option(SimpleNamespace(help_option_names=["--help"]))
    if help_option is not None:  # made once and kept by the command: a flag, no '<bool>'
        help_option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain(sub)
