"""A commit killed mid-transaction leaves the database exactly as before (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from crmxl.benchmark import generate_rows, write_raw
from crmxl.db.models import Account
from tests.conftest import table_dump


def _command(path: Path, url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crmxl", "import", "accounts", str(path), "--commit", "--skip-invalid",
            "--allow-transfers", "--db", url, "--as", "admin", *extra]


def _in_transaction(url: str, backend: str) -> bool:
    if backend == "sqlite":  # the commit holds the write lock from its first statement to its end
        probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    engine = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    name = url.rsplit("/", 1)[1]
    with engine.connect() as conn:
        busy = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
            "AND (state = 'idle in transaction' OR (state = 'active' AND query ~* '^\\s*(insert|update|copy)'))"),
            {"db": name}).scalar()
    engine.dispose()
    return bool(busy)


@pytest.mark.parametrize("extra_delay", [0.0, 0.05])
def test_sigkill_mid_commit_leaves_the_database_as_before(demo_db, tmp_path, extra_delay):
    rows, _ = generate_rows(60_000, [])
    path = tmp_path / "big.xlsx"
    write_raw(path, rows)
    before = table_dump(demo_db.url)
    proc = subprocess.Popen(_command(path, demo_db.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "CRMXL_HOME": str(tmp_path)})
    deadline = time.monotonic() + 120
    killed_in_transaction = False
    while proc.poll() is None and time.monotonic() < deadline:
        if _in_transaction(demo_db.url, demo_db.backend):
            time.sleep(extra_delay)
            killed_in_transaction = proc.poll() is None and _in_transaction(demo_db.url, demo_db.backend)
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(timeout=30)
    assert killed_in_transaction, "the commit finished before it could be killed: make the file larger"
    assert proc.returncode == -signal.SIGKILL
    assert table_dump(demo_db.url) == before
    engine = create_engine(demo_db.url)
    with engine.connect() as conn:  # usable afterwards
        assert conn.execute(select(func.count()).select_from(Account)).scalar() == len(before["accounts"])
    engine.dispose()
