"""A commit killed mid-transaction leaves the database exactly as before; concurrent imports serialise."""

from __future__ import annotations

import os
import signal
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


def _in_transaction(url: str, backend: str, baseline: int) -> bool:
    if backend == "sqlite":
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > baseline + 64 * 1024
    engine = create_engine(url.rsplit("/", 1)[0] + "/postgres")
    name = url.rsplit("/", 1)[1]
    with engine.connect() as conn:
        busy = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() "
            "AND (state = 'idle in transaction' OR (state = 'active' AND query ~* '^\\s*(insert|update|copy)'))"),
            {"db": name}).scalar()
    engine.dispose()
    return bool(busy)


@pytest.mark.parametrize("extra_delay", [0.0, 0.4])
def test_sigkill_mid_commit_leaves_the_database_as_before(demo_db, tmp_path, extra_delay):
    rows, _ = generate_rows(20_000, [])
    path = tmp_path / "big.xlsx"
    write_raw(path, rows)
    before = table_dump(demo_db.url)
    wal = Path(demo_db.url.removeprefix("sqlite:///") + "-wal")
    baseline = wal.stat().st_size if demo_db.backend == "sqlite" and wal.exists() else 0
    proc = subprocess.Popen(_command(path, demo_db.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "CRMXL_HOME": str(tmp_path)})
    deadline = time.monotonic() + 120
    killed_in_transaction = False
    while proc.poll() is None and time.monotonic() < deadline:
        if _in_transaction(demo_db.url, demo_db.backend, baseline):
            time.sleep(extra_delay)
            killed_in_transaction = proc.poll() is None
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


@pytest.mark.postgres
def test_two_managers_importing_overlapping_files_at_once_serialise(pg_server, tmp_path, request):
    """Two processes, a real server: no duplicate account, no lost update, every row committed or reported."""
    from tests.conftest import _fresh

    class Param:  # reuse the fixture helper for a fresh demo database on this server
        param = "postgresql"

        def getfixturevalue(self, name):
            return request.getfixturevalue(name)

        def addfinalizer(self, fn):
            request.addfinalizer(fn)

    info = _fresh(Param(), "demo")
    shared, _ = generate_rows(3000, [], seed=1)
    own_a, _ = generate_rows(1500, [], seed=2)
    own_b, _ = generate_rows(1500, [], seed=3)
    for row in shared:
        row[4] = row[4] if row[4] != "??" else "SP"
    file_a, file_b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_raw(file_a, shared + own_a)
    write_raw(file_b, [[*r[:1], r[1] + " (B)", *r[2:]] for r in shared] + own_b)
    procs = [subprocess.Popen(_command(f, info.url, "--json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env={**os.environ, "CRMXL_HOME": str(tmp_path)}) for f in (file_a, file_b)]
    outputs = [p.communicate(timeout=180) for p in procs]
    codes = [p.returncode for p in procs]
    assert all("Traceback" not in err for _, err in outputs), outputs
    assert all(code in (0, 1, 2) for code in codes)
    engine = create_engine(info.url)
    with engine.connect() as conn:
        duplicates = conn.execute(text("SELECT number FROM accounts GROUP BY number HAVING count(*) > 1")).all()
        names = dict(conn.execute(text("SELECT number, name FROM accounts")).all())
        batches = conn.execute(text("SELECT count(*) FROM import_batches WHERE kind = 'import_accounts'")).scalar()
    engine.dispose()
    assert duplicates == []
    from crmxl.domain.account_number import detect_account_number

    shared_numbers = [detect_account_number(r[0])[1] for r in shared]
    committed = [c == 0 or c == 1 for c in codes]
    assert batches == sum(1 for c, (out, _) in zip(codes, outputs, strict=True) if c in (0, 1) and '"committed": true' in out)
    if batches == 2:  # both committed: the result is one serial order, the same for every shared row
        winners = {names[n].endswith(" (B)") for n in shared_numbers}
        assert len(winners) == 1
    else:  # one was refused as stale (a clear message, exit 2) and wrote nothing of its own
        loser = [i for i, c in enumerate(codes) if c == 2]
        assert loser and all("stale" in outputs[i][1] or "changed" in outputs[i][1] for i in loser)
    assert all(committed) or batches >= 1
