"""Values longer than their column: the same refusal on SQLite and PostgreSQL, naming the field and its limit."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from crmxl.db.models import ExportProfile, User
from crmxl.schema import TEMPLATES


def _count(url: str, model) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(model)).scalar()
    engine.dispose()
    return found


def test_a_login_holds_what_the_portfolio_column_holds():
    portfolio = next(c for c in TEMPLATES["accounts"].columns if c.field == "portfolio")
    assert User.__table__.c.login.type.length == portfolio.max_length


def test_a_profile_name_too_long_is_refused_naming_the_limit(cli, demo_db):
    before = _count(demo_db.url, ExportProfile)
    result = cli("profiles", "add", "P" * 120, "--entity", "accounts", "--db", demo_db.url)
    assert result.exit_code == 2, result.stderr
    assert "100" in result.stderr and "120" in result.stderr and "profile" in result.stderr
    assert "cannot be used right now" not in result.stderr and "Unexpected" not in result.stderr
    assert _count(demo_db.url, ExportProfile) == before
    assert cli("profiles", "add", "P" * 100, "--entity", "accounts", "--db", demo_db.url).exit_code == 0
    renamed = cli("profiles", "edit", "P" * 100, "--rename", "Q" * 101, "--db", demo_db.url)
    assert renamed.exit_code == 2 and "101" in renamed.stderr and "100" in renamed.stderr


def test_a_login_longer_than_the_portfolio_column_is_refused(cli, demo_db):
    before = _count(demo_db.url, User)
    result = cli("users", "add", "a" * 70, "--name", "Long Login", "--password", "long-enough", "--db", demo_db.url)
    assert result.exit_code == 2, result.stderr
    assert "64" in result.stderr and "70" in result.stderr and "Portfolio" in result.stderr
    assert "cannot be used right now" not in result.stderr
    assert _count(demo_db.url, User) == before
    ok = cli("users", "add", "a" * 64, "--name", "Login", "--password", "long-enough", "--db", demo_db.url)
    assert ok.exit_code == 0, ok.stderr


def test_a_user_name_too_long_is_refused(cli, demo_db):
    result = cli("users", "add", "agent.long", "--name", "N" * 250, "--password", "long-enough", "--db", demo_db.url)
    assert result.exit_code == 2, result.stderr
    assert "200" in result.stderr and "250" in result.stderr and "name" in result.stderr
    assert "cannot be used right now" not in result.stderr


def test_a_value_the_database_refuses_is_said_so(cli, demo_db, monkeypatch):
    """A value that gets past the checks to the database: refused by it (PostgreSQL), said as such, not as a
    database that cannot be used, and never with a blank database name."""
    from crmxl.services import limits

    monkeypatch.setattr(limits, "length_of", lambda column: 10_000)
    result = cli("profiles", "add", "P" * 120, "--entity", "accounts", "--db", demo_db.url)
    if demo_db.backend == "sqlite":  # SQLite holds any length
        assert result.exit_code == 0
        return
    assert result.exit_code == 2, result.stderr
    assert "refused" in result.stderr and "too long" in result.stderr
    assert "cannot be used right now" not in result.stderr and "database  " not in result.stderr
