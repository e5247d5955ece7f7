"""Fixtures of the import service tests."""

from __future__ import annotations

import pytest

from crmxl.db.session import Database


@pytest.fixture
def db(demo_db):
    """The demo database (SQLite and PostgreSQL) as a ``Database``."""
    database = Database(demo_db.url)
    yield database
    database.dispose()
