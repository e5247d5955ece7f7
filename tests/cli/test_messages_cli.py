"""What the command line prints around its work: the language chosen, help texts, history's table."""

from __future__ import annotations

import re


def test_help_texts_have_no_placeholders(cli):
    commands = [(), ("import", "accounts"), ("export", "accounts"), ("profiles", "add"), ("profiles", "edit"),
                ("transfer",), ("history",), ("undo",), ("templates", "build"), ("templates", "distribute"),
                ("users", "add"), ("serve",), ("demo",), ("db", "init"), ("addin", "build")]
    for command in commands:
        shown = cli(*command, "--help")
        assert shown.exit_code == 0, command
        text = shown.stdout + shown.stderr
        assert not re.search(r"\{\w+\}|<(bool|str|int|text|float)>", text), (command, text)
