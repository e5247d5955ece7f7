"""Distributing templates to a manager's agents (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest

from crmxl.db.session import Database
from crmxl.errors import NotFound, PermissionDenied
from crmxl.services.access import actor_for
from crmxl.services.templates import distribute

SOUTH = ["agent.pr1", "agent.rs1", "agent.sp1", "agent.sp2"]


def _actor(db, login):
    with db.session() as s:
        return actor_for(s, login)


def test_one_workbook_per_agent_with_lists_from_the_database_and_a_manifest(demo_db, tmp_path):
    db = Database(demo_db.url)
    written = distribute(db, _actor(db, "mgr.south"), "mgr.south", tmp_path)
    assert sorted({d.agent for d in written}) == SOUTH
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert len(manifest["files"]) == 8
    for entry in manifest["files"]:
        path = tmp_path / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert entry["version"] == "1.0"
    book = openpyxl.load_workbook(tmp_path / "crmxl-accounts-agent.sp1.xlsx")
    assert book["Accounts"]["D2"].value == "agent.sp1"
    lists = [[c.value for c in row] for row in book["Lists"].iter_rows(min_row=2)]
    portfolios = [r[3] for r in lists if r[3]]
    assert portfolios == [*SOUTH, "Without Portfolio"]
    assert len([r[4] for r in lists if r[4]]) == 55
    assert dict(book["_crmxl"].iter_rows(values_only=True))["portfolio_default"] == "agent.sp1"


def test_only_that_manager_or_an_admin_may_distribute(demo_db, tmp_path):
    db = Database(demo_db.url)
    assert distribute(db, _actor(db, "admin"), "mgr.north", tmp_path)
    with pytest.raises(PermissionDenied):
        distribute(db, _actor(db, "mgr.south"), "mgr.north", tmp_path)
    with pytest.raises(NotFound):
        distribute(db, _actor(db, "admin"), "agent.sp1", tmp_path)
