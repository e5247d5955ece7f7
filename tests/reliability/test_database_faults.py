"""Database unreachable or locked: a clear error and exit 2 (503 on the web), nothing written."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from crmxl.benchmark import generate_rows, write_raw
from crmxl.web.app import create_app
from tests.conftest import table_dump

UNREACHABLE = "postgresql://crmxl@127.0.0.1:9/nowhere"


def test_unreachable_database_on_the_command_line(cli, tmp_path):
    for args in (("history",), ("export", "accounts", "--portfolio", "agent.sp1", "-o", tmp_path / "x.xlsx"),
                 ("import", "accounts", tmp_path / "missing.xlsx")):
        result = cli(*args, "--db", UNREACHABLE)
        assert result.exit_code == 2 and "cannot be used right now" in result.stderr, result
        assert "Traceback" not in result.stderr


def test_unreachable_database_on_the_web_is_a_503(tmp_path):
    client = TestClient(create_app(database_url=UNREACHABLE, root=tmp_path / "w"), raise_server_exceptions=False)
    client.get("/login")
    response = client.post("/login", data={"login": "admin", "password": "x",
                                           "csrf": client.get("/login").text.split('name="csrf" value="')[1][:43]})
    assert response.status_code == 503 and "cannot be used right now" in response.text
    assert client.get("/api/me", headers={"Authorization": "Bearer x"}).status_code == 503


def test_a_locked_sqlite_database_is_a_clear_error_and_nothing_is_written(cli, sqlite_demo_db, tmp_path):
    rows, _ = generate_rows(50, [])
    path = tmp_path / "small.xlsx"
    write_raw(path, [[*r[:4], "SP" if r[4] == "??" else r[4], *r[5:]] for r in rows])
    before = table_dump(sqlite_demo_db.url)
    holder = sqlite3.connect(sqlite_demo_db.url.removeprefix("sqlite:///"))
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("import", "accounts", path, "--commit", "--skip-invalid", "--db", sqlite_demo_db.url)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2 and "locked" in result.stderr, result
    assert table_dump(sqlite_demo_db.url) == before
