"""Distributing templates to a manager's agents (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
from sqlalchemy import select

from crmxl.db.models import Qualification, User
from crmxl.db.session import Database
from crmxl.domain.enums import WITHOUT_PORTFOLIO
from crmxl.domain.text import sorted_names
from crmxl.errors import NotFound, PermissionDenied, UnusableInput
from crmxl.schema import ACCOUNTS, CONTACTS, LISTS_SHEET
from crmxl.services.access import actor_for
from crmxl.services.templates import MANIFEST, distribute
from crmxl.workbook.reader import read_table


def _actor(db, login):
    with db.session() as s:
        return actor_for(s, login)


def _agents_and_registry(db, manager):
    with db.session() as s:
        mgr = s.scalar(select(User).where(User.login == manager))
        agents = sorted(a.login for a in mgr.agents if a.active)
        registry = sorted_names(s.scalars(select(Qualification.name)).all())
    return agents, registry


def test_one_workbook_per_agent_with_lists_from_the_database_and_a_manifest(demo_db, tmp_path):
    db = Database(demo_db.url)
    agents, registry = _agents_and_registry(db, "mgr.south")
    assert agents  # the demo manager has agents
    manifest = distribute(db, _actor(db, "mgr.south"), "mgr.south", tmp_path)
    assert manifest.agents == agents
    on_disk = json.loads((tmp_path / MANIFEST).read_text())
    assert on_disk == json.loads(json.dumps(manifest.as_json()))
    assert sorted((e["agent"], e["template"]) for e in on_disk["files"]) == sorted(
        (a, t.id) for a in agents for t in (ACCOUNTS, CONTACTS))
    for entry in on_disk["files"]:
        path = tmp_path / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        tpl = ACCOUNTS if entry["template"] == "accounts" else CONTACTS
        assert entry["version"] == tpl.version
        table = read_table(path, tpl)  # the importer accepts what was distributed, with nothing to import yet
        assert table.template_version == tpl.version and table.rows == []
    assert not list(tmp_path.glob("*.part"))

    agent = agents[0]
    book = openpyxl.load_workbook(tmp_path / f"crmxl-accounts-{agent}.xlsx")
    sheet = book[ACCOUNTS.sheet()]
    portfolio = ACCOUNTS.letter("portfolio")
    assert sheet[f"{portfolio}2"].value == sheet[f"{portfolio}201"].value == agent
    lists = [[c.value for c in row] for row in book[LISTS_SHEET["en"]].iter_rows(min_row=2)]
    # the dropdown offers what the agent may import: their own portfolio (not the team's, nor Without Portfolio)
    assert [r[3] for r in lists if r[3]] == [agent] and WITHOUT_PORTFOLIO not in {r[3] for r in lists}
    assert [r[4] for r in lists if r[4]] == registry  # in sort_key order, whatever the database's collation
    assert dict(book["_crmxl"].iter_rows(values_only=True))["portfolio_default"] == agent
    prompts = [dv.prompt for dv in sheet.data_validations.dataValidation if dv.formula1 == "crmxl_portfolios"]
    assert prompts and agent in prompts[0]
    instructions = " ".join(str(c.value) for c in book.worksheets[1]["A"] if c.value)
    assert agent in instructions
    contacts = openpyxl.load_workbook(tmp_path / f"crmxl-contacts-{agent}.xlsx")
    assert "portfolio_default" not in dict(contacts["_crmxl"].iter_rows(values_only=True))


def test_a_new_qualification_reaches_the_next_distribution(sqlite_demo_db, tmp_path):
    db = Database(sqlite_demo_db.url)
    with db.session() as s:
        s.add(Qualification(name="Medicina do Sono"))
        s.commit()
    distribute(db, _actor(db, "admin"), "mgr.north", tmp_path)
    agent = _agents_and_registry(db, "mgr.north")[0][0]
    book = openpyxl.load_workbook(tmp_path / f"crmxl-accounts-{agent}.xlsx")
    assert "Medicina do Sono" in [r[4] for r in book[LISTS_SHEET["en"]].iter_rows(min_row=2, values_only=True)]


def test_in_portuguese(sqlite_demo_db, tmp_path):
    db = Database(sqlite_demo_db.url)
    manifest = distribute(db, _actor(db, "mgr.north"), "mgr.north", tmp_path, lang="pt-BR")
    assert {d.lang for d in manifest.files} == {"pt-BR"}
    first = manifest.files[0]
    assert first.file.endswith("-pt-BR.xlsx")
    book = openpyxl.load_workbook(tmp_path / first.file)
    assert book.sheetnames[0] == ACCOUNTS.sheet("pt-BR")
    assert [r[3] for r in book[LISTS_SHEET["pt-BR"]].iter_rows(values_only=True) if r[3]] == ["Carteiras",
                                                                                              first.agent]
    with pytest.raises(UnusableInput):
        distribute(db, _actor(db, "admin"), "mgr.north", tmp_path, lang="fr")


def test_only_that_manager_or_an_admin_may_distribute(demo_db, tmp_path):
    db = Database(demo_db.url)
    assert distribute(db, _actor(db, "admin"), "mgr.north", tmp_path / "a").files
    with pytest.raises(PermissionDenied):
        distribute(db, _actor(db, "mgr.south"), "mgr.north", tmp_path / "b")
    agent = _agents_and_registry(db, "mgr.north")[0][0]
    with pytest.raises(PermissionDenied):
        distribute(db, _actor(db, agent), "mgr.north", tmp_path / "c")
    with pytest.raises(PermissionDenied):  # a non-admin learns nothing about other logins
        distribute(db, _actor(db, "mgr.south"), "nobody", tmp_path / "d")
    with pytest.raises(NotFound):
        distribute(db, _actor(db, "admin"), agent, tmp_path / "e")
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_a_distributed_workbook_saved_as_csv_imports_its_filled_rows_only(sqlite_demo_db, tmp_path):
    """Saved as CSV the workbook loses its stamp: the pre-filled Portfolio rows left over at the end are blank
    (they were 198 rows of 'mandatory' errors); a row with a Portfolio alone among filled ones is still reported."""
    import csv

    from crmxl.services.imports import plan_import

    db = Database(sqlite_demo_db.url)
    distribute(db, _actor(db, "mgr.south"), "mgr.south", tmp_path)
    agent = _agents_and_registry(db, "mgr.south")[0][0]
    sheet = openpyxl.load_workbook(tmp_path / f"crmxl-accounts-{agent}.xlsx")[ACCOUNTS.sheet()]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    rows[1][:5] = ["11.222.333/0001-81", "Clínica Nova", "COMPANY", agent, "SP"]
    rows[3][:5] = ["45.997.418/0001-53", "Clínica Outra", "COMPANY", agent, "SP"]
    path = tmp_path / "saved.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([["" if v is None else v for v in row] for row in rows])
    plan = plan_import(db, _actor(db, agent), path, "accounts")
    assert plan.rows == 3 and {f.row for f in plan.result.errors} == {3}  # row 3: the Portfolio and nothing else
