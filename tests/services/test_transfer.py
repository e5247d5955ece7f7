"""Portfolio transfer: plan, commit, undo; rights; contacts follow their account (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from crmxl.db.models import Account, Contact, ImportBatch, RowChange, User
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.errors import Conflict, NotFound, PermissionDenied, UnusableInput
from crmxl.services.access import actor_for
from crmxl.services.exporting import export
from crmxl.services.history import undo
from crmxl.services.transfer import commit_transfer, plan_transfer
from tests.conftest import restored, table_dump


def _actor(db, login):
    with db.session() as s:
        return actor_for(s, login)


def _owned(db, login, **where):
    with db.session() as s:
        owner = s.scalar(select(User.id).where(User.login == login)) if login else None
        query = select(Account).where(Account.owner_id == owner if login else Account.owner_id.is_(None))
        for key, value in where.items():
            query = query.where(getattr(Account, key) == value)
        return s.scalars(query.order_by(Account.id)).all()


def test_a_dry_run_lists_what_moves_and_writes_nothing(demo_db):
    db = Database(demo_db.url)
    before = table_dump(demo_db.url, tables=("accounts", "contacts", "import_batches", "row_changes"))
    plan = plan_transfer(db, _actor(db, "mgr.south"), "agent.sp1", "agent.sp2", types=["company"])
    expected = _owned(db, "agent.sp1", type="COMPANY")
    assert expected and [(m.id, m.number, m.name, m.type, m.version) for m in plan.accounts] == [
        (a.id, a.number, a.name, a.type, a.version) for a in expected]
    assert table_dump(demo_db.url, tables=("accounts", "contacts", "import_batches", "row_changes")) == before


def test_transfer_to_without_portfolio_and_undo_restores_everything(demo_db):
    db = Database(demo_db.url)
    before = restored(demo_db.url)
    manager = _actor(db, "mgr.south")
    moving = _owned(db, "agent.sp1", type="INSURANCE")
    plan = plan_transfer(db, manager, "agent.sp1", None, types=["INSURANCE"])
    assert [m.id for m in plan.accounts] == [a.id for a in moving] and moving
    batch = commit_transfer(db, manager, plan)
    assert _owned(db, "agent.sp1", type="INSURANCE") == []
    with db.session() as s:
        for old in moving:
            moved = s.get(Account, old.id)
            assert moved.owner_id is None and not moved.active and moved.version == old.version + 1
        recorded = s.execute(select(ImportBatch.kind, ImportBatch.counts).where(ImportBatch.id == batch)).one()
        images = s.scalars(select(RowChange).where(RowChange.batch_id == batch)).all()
    assert recorded.kind == "transfer" and recorded.counts["portfolio_moves"] == len(moving)
    assert {(c.entity_id, c.before["owner_id"] is not None, c.after["owner_id"]) for c in images} == {
        (a.id, True, None) for a in moving}
    with pytest.raises(Conflict):
        commit_transfer(db, manager, plan)  # stale: the versions moved on
    undo(db, manager, batch)
    assert restored(demo_db.url) == before


def test_from_without_portfolio_makes_accounts_active(demo_db):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    inactive = _owned(db, None, uf="BA")
    assert inactive
    numbers = [display_account_number(a.number) for a in inactive[:3]]
    plan = plan_transfer(db, admin, None, "agent.ba1", accounts=numbers)
    commit_transfer(db, admin, plan)
    with db.session() as s:
        assert all(s.get(Account, a.id).active for a in inactive[:3])
    assert {a.id for a in inactive[:3]} <= {a.id for a in _owned(db, "agent.ba1")}


def test_contacts_follow_their_account(demo_db, tmp_path):
    """Contacts reference their account, so a transfer moves them with it: the target's contact
    export now holds them, the source's no longer does, and no contact row changed."""
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    contacts_before = table_dump(demo_db.url, tables=("contacts", "contact_qualifications"))
    with db.session() as s:
        account = s.scalars(select(Account).join(User, Account.owner_id == User.id)
                            .where(User.login == "agent.pr1", Account.contacts.any())).first()
        moved_contacts = s.scalar(select(func.count()).select_from(Contact).where(Contact.account_id == account.id))
    counts = {}
    for login in ("agent.pr1", "agent.rs1"):
        counts[login] = export(db, admin, "contacts", tmp_path / f"{login}.csv", portfolios=[login], fmt="csv").rows
    plan = plan_transfer(db, admin, "agent.pr1", "agent.rs1", accounts=[account.number])
    commit_transfer(db, admin, plan)
    after_source = export(db, admin, "contacts", tmp_path / "s.csv", portfolios=["agent.pr1"], fmt="csv").rows
    after_target = export(db, admin, "contacts", tmp_path / "t.csv", portfolios=["agent.rs1"], fmt="csv").rows
    assert moved_contacts > 0
    assert (after_source, after_target) == (counts["agent.pr1"] - moved_contacts, counts["agent.rs1"] + moved_contacts)
    assert table_dump(demo_db.url, tables=("contacts", "contact_qualifications")) == contacts_before


