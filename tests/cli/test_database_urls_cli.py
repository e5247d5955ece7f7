"""A database URL crmxl cannot use: said so, naming the databases it works with (exit 2), never a traceback."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("url", [
    "mysql://x@y/z",
    "mysql+pymysql://x@y/z",
    "oracle://scott:tiger@db/orcl",
    "postgresql+asyncpg://x@y/z",
    "sqlite+aiosqlite:///x.sqlite3",
    "foo://x",
    "not a url at all",
    "postgresql://x@y:notaport/z",
])
def test_an_unsupported_database_names_the_supported_ones(cli, tmp_path, url):
    for command in (("history",), ("db", "init"), ("users", "add", "x", "--name", "X", "--password", "long-enough")):
        result = cli(*command, "--db", url)
        assert result.exit_code == 2, (command, result.stderr)
        assert "SQLite" in result.stderr and "PostgreSQL" in result.stderr, (command, result.stderr)
        assert "Unexpected error" not in result.stderr and "ModuleNotFoundError" not in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    assert "tiger" not in cli("history", "--db", url).stderr  # a password is never shown


def test_an_unsupported_database_in_json(cli, tmp_path):
    result = cli("import", "accounts", tmp_path / "a.xlsx", "--json", "--db", "mysql://x@y/z")
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["committed"] is False and answer["error"]["exit_code"] == 2
    assert answer["error"]["code"] == "database_url_unsupported" and "PostgreSQL" in answer["error"]["message"]


def test_the_supported_spellings_still_work(cli, tmp_path):
    for url in (f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite+pysqlite:///{tmp_path / 'b.sqlite3'}"):
        assert cli("db", "init", "--db", url).exit_code == 0


def test_a_database_that_cannot_be_used_is_named(cli, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no database" * 100)
    result = cli("history", "--db", f"sqlite:///{path}")
    assert result.exit_code == 2 and "cannot be used right now" in result.stderr
    assert "database  " not in result.stderr and "book.xlsx" in result.stderr
