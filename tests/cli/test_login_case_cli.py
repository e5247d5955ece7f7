"""Logins are one user's whatever their case: created once, found as typed in any case, run as a user would."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from crmxl.db import migrate
from crmxl.db.models import User, utcnow
from crmxl.db.session import Database
from tests.conftest import BACKENDS


def _add(cli, url, login, *extra):
    return cli("users", "add", login, "--name", "X", "--password", "pw12345678", "--db", url, *extra)


def test_a_login_differing_only_in_case_is_refused_naming_the_existing_one(cli, sqlite_demo_db):
    url = sqlite_demo_db.url
    result = _add(cli, url, "AGENT.SP1", "--manager", "mgr.south")
    assert result.exit_code == 2, result.stdout
    assert "agent.sp1" in result.stderr and "Traceback" not in result.stderr
    with Database(url).session() as s:
        assert s.scalars(select(User.login).where(User.login.ilike("agent.sp1"))).all() == ["agent.sp1"]
    assert _add(cli, url, "agent.sp9", "--manager", "mgr.south").exit_code == 0


@pytest.mark.parametrize("login", ["ágent.sp9", "agent sp9", "agent/sp9", "agent;sp9", "Ágent"])
def test_a_login_is_ascii_so_that_it_is_the_same_in_any_case_on_every_database(cli, sqlite_demo_db, login):
    """SQLite's lower() folds ASCII letters only: 'Ágent' and 'ágent' would both be stored there."""
    result = _add(cli, sqlite_demo_db.url, login, "--manager", "mgr.south")
    assert result.exit_code == 2 and "letters without accents" in result.stderr, result.stderr
    assert _add(cli, sqlite_demo_db.url, "Agent_SP-9@north", "--manager", "mgr.south").exit_code == 0


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_the_database_itself_refuses_logins_differing_only_in_case(empty_db):
    db = Database(empty_db.url)
    row = dict(name="X", role="agent", lang="en", active=True, created_at=utcnow())
    with db.engine.begin() as conn:
        conn.execute(insert(User.__table__).values(login="Agent.X", **row))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(User.__table__).values(login="agent.x", **row))
    db.dispose()


def _old_database_with(tmp_path, logins, role="agent"):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = Database(url)
    migrate.upgrade(db, "0004")
    with db.engine.begin() as conn:
        for login in logins:
            conn.execute(insert(User.__table__).values(login=login, name=login, role=role if login == "root" else "agent", lang="en",
                                                       active=True, created_at=utcnow()))
    db.dispose()
    return url, db


def test_db_init_stops_on_logins_differing_only_in_case_naming_them(cli, tmp_path):
    url, db = _old_database_with(tmp_path, ["agent.sp1", "AGENT.SP1", "mgr.x", "other"])
    result = cli("db", "init", "--db", url)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "AGENT.SP1" in result.stderr and "agent.sp1" in result.stderr and "IntegrityError" not in result.stderr
    assert "other" not in result.stderr
    assert migrate.current_revision(db) == "0004"
    db.dispose()


def test_db_init_migrates_a_database_without_such_logins(cli, tmp_path):
    url, db = _old_database_with(tmp_path, ["agent.sp1", "mgr.x", "root"], role="admin")
    assert cli("db", "init", "--db", url).exit_code == 0 and migrate.is_current(db)
    result = _add(cli, url, "Mgr.X", "--role", "manager", "--as", "root")
    assert result.exit_code == 2 and "mgr.x" in result.stderr
    db.dispose()
