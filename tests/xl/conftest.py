"""The Excel face's tests: the macros run as the manager mgr.south on a demo database, in the workbook's language."""

from __future__ import annotations

import pytest

from crmxl.db.session import Database


@pytest.fixture
def env(sqlite_demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("CRMXL_DATABASE_URL", sqlite_demo_db.url)
    monkeypatch.setenv("CRMXL_LOGIN", "mgr.south")
    monkeypatch.delenv("CRMXL_LANG", raising=False)
    return Database(sqlite_demo_db.url), tmp_path
