"""The accounts of a file's numbers: read in one JSON step (exactly the stored values), and read ahead in a
thread while the file is validated, with the same plan as without."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from crmxl.db.session import Database
from crmxl.schema import ACCOUNTS as ACCOUNTS_TEMPLATE
from crmxl.services.importing import reference
from crmxl.services.importing.reference import ACCOUNT_COLUMNS, ACCOUNTS, AccountPrefetch, account_rows
from crmxl.services.imports import plan_import, plan_result
from crmxl.validation import validate_cells
from crmxl.workbook.reader import read_table
from tests.services.import_files import actor, demo_accounts, execute, workbook
from tests.validation.builders import cnpj

AWKWARD = 'Tab\there "quoted" \\ back\nslash \x01 – São João 🩺 <b>&amp;</b>'


def stored(db, numbers):
    with db.engine.connect() as conn:
        query = select(*(ACCOUNTS.c[c] for c in ACCOUNT_COLUMNS)).where(ACCOUNTS.c.number.in_(numbers))
        return sorted(list(row) for row in conn.execute(query))


def test_account_rows_are_exactly_the_stored_values(db):
    execute(db.url, "UPDATE accounts SET name = :name, city = NULL, email = :email WHERE id = "
                    "(SELECT min(id) FROM accounts)", name=AWKWARD, email="x@y.com.br")
    with db.engine.connect() as conn:
        numbers = list(conn.execute(text("SELECT number FROM accounts ORDER BY id")).scalars())
        by_number = sorted(account_rows(conn, "number", [*numbers, "not-a-number"]))
        by_id = sorted(account_rows(conn, "id", [row[0] for row in by_number[:5]]))
        none = account_rows(conn, "number", ["not-a-number"])
    assert by_number == stored(db, numbers) and len(by_number) == len(numbers) > 1000
    assert AWKWARD in {row[5] for row in by_number}
    assert by_id == by_number[:5]
    assert none == []


def test_a_prefetch_hands_over_what_it_read_only_when_it_covers_the_numbers(db):
    canonical = sorted(a["account_number"] for a in demo_accounts(db.url, "agent.sp1", 3, "COMPANY"))
    prefetch = AccountPrefetch(db)
    prefetch.MIN_NUMBERS = 1
    prefetch.start([*canonical, "9999/SP"])  # a number the database does not hold: no row
    assert sorted(row[1] for row in prefetch.rows_for(set(canonical))) == canonical
    assert [row[1] for row in prefetch.rows_for({canonical[0]})] == [canonical[0]]
    assert prefetch.rows_for({*canonical, "another"}) is None  # not all of them: the plan reads them

    few = AccountPrefetch(db)
    few.start(canonical)  # fewer than MIN_NUMBERS: not worth a thread
    assert few.rows_for(set(canonical)) is None


def test_a_prefetch_that_fails_leaves_the_reading_to_the_plan(tmp_path):
    broken = Database(f"sqlite:///{tmp_path / 'missing' / 'crm.sqlite3'}")
    prefetch = AccountPrefetch(broken)
    prefetch.MIN_NUMBERS = 1
    prefetch.start(["123456/SP"])
    assert prefetch.rows_for({"123456/SP"}) is None
    broken.dispose()


def test_plan_import_reads_ahead_and_plans_as_without(db, tmp_path, monkeypatch):
    accounts = demo_accounts(db.url, "agent.sp1", 4, "COMPANY")
    rows = [{**accounts[0], "name": "Renamed"}, {**accounts[1], "portfolio": "agent.sp2"}, accounts[2],
            {"account_number": cnpj("998877660001"), "name": "New", "type": "COMPANY", "portfolio": "agent.sp1",
             "uf": "SP"}]
    path = workbook(tmp_path / "a.xlsx", rows)
    who = actor(db)
    expected = plan_result(db, who, validate_cells(read_table(path, ACCOUNTS_TEMPLATE)), allow_transfers=True)

    reads = []
    real = reference.account_rows

    def spy(conn, column, keys):
        reads.append((column, threading.current_thread().name, len(keys)))
        return real(conn, column, keys)

    monkeypatch.setattr(reference, "account_rows", spy)
    monkeypatch.setattr(AccountPrefetch, "MIN_NUMBERS", 1)
    plan = plan_import(db, who, path, "accounts", allow_transfers=True)
    assert ("number", "crmxl-prefetch", 4) in reads
    assert not [r for r in reads if r[0] == "number" and r[1] != "crmxl-prefetch"]  # not read twice
    assert plan.counts() == expected.counts() and plan.counts()["accounts_update"] == 2
    assert plan.accounts_update == expected.accounts_update
    assert plan.accounts_create == expected.accounts_create and plan.moves == expected.moves
    assert plan.fingerprint == expected.fingerprint
    assert plan.result.findings == expected.result.findings
