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
        busy = conn.execute(text(  # a transaction that has written something has a transaction id
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
            "AND backend_xid IS NOT NULL"), {"db": name}).scalar()
    engine.dispose()
    return bool(busy)


def _held(url: str, backend: str, probes: int = 3) -> bool:
    """In a write transaction at each of ``probes`` looks 10 ms apart."""
    for _ in range(probes):
        if not _in_transaction(url, backend):
            return False
        time.sleep(0.01)
    return True


def _waiting_on_a_lock(url: str) -> bool:
    engine = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    with engine.connect() as conn:
        waiting = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
            {"db": url.rsplit("/", 1)[1]}).scalar()
    engine.dispose()
    return bool(waiting)


@pytest.mark.parametrize("when", ["first write", "history"])
def test_sigkill_mid_commit_leaves_the_database_as_before(demo_db, tmp_path, when):
    """Killed as soon as the commit's transaction shows, or later: on PostgreSQL once its rows are written
    and it waits for the history table (held by this test); on SQLite a moment into its write lock."""
    rows, _ = generate_rows(60_000, [])
    path = tmp_path / "big.xlsx"
    write_raw(path, rows)
    before = table_dump(demo_db.url)
    blocker = None
    if when == "history" and demo_db.backend == "postgresql":
        blocker = create_engine(demo_db.url).connect()
        blocker.execute(text("LOCK TABLE row_changes IN SHARE MODE"))  # the commit's history insert waits
    proc = subprocess.Popen(_command(path, demo_db.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "CRMXL_HOME": str(tmp_path)})
    deadline = time.monotonic() + 120
    killed_in_transaction = False
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if blocker is not None:
                seen = _waiting_on_a_lock(demo_db.url)
            else:  # held for a while: the commit, not a moment's lock when the database is first opened
                seen = _held(demo_db.url, demo_db.backend)
                if seen and when == "history":
                    time.sleep(0.05)
            if seen and (blocker is not None or _in_transaction(demo_db.url, demo_db.backend)):
                killed_in_transaction = proc.poll() is None
                proc.send_signal(signal.SIGKILL)
                break
            # a lock held a moment (opening the database, its journal mode) and gone again: not the commit yet
            time.sleep(0.01)
        proc.wait(timeout=30)
    finally:
        if blocker is not None:
            blocker.rollback()
            blocker.close()
    assert killed_in_transaction, "the commit finished before it could be killed: make the file larger"
    assert proc.returncode == -signal.SIGKILL
    assert table_dump(demo_db.url) == before
    engine = create_engine(demo_db.url)
    with engine.connect() as conn:  # usable afterwards
        assert conn.execute(select(func.count()).select_from(Account)).scalar() == len(before["accounts"])
    engine.dispose()


def test_ctrl_c_mid_commit_says_so_and_leaves_the_database_as_before(sqlite_demo_db, tmp_path):
    """Typer turns Ctrl-C into exit 130, which the command returned without a word."""
    rows, _ = generate_rows(60_000, [])
    path = tmp_path / "big.xlsx"
    write_raw(path, rows)
    before = table_dump(sqlite_demo_db.url)
    proc = subprocess.Popen(_command(path, sqlite_demo_db.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "CRMXL_HOME": str(tmp_path)})
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not _held(sqlite_demo_db.url, "sqlite"):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip().startswith("Interrupted:") and "Traceback" not in err, err
    assert table_dump(sqlite_demo_db.url) == before


def test_ctrl_c_while_the_command_loads_is_no_traceback(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "crmxl", "--help"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "CRMXL_HOME": str(tmp_path)})
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and (proc.returncode == 0 or err.startswith("Interrupted")), (proc.returncode, err)
