"""The demo's sample workbook: a few changes, new accounts, and one bad cell per rule it shows."""

from __future__ import annotations

import pytest

from crmxl.db.session import Database
from crmxl.services.access import resolve_actor
from crmxl.services.imports import plan_import
from crmxl.services.sample import sample_rows, write_sample_workbook
from tests.services.import_files import first_row, workbook

SHOWN_RULES = {"uf_invalid", "qualification_unknown", "cnpj_checksum", "portfolio_unknown", "email_invalid"}


@pytest.fixture
def db(sqlite_demo_db):
    database = Database(sqlite_demo_db.url)
    yield database
    database.dispose()


def admin(db):
    with db.session() as session:
        return resolve_actor(session, "admin")


def check(plan):
    codes = [f.code for f in plan.result.errors]
    assert set(codes) == SHOWN_RULES and len(codes) == len(SHOWN_RULES)
    counts = plan.counts()
    assert counts["accounts_update"] == 3 and counts["portfolio_moves"] == 1
    assert counts["accounts_create"] == 3 and counts["contacts_create"] == 3
    assert plan.rows == 15 and plan.valid_rows == 10


def test_sample_rows_show_each_rule_once(db, tmp_path):
    path = workbook(tmp_path / "sample.xlsx", sample_rows(db))
    plan = plan_import(db, admin(db), path, "accounts")
    first = first_row(path)
    assert [f.row for f in plan.result.errors if f.code == "portfolio_transfer"] == [first + 3]
    check(plan_import(db, admin(db), path, "accounts", allow_transfers=True))


def test_sample_workbook_in_the_model_layout(db, tmp_path):
    pytest.importorskip("crmxl.workbook.layout")
    path = write_sample_workbook(db, tmp_path / "out" / "sample.xlsx")
    check(plan_import(db, admin(db), path, "accounts", allow_transfers=True))