def test_rights(demo_db):
    db = Database(demo_db.url)
    agent = _actor(db, "agent.sp1")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, agent, "agent.sp1", "agent.sp2")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, agent, "agent.sp1", None)
    manager = _actor(db, "mgr.south")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, manager, "agent.sp1", "agent.ba1")
    with pytest.raises(PermissionDenied):
        plan_transfer(db, manager, "agent.ba1", "agent.sp1")
    plan = plan_transfer(db, manager, "agent.sp1", "agent.sp2")
    with pytest.raises(Conflict):
        commit_transfer(db, _actor(db, "admin"), plan)  # a plan belongs to whoever made it


def test_single_accounts_and_bad_requests(demo_db):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    account = _owned(db, "agent.sp2")[0]
    plan = plan_transfer(db, admin, "agent.sp2", "agent.sp1", accounts=[display_account_number(account.number)])
    assert [m.id for m in plan.accounts] == [account.id]
    elsewhere = _owned(db, "agent.ba1")[0]
    with pytest.raises(NotFound) as caught:
        plan_transfer(db, admin, "agent.sp2", "agent.sp1", accounts=[account.number, elsewhere.number])
    assert elsewhere.number in str(caught.value) and account.number not in str(caught.value)
    with pytest.raises(UnusableInput):
        plan_transfer(db, admin, "agent.sp2", "agent.sp2")
    with pytest.raises(UnusableInput):
        plan_transfer(db, admin, "agent.sp2", "agent.sp1", types=["DOCTORS"])
    with pytest.raises(UnusableInput):
        plan_transfer(db, admin, "agent.sp2", "admin")  # an admin holds no portfolio
    with pytest.raises(NotFound):
        plan_transfer(db, admin, "agent.sp2", "nobody")
    commit_transfer(db, admin, plan)
    assert account.id in {a.id for a in _owned(db, "agent.sp1")}


def test_an_inactive_agents_portfolio_can_be_handed_over_but_not_received(demo_db):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    with db.transaction() as conn:
        conn.execute(update(User).where(User.login == "agent.df1").values(active=False))
    left = _owned(db, "agent.df1")
    assert left
    commit_transfer(db, admin, plan_transfer(db, admin, "agent.df1", "agent.ba1"))
    assert _owned(db, "agent.df1") == []
    with pytest.raises(NotFound):
        plan_transfer(db, admin, "agent.ba1", "agent.df1")


def test_nothing_to_move_records_no_batch(demo_db):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    plan = plan_transfer(db, admin, "agent.sp1", "agent.sp2", types=["COMPANY"])
    with db.transaction() as conn:
        conn.execute(update(Account).where(Account.id.in_([m.id for m in plan.accounts]))
                     .values(type="MEDICAL"))
    empty = plan_transfer(db, admin, "agent.sp1", "agent.sp2", types=["COMPANY"])
    assert empty.accounts == [] and commit_transfer(db, admin, empty) is None
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "transfer")) == 0


def test_two_transfers_of_the_same_accounts_at_once_one_wins_the_other_is_stale(demo_db, monkeypatch):
    """The transfer reads the versions in its write transaction: on SQLite the second waits for the first's
    lock, then finds the accounts changed (both said they had moved them, and the history lied)."""
    import threading

    from crmxl.services import transfer as transfer_module

    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    first = plan_transfer(db, manager, "agent.sp1", "agent.sp2", types=["company"])
    second = plan_transfer(db, manager, "agent.sp1", "agent.pr1", types=["company"])
    first_read, second_done = threading.Event(), threading.Event()
    original = transfer_module.load_images

    def slow_images(conn, entity, ids):
        images = original(conn, entity, ids)
        if threading.current_thread().name == "first":
            first_read.set()
            second_done.wait(2)  # the second transfer runs now, as far as it can
        return images

    monkeypatch.setattr(transfer_module, "load_images", slow_images)
    outcome: dict[str, object] = {}

    def run(name, plan):
        try:
            outcome[name] = commit_transfer(db, manager, plan)
        except Conflict as exc:
            outcome[name] = exc.code
        finally:
            if name == "second":
                second_done.set()

    one = threading.Thread(target=run, args=("first", first), name="first")
    one.start()
    first_read.wait(5)
    two = threading.Thread(target=run, args=("second", second), name="second")
    two.start()
    one.join(30)
    two.join(30)
    assert isinstance(outcome["first"], int) and outcome["second"] in ("transfer_stale", "concurrent_change")
    assert {a.id for a in _owned(db, "agent.sp2", type="COMPANY")} >= {m.id for m in first.accounts}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "transfer")) == 1
