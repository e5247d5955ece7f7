"""Fixtures of the reliability suite: a fresh demo database on the PostgreSQL server, subprocess runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DbInfo, _fresh


class _PgRequest:
    """Lets ``_fresh`` make a PostgreSQL database for a test that is not parametrised by backend."""

    param = "postgresql"

    def __init__(self, request) -> None:
        self._request = request

    def getfixturevalue(self, name):
        return self._request.getfixturevalue(name)

    def addfinalizer(self, fn) -> None:
        self._request.addfinalizer(fn)


@pytest.fixture
def pg_demo_db(request, pg_server) -> DbInfo:
    """A fresh demo database on the real PostgreSQL server."""
    return _fresh(_PgRequest(request), "demo")


def crmxl_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "crmxl", *map(str, args)]


def crmxl_env(home: Path) -> dict[str, str]:
    return {**os.environ, "CRMXL_HOME": str(home), "CRMXL_CONFIG": str(home / "no-config.toml")}


def start(home: Path, *args: object, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(crmxl_command(*args), env=crmxl_env(home), **kwargs)
