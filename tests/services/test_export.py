"""Export, profiles and transfer through the services and the command line (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, update

from crmxl.db.models import Account, AuditEvent, Contact, User
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.errors import Conflict, PermissionDenied, UnusableInput
from crmxl.services.access import actor_for
from crmxl.services.exporting import export
from crmxl.services.history import undo
from crmxl.services.imports import plan_import
from crmxl.services.profiles import Filters, add_profile, delete_profile, edit_profile, list_profiles
from crmxl.services.transfer import commit_transfer, plan_transfer
from tests.conftest import table_dump


def _actor(db, login):
    with db.session() as s:
        return actor_for(s, login)


def _owned(db, login, **where):
    with db.session() as s:
        owner = s.scalar(select(User.id).where(User.login == login))
        query = select(Account).where(Account.owner_id == owner)
        for key, value in where.items():
            query = query.where(getattr(Account, key) == value)
        return s.scalars(query.order_by(Account.id)).all()


def test_each_filter(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    sp1 = _owned(db, "agent.sp1")
    result = export(db, admin, "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    assert result.rows == len(sp1)
    sheet = CalamineWorkbook.from_path(str(tmp_path / "a.xlsx")).get_sheet_by_name("Accounts").to_python()
    assert {r[0] for r in sheet[1:]} == {display_account_number(a.number) for a in sp1}
    assert sheet[0][-2:] == ["crmxl:id", "crmxl:version"]
    medical = export(db, admin, "accounts", tmp_path / "m.xlsx", portfolios=["agent.sp1"], types=["MEDICAL"])
    assert medical.rows == len([a for a in sp1 if a.type == "MEDICAL"])
    with db.session() as s:
        inactive = s.scalar(select(func.count()).select_from(Account).where(Account.owner_id.is_(None)))
        inactive_sp = s.scalar(select(func.count()).select_from(Account)
                               .where(Account.owner_id.is_(None), Account.uf == "SP"))
    assert export(db, admin, "accounts", tmp_path / "w.xlsx", without_portfolio=True).rows == inactive
    assert export(db, admin, "accounts", tmp_path / "w2.xlsx", without_portfolio=True, ufs=["sp"]).rows == inactive_sp
    both = export(db, admin, "accounts", tmp_path / "b.xlsx", portfolios=["agent.sp1"], without_portfolio=True,
                  active=True)
    assert both.rows == len(sp1)
    with db.session() as s:
        contacts = s.scalar(select(func.count()).select_from(Contact).join(Account).join(User)
                            .where(User.login == "agent.sp1"))
    assert export(db, admin, "contacts", tmp_path / "c.xlsx", portfolios=["agent.sp1"]).rows == contacts


def test_permissions_and_bad_requests(demo_db, tmp_path):
    db = Database(demo_db.url)
    agent = _actor(db, "agent.sp1")
    assert export(db, agent, "accounts", tmp_path / "own.xlsx", portfolios=["agent.sp1"]).rows > 0
    with pytest.raises(PermissionDenied):
        export(db, agent, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp2"])
    with pytest.raises(PermissionDenied):
        export(db, agent, "accounts", tmp_path / "x.xlsx", without_portfolio=True)
    manager = _actor(db, "mgr.south")
    assert export(db, manager, "accounts", tmp_path / "m.xlsx", portfolios=["agent.sp2", "agent.rs1"]).rows > 0
    with pytest.raises(PermissionDenied):
        export(db, manager, "accounts", tmp_path / "x.xlsx", portfolios=["agent.ba1"])
    with pytest.raises(UnusableInput):
        export(db, manager, "accounts", tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_export_then_import_without_edits_plans_nothing(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    for entity in ("accounts", "contacts"):
        path = tmp_path / f"{entity}.xlsx"
        export(db, admin, entity, path, portfolios=["agent.pe1"], without_portfolio=True)
        plan = plan_import(db, admin, path, entity)
        counts = plan.counts()
        assert not plan.result.errors, plan.result.errors[:3]
        assert {k: v for k, v in counts.items() if not k.endswith("unchanged") and v} == {}


def test_edit_a_name_and_a_portfolio_plans_one_update_and_one_move(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    path = tmp_path / "a.xlsx"
    export(db, admin, "accounts", path, portfolios=["agent.sp1"])
    book = openpyxl.load_workbook(path)
    sheet = book["Accounts"]
    sheet["B2"] = "Renamed Clinic"
    sheet["D3"] = "agent.sp2"
    book.save(path)
    plan = plan_import(db, admin, path, "accounts", allow_transfers=True)
    counts = plan.counts()
    assert counts["accounts_update"] == 2 and counts["portfolio_moves"] == 1
    assert [list(u.changes) for u in plan.accounts_update] == [["name"], ["owner"]]
    blocked = plan_import(db, admin, path, "accounts")
    assert [f.code for f in blocked.result.errors] == ["portfolio_transfer"]


def test_formula_looking_names_stay_text(demo_db, tmp_path):
    db = Database(demo_db.url)
    account = _owned(db, "agent.sp1")[0]
    with db.transaction() as conn:
        conn.execute(update(Account).where(Account.id == account.id).values(name='=HYPERLINK("http://x","y")'))
    export(db, _actor(db, "admin"), "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    cell = openpyxl.load_workbook(tmp_path / "a.xlsx")["Accounts"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"
    export(db, _actor(db, "admin"), "accounts", tmp_path / "a.csv", portfolios=["agent.sp1"], fmt="csv")
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader((tmp_path / "a.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\",\"y\")"


def test_profiles_columns_filters_and_audit(demo_db, tmp_path):
    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    profile = add_profile(db, manager, "SP doctors", "accounts", ["name", "uf"],
                          Filters(portfolios=("agent.sp1",), types=("medical",)))
    assert profile.columns == ("account_number", "name", "uf")
    assert profile.filters.types == ("MEDICAL",)
    result = export(db, manager, "accounts", tmp_path / "p.xlsx", profile="SP doctors")
    sheet = openpyxl.load_workbook(tmp_path / "p.xlsx")["Accounts"]
    assert [c.value for c in sheet[1]] == ["Account Number*", "Account Name*", "UF*", "crmxl:id", "crmxl:version"]
    assert result.rows == len(_owned(db, "agent.sp1", type="MEDICAL"))
    for bad in (lambda: add_profile(db, manager, "SP doctors", "accounts"),
                lambda: add_profile(db, manager, "x", "accounts", ["colour"]),
                lambda: add_profile(db, manager, "y", "accounts", None, Filters(portfolios=("nobody",)))):
        with pytest.raises((Conflict, UnusableInput)):
            bad()
    with pytest.raises(PermissionDenied):
        add_profile(db, _actor(db, "agent.sp1"), "mine", "accounts")
    edit_profile(db, manager, "SP doctors", new_name="SP docs", columns=["name"])
    assert "SP docs" in {p.name for p in list_profiles(db)}
    delete_profile(db, manager, "SP docs")
    with pytest.raises(Conflict):
        delete_profile(db, manager, "Default accounts")
    with db.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.user_login == "mgr.south")).all()
    assert actions == ["profile_add", "profile_edit", "profile_delete"]


def test_transfer_moves_contacts_with_their_account_and_undo_restores(demo_db):
    db = Database(demo_db.url)
    before = table_dump(demo_db.url)
    manager = _actor(db, "mgr.south")
    plan = plan_transfer(db, manager, "agent.sp1", None, types=["INSURANCE"])
    moving = _owned(db, "agent.sp1", type="INSURANCE")
    assert [m.id for m in plan.accounts] == [a.id for a in moving] and moving
    batch = commit_transfer(db, manager, plan)
    assert _owned(db, "agent.sp1", type="INSURANCE") == []
    with db.session() as s:
        moved = s.get(Account, moving[0].id)
        assert moved.owner_id is None and not moved.active and moved.version == moving[0].version + 1
        assert all(c.account_id == moved.id for c in moved.contacts)
    with pytest.raises(Conflict):
        commit_transfer(db, manager, plan)  # stale: versions moved on
    undo(db, manager, batch)
    assert table_dump(demo_db.url) == before


def test_transfer_rights_and_single_accounts(demo_db):
    db = Database(demo_db.url)
    agent = _actor(db, "agent.sp1")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, agent, "agent.sp1", "agent.sp2")
    manager = _actor(db, "mgr.south")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, manager, "agent.sp1", "agent.ba1")
    account = _owned(db, "agent.sp2")[0]
    plan = plan_transfer(db, manager, "agent.sp2", "agent.sp1", accounts=[display_account_number(account.number)])
    assert [m.id for m in plan.accounts] == [account.id]
    commit_transfer(db, manager, plan)
    assert account.id in {a.id for a in _owned(db, "agent.sp1")}
