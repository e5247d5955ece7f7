"""A login or a profile name typed in any case finds its user or profile, everywhere one is typed."""

from __future__ import annotations

import json

import openpyxl
import pytest
from sqlalchemy import insert

from crmxl.db.models import ExportProfile, utcnow
from crmxl.db.session import Database
from tests.conftest import BACKENDS


def _cells(path):
    return {str(c.value) for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row if c.value}


def test_logins_typed_in_any_case_name_their_user(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    out = tmp_path / "sp1.xlsx"
    exported = cli("export", "accounts", "--portfolio", "AGENT.SP1", "-o", out, *db, "--as", "MGR.South")
    assert exported.exit_code == 0, exported.stderr
    cells = _cells(out)
    assert "agent.sp1" in cells and "AGENT.SP1" not in cells
    mine = cli("export", "accounts", "--portfolio", "Agent.Sp1", "-o", tmp_path / "own.xlsx", *db, "--as", "AGENT.SP1")
    assert mine.exit_code == 0, mine.stderr
    moved = cli("transfer", "--from", "AGENT.SP1", "--to", "Agent.Sp2", "--type", "COMPANY", "--commit", "--json",
                *db, "--as", "Mgr.South")
    assert moved.exit_code == 0, moved.stderr
    done = json.loads(moved.stdout)
    assert (done["from"], done["to"]) == ("agent.sp1", "agent.sp2") and done["count"] > 0
    listed = cli("history", "--user", "MGR.SOUTH", "--json", *db, "--as", "mgr.south")
    assert listed.exit_code == 0, listed.stderr
    assert [b["id"] for b in json.loads(listed.stdout)] == [done["batch_id"]]
    assert json.loads(listed.stdout)[0]["user_login"] == "mgr.south"
    undone = cli("undo", done["batch_id"], *db, "--as", "MGR.SOUTH")
    assert undone.exit_code == 0, undone.stderr
    added = cli("users", "add", "agent.sp9", "--name", "Nine", "--password", "pw12345678", "--manager", "MGR.SOUTH",
                *db, "--as", "ADMIN")
    assert added.exit_code == 0, added.stderr
    assert cli("users", "passwd", "AGENT.SP9", "--password", "pw87654321", *db, "--as", "Agent.Sp9").exit_code == 0
    assert cli("users", "token", "Agent.SP9", *db, "--as", "agent.sp9").exit_code == 0
    missing = cli("export", "accounts", "--portfolio", "nobody", "-o", tmp_path / "x.xlsx", *db, "--as", "admin")
    assert missing.exit_code == 2 and "nobody" in missing.stderr


def test_a_profile_name_differing_only_in_case_is_refused_and_any_case_finds_it(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url, "--as", "mgr.south")
    added = cli("profiles", "add", "Alfa", "--entity", "accounts", "--columns", "name,uf", "--portfolio", "AGENT.SP1",
                *db)
    assert added.exit_code == 0, added.stderr
    twin = cli("profiles", "add", "alfa", "--entity", "accounts", *db)
    assert twin.exit_code == 2 and "Alfa" in twin.stderr
    shown = cli("profiles", "show", "ALFA", *db)
    assert shown.exit_code == 0, shown.stderr
    profile = json.loads(shown.stdout)
    assert profile["name"] == "Alfa" and profile["filters"]["portfolios"] == ["agent.sp1"]
    exported = cli("export", "accounts", "--profile", "alfa", "-o", tmp_path / "a.xlsx", *db)
    assert exported.exit_code == 0, exported.stderr
    cli("profiles", "add", "Beta", "--entity", "accounts", *db)
    clash = cli("profiles", "edit", "beta", "--rename", "ALFA", *db)
    assert clash.exit_code == 2 and "Alfa" in clash.stderr
    renamed = cli("profiles", "edit", "alfa", "--rename", "ALFA", *db)
    assert renamed.exit_code == 0 and "'ALFA'" in renamed.stdout
    deleted = cli("profiles", "delete", "aLfA", *db)
    assert deleted.exit_code == 0, deleted.stderr
    names = [p["name"] for p in json.loads(cli("profiles", "list", "--json", *db).stdout)]
    assert "ALFA" not in names and "Beta" in names


@pytest.mark.parametrize("empty_db", BACKENDS, indirect=True)
def test_the_database_itself_refuses_profile_names_differing_only_in_case(empty_db):
    from sqlalchemy.exc import IntegrityError

    db = Database(empty_db.url)
    row = dict(entity="accounts", columns=[], filters={}, is_default=False, created_at=utcnow(), updated_at=utcnow())
    with db.engine.begin() as conn:
        conn.execute(insert(ExportProfile.__table__).values(name="Gama", **row))
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(ExportProfile.__table__).values(name="GAMA", **row))
    db.dispose()


def test_db_init_stops_on_profile_names_differing_only_in_case_naming_them(cli, tmp_path):
    from crmxl.db import migrate

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = Database(url)
    migrate.upgrade(db, "0005")
    row = dict(entity="accounts", columns=[], filters={}, is_default=False, created_at=utcnow(), updated_at=utcnow())
    with db.engine.begin() as conn:
        for name in ("Alfa", "alfa", "ALFA", "Beta"):
            conn.execute(insert(ExportProfile.__table__).values(name=name, **row))
    result = cli("db", "init", "--db", url)
    assert result.exit_code == 2 and "Traceback" not in result.stderr and "IntegrityError" not in result.stderr
    assert "ALFA / Alfa / alfa" in result.stderr and "Beta" not in result.stderr
    assert migrate.current_revision(db) == "0005"
    db.dispose()


def test_profile_names_with_accents_are_the_same_in_any_case_on_every_database(cli, demo_db, tmp_path):
    db = ("--db", demo_db.url, "--as", "mgr.south")
    assert cli("profiles", "add", "Éden", "--entity", "accounts", "--columns", "name,uf", *db).exit_code == 0
    twin = cli("profiles", "add", "éden", "--entity", "accounts", *db)
    assert twin.exit_code == 2 and "'Éden' exists already" in twin.stderr, twin
    assert cli("profiles", "add", "Seguradoras SP Ção", "--entity", "accounts", *db).exit_code == 0
    shown = cli("profiles", "show", "SEGURADORAS SP ÇÃO", *db)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == "Seguradoras SP Ção", shown
    exported = cli("export", "accounts", "--profile", "ÉDEN", "--portfolio", "agent.sp1", "-o", tmp_path / "e.xlsx",
                   *db)
    assert exported.exit_code == 0, exported.stderr
    clash = cli("profiles", "edit", "seguradoras sp ção", "--rename", "éDEN", *db)
    assert clash.exit_code == 2 and "'Éden' exists already" in clash.stderr, clash
    assert cli("profiles", "edit", "éden", "--rename", "ÉDEN", *db).exit_code == 0
    assert cli("profiles", "add", "STRASSE", "--entity", "accounts", *db).exit_code == 0
    assert cli("profiles", "add", "Straße", "--entity", "accounts", *db).exit_code == 2  # casefold: ß is ss
    assert cli("profiles", "delete", "éden", *db).exit_code == 0
    names = [p["name"] for p in json.loads(cli("profiles", "list", "--json", *db).stdout)]
    assert "ÉDEN" not in names and "Seguradoras SP Ção" in names and "Straße" not in names
