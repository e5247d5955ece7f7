"""--json on the command line: a usage error answers the one JSON object too (exit 2), as every other exit 2."""

from __future__ import annotations

import json

import pytest


def _answer(result) -> dict:
    assert result.exit_code == 2, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # one JSON object, and nothing else on stdout
    answer = json.loads(lines[0])
    assert answer["committed"] is False and answer["batch_id"] is None
    assert answer["error"]["code"] == "usage_error" and answer["error"]["exit_code"] == 2
    return answer


@pytest.mark.parametrize("args, file, says", [
    (["import", "accounts", "f.xlsx", "--json", "--lang", "xx"], "f.xlsx", "--lang"),
    (["import", "contacts", "--json", "f.xlsx", "--no-such-option"], "f.xlsx", "--no-such-option"),
    (["import", "accounts", "--db", "sqlite:///x.sqlite3", "--json", "my file.xlsx", "--report"], "my file.xlsx",
     "--report"),
    (["import", "accounts", "--json"], None, "'FILE'"),
    (["import", "accounts", "a.xlsx", "b.xlsx", "--json"], "a.xlsx", "b.xlsx"),
    (["import", "acounts", "a.xlsx", "--json"], None, "acounts"),
])
def test_an_import_usage_error_answers_json(cli, args, file, says):
    result = cli(*args)
    answer = _answer(result)
    assert answer["file"] == file
    assert says in answer["error"]["message"] and "--help" in answer["error"]["message"]
    assert says in result.stderr  # the usage text still goes to stderr


@pytest.mark.parametrize("args, says", [
    (["history", "--json", "--limit", "0"], "--limit"),
    (["history", "--json", "--kind", "nope"], "nope"),
    (["transfer", "--to", "agent.sp1", "--json"], "--from"),
    (["profiles", "list", "--json", "--what"], "--what"),
])
def test_other_commands_with_json_answer_json_too(cli, args, says):
    answer = _answer(cli(*args))
    assert answer["file"] is None and says in answer["error"]["message"]


def test_without_json_a_usage_error_is_the_usage_text_only(cli):
    result = cli("import", "accounts", "f.xlsx", "--lang", "xx")
    assert result.exit_code == 2 and result.stdout == "" and "--lang" in result.stderr
    no_json_option = cli("export", "accounts", "--json")  # export has no --json: Click says so, in its words
    assert no_json_option.exit_code == 2 and no_json_option.stdout == ""
    assert "No such option" in no_json_option.stderr
    after_separator = cli("import", "accounts", "--lang", "xx", "--", "--json")  # a file named --json
    assert after_separator.stdout == ""
