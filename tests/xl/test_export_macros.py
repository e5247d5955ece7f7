"""The Export buttons, run on real files: what the exported sheet looks like, and that it imports back."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from crmxl.db.models import Account, User
from crmxl.db.session import Database
from crmxl.schema import ACCOUNTS, HIDDEN_FIELDS
from crmxl.workbook.templates import build_template
from crmxl.workbook.xlwings_engine import open_book
from crmxl.xl import macros


@pytest.fixture
def env(sqlite_demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("CRMXL_DATABASE_URL", sqlite_demo_db.url)
    monkeypatch.setenv("CRMXL_LOGIN", "mgr.south")
    monkeypatch.delenv("CRMXL_LANG", raising=False)
    return Database(sqlite_demo_db.url), tmp_path


def _model(tmp, name="model.xlsx", lang="en"):
    path = tmp / name
    build_template(ACCOUNTS, path, lang)
    return path


def _prompt(book) -> str:
    return book.app.impl.alerts[-1]["prompt"]


def test_an_export_hides_its_key_columns_and_imports_back(env):
    db, tmp = env
    path = _model(tmp)
    book = open_book(path)
    macros.export_accounts(book)  # creates the control sheet
    book.sheets["CRM"].range("B2").value = "agent.sp1"
    name = macros.export_accounts(book)
    assert name and "rows exported" in _prompt(book)
    book.save()

    sheet = openpyxl.load_workbook(path)[name]
    headers = [c.value for c in sheet[1]]
    keys = [i for i, h in enumerate(headers, start=1) if h in HIDDEN_FIELDS]
    assert len(keys) >= 2, headers
    for index in keys:
        assert sheet.column_dimensions[get_column_letter(index)].hidden, headers[index - 1]
    shown = [i for i, h in enumerate(headers, start=1) if h and h not in HIDDEN_FIELDS]
    assert shown and not any(sheet.column_dimensions[get_column_letter(i)].hidden for i in shown)

    # the round trip: edit a name, validate, import; the hidden keys still make the row an update
    book = open_book(path)
    exported = book.sheets[name]
    number = exported.range("A2").value
    exported.range("B2").value = "Renamed In Excel"
    exported.impl.activate()
    macros.validate(book)
    assert _prompt(book).startswith("The data is correct"), _prompt(book)
    book.app.impl.answers = ["yes"]
    assert macros.import_sheet(book)
    assert "1 updated" in book.app.impl.alerts[-2]["prompt"]
    with db.session() as s:
        account = s.scalar(select(Account).where(Account.number == number))
        assert account.name == "Renamed In Excel"
        assert s.get(User, account.owner_id).login == "agent.sp1"
