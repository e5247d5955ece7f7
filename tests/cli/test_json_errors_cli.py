"""--json on every command that takes it: a refusal (exit 2) answers one JSON object on stdout, as import's."""

from __future__ import annotations

import json

import pytest


def _error(result) -> dict:
    assert result.exit_code == 2, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # one JSON object, and nothing else on stdout
    answer = json.loads(lines[0])
    assert answer["file"] is None and answer["committed"] is False
    assert answer["error"]["exit_code"] == 2 and answer["error"]["message"] in result.stderr
    return answer["error"]


@pytest.mark.parametrize("args, code", [
    (["transfer", "--from", "agent.sp1", "--to", "nobody", "--json", "--as", "admin"], "user_unknown"),
    (["transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--commit", "--json", "--as", "nobody"], "user_unknown"),
    (["history", "--user", "nobody", "--json", "--as", "admin"], "login_unknown"),
    (["profiles", "list", "--json", "--as", "nobody"], "user_unknown"),
])
def test_a_refused_command_with_json_answers_one_json_object(cli, sqlite_demo_db, args, code):
    error = _error(cli(*args, "--db", sqlite_demo_db.url))
    assert error["code"] == code and "nobody" in error["message"]


def test_an_unusable_database_with_json_is_answered_in_json_too(cli, tmp_path):
    (tmp_path / "not-a-db.sqlite3").write_text("not a database at all" * 100)
    error = _error(cli("history", "--json", "--db", f"sqlite:///{tmp_path / 'not-a-db.sqlite3'}"))
    assert error["code"] == "database_unavailable"


def test_without_json_a_refusal_prints_nothing_on_stdout(cli, sqlite_demo_db):
    result = cli("transfer", "--from", "agent.sp1", "--to", "nobody", "--as", "admin", "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and result.stdout == "" and "nobody" in result.stderr
