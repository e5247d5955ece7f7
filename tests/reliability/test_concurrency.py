"""Concurrent batches on a real PostgreSQL server: the result is some serial order of them, a plan made
stale by another batch is planned again or refused (never applied blindly), undo over newer changes refuses."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crmxl.benchmark import generate_rows, write_raw
from crmxl.db.session import Database
from crmxl.domain.account_number import detect_account_number
from crmxl.errors import Conflict
from crmxl.services.access import actor_for
from crmxl.services.history import undo
from crmxl.services.imports import commit_file, commit_import, plan_import
from tests.conftest import table_dump
from tests.reliability.conftest import start
from tests.services.import_files import demo_accounts, execute, query, workbook

pytestmark = pytest.mark.postgres


def _valid_rows(count: int, seed: int, owners: tuple[str, ...]) -> list[list]:
    rows, _ = generate_rows(count * 2, [], seed=seed)
    good = [r for r in rows if "??" not in r]
    for i, row in enumerate(good):
        row[3] = owners[i % len(owners)]
    return good[:count]


def _numbers(rows: list[list]) -> list[str]:
    return [detect_account_number(r[0])[1] for r in rows]


def _accounts(url: str) -> dict[str, tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT a.number, a.name, u.login FROM accounts a "
                                 "LEFT JOIN users u ON u.id = a.owner_id")).all()
    engine.dispose()
    return {r.number: (r.name, r.login) for r in rows}


@pytest.mark.parametrize("order", ["same", "reversed"])
def test_two_managers_import_overlapping_files_at_once(pg_demo_db, tmp_path, order):
    """Two processes: both commit, the shared rows end as one serial order left them, nothing is lost or doubled,
    and undoing both batches (newest first) gives back the database as it was."""
    url = pg_demo_db.url
    shared = _valid_rows(2500, 1, ("agent.sp1", "agent.ba1"))
    own_a = _valid_rows(1000, 2, ("agent.sp1", "agent.sp2"))
    own_b = _valid_rows(1000, 3, ("agent.ba1", "agent.pe1"))
    rows_b = [[r[0], r[1] + " (B)", *r[2:]] for r in shared]
    if order == "reversed":  # the two transactions insert the same new numbers in opposite orders: a deadlock
        rows_b.reverse()
    file_a, file_b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_raw(file_a, shared + own_a)
    write_raw(file_b, rows_b + own_b)
    before = table_dump(url)
    known = _accounts(url)
    procs = [start(tmp_path, "import", "accounts", f, "--commit", "--json", "--db", url, "--as", "admin",
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in (file_a, file_b)]
    outputs = [p.communicate(timeout=150) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0 and "Traceback" not in err, (proc.returncode, err)
        assert json.loads(out)["committed"] is True
    after = _accounts(url)
    assert len(after) == len(known) + len(shared) + len(own_a) + len(own_b)  # no duplicate, no lost row
    for rows in (own_a, own_b):
        assert all(after[n][0] == r[1] for n, r in zip(_numbers(rows), rows, strict=True))
    names = {after[n][0] for n in _numbers(shared)}
    b_last = all(name.endswith(" (B)") for name in names)
    a_last = not any(name.endswith(" (B)") for name in names)
    assert b_last or a_last, "the shared rows mix both files: not a serial order"
    engine = create_engine(url)
    with engine.connect() as conn:
        batches = [b for (b,) in conn.execute(text("SELECT id FROM import_batches ORDER BY id DESC"))]
    engine.dispose()
    assert len(batches) == 2
    db = Database(url)
    with db.session() as s:
        admin = actor_for(s, "admin")
    for batch in batches:
        undo(db, admin, batch)
    db.dispose()
    assert table_dump(url) == before


def _plan(db: Database, login: str, path: Path):
    with db.session() as s:
        actor = actor_for(s, login)
    return actor, plan_import(db, actor, path, "accounts")


def test_a_plan_made_stale_by_another_batch_is_planned_again(pg_demo_db, tmp_path):
    db = Database(pg_demo_db.url)
    accounts = demo_accounts(pg_demo_db.url, "agent.sp1", limit=3)
    mine = workbook(tmp_path / "mine.xlsx", [{**a, "city": "Campinas", "phone": None} for a in accounts])
    theirs = workbook(tmp_path / "theirs.xlsx", [{**accounts[0], "phone": "(11) 3333-4444"}])
    actor, plan = _plan(db, "mgr.south", mine)
    other, their_plan = _plan(db, "agent.sp1", theirs)
    commit_import(db, other, their_plan)
    with pytest.raises(Conflict) as stale:  # applied as it is, the plan would overwrite the other batch's version
        commit_import(db, actor, plan)
    assert stale.value.code == "plan_stale"
    applied, batch = commit_file(db, actor, plan, mine)
    assert batch is not None and applied is not plan
    rows = _accounts(pg_demo_db.url)
    assert all(rows[a["account_number"]][0] == a["name"] for a in accounts)
    engine = create_engine(pg_demo_db.url)
    with engine.connect() as conn:
        first = conn.execute(text("SELECT city, phone FROM accounts WHERE number = :n"),
                             {"n": accounts[0]["account_number"]}).one()
    engine.dispose()
    assert tuple(first) == ("Campinas", "(11) 3333-4444")  # both batches' changes: a serial order
    db.dispose()


def test_a_replan_with_new_errors_is_refused_and_writes_nothing(pg_demo_db, tmp_path):
    db = Database(pg_demo_db.url)
    accounts = demo_accounts(pg_demo_db.url, "agent.sp1", limit=2)
    mine = workbook(tmp_path / "mine.xlsx", [{**a, "city": "Santos"} for a in accounts])
    actor, plan = _plan(db, "agent.sp1", mine)
    execute(pg_demo_db.url, "UPDATE accounts SET owner_id = (SELECT id FROM users WHERE login = 'agent.ba1'), "
                            "version = version + 1 WHERE number = :n", n=accounts[0]["account_number"])
    before = table_dump(pg_demo_db.url)
    with pytest.raises(Conflict) as refused:
        commit_file(db, actor, plan, mine)
    assert refused.value.code == "plan_stale_replanned" and "new errors" in refused.value.render("en")
    assert table_dump(pg_demo_db.url) == before
    db.dispose()


def test_undo_refuses_when_another_batch_touched_the_same_rows(pg_demo_db, tmp_path, cli):
    accounts = demo_accounts(pg_demo_db.url, "agent.sp1", limit=3)
    first = workbook(tmp_path / "first.xlsx", [{**a, "city": "Campinas"} for a in accounts])
    second = workbook(tmp_path / "second.xlsx", [{**accounts[1], "city": "Sorocaba"}])
    url = pg_demo_db.url
    assert cli("import", "accounts", first, "--commit", "--db", url, "--as", "agent.sp1").exit_code == 0
    assert cli("import", "accounts", second, "--commit", "--db", url, "--as", "mgr.south").exit_code == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        first_batch = conn.execute(text("SELECT min(id) FROM import_batches")).scalar()
    engine.dispose()
    before = table_dump(url)
    result = cli("undo", first_batch, "--db", url, "--as", "agent.sp1")
    assert result.exit_code == 2 and "changed again" in result.stderr and "Traceback" not in result.stderr
    assert table_dump(url) == before


def test_an_undo_waits_for_a_writer_holding_its_rows_and_then_refuses(pg_demo_db, tmp_path):
    """A commit in flight on one of the batch's rows: the undo locks the rows before it checks them, so it
    waits for that commit and then sees the row changed again (it never writes over it)."""
    (a,) = demo_accounts(pg_demo_db.url, "agent.sp1", limit=1)
    db = Database(pg_demo_db.url)
    with db.session() as session:
        admin = actor_for(session, "admin")
    batch = commit_import(db, admin, plan_import(db, admin, workbook(tmp_path / "a.xlsx", [{**a, "city": "Campinas"}]),
                                                 "accounts"))
    writer = create_engine(pg_demo_db.url)
    outcome: list[object] = []
    with writer.connect() as conn:
        conn.execute(text("UPDATE accounts SET city = 'Sorocaba', version = version + 1 WHERE id = :i"), {"i": a["id"]})

        def run() -> None:
            try:
                outcome.append(undo(db, admin, batch))
            except Conflict as exc:
                outcome.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(1.5)
        assert thread.is_alive() and not outcome  # waiting for the row
        conn.commit()
    thread.join(30)
    writer.dispose()
    (result,) = outcome
    assert isinstance(result, Conflict) and result.code == "undo_conflict"
    assert query(pg_demo_db.url, "SELECT city FROM accounts WHERE id = :i", i=a["id"]) == [("Sorocaba",)]
    db.dispose()
