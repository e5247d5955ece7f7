"""Benchmark: rows per second and peak memory of every stage, each next to its file-format floor.

    python -m crmxl.benchmark [--rows 10000 100000 300000] [--preload 300000] [--pg auto|off] [--json]

For each N it generates a realistic accounts workbook (valid CNPJ/CRM numbers, ~2% bad cells),
preloads a database with accounts, and measures in one run: the raw xlsxwriter write and raw
python-calamine read of the same data (the floors), then the dry run as every face runs it
(``plan_import``: read, validate, plan) and each of its steps alone, the annotated report, commit on
SQLite (and PostgreSQL when its binaries are here) next to a bare Core upsert of the same rows,
export, 10,000 worksheet-function lookups, and the undo of each commit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from python_calamine import CalamineWorkbook
from sqlalchemy import create_engine, insert, select, text

from crmxl.db.models import Account, User, utcnow
from crmxl.db.session import Database
from crmxl.domain.cnpj import cnpj_check_digits, format_cnpj
from crmxl.domain.enums import UFS
from crmxl.schema import ACCOUNTS
from crmxl.services import history
from crmxl.services.access import actor_for
from crmxl.services.demo import load_demo
from crmxl.services.setup import init_database

AGENTS = ("agent.sp1", "agent.sp2", "agent.pr1", "agent.rs1")


@dataclass
class Stage:
    name: str
    rows: int
    seconds: float
    peak_mb: float
    floor: str | None = None
    ratio: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


class PeakMemory:
    """Samples the process's resident memory while a stage runs (in MB above the start)."""

    def __init__(self) -> None:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.start) / 1e6


def measure(name: str, rows: int, work: Callable[[], Any]) -> tuple[Stage, Any]:
    with PeakMemory() as memory:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    return Stage(name, rows, seconds, memory.mb), result


def _cnpj(rng: random.Random) -> str:
    base = f"{rng.randrange(10**7, 10**8)}{rng.randrange(1, 10000):04d}"
    return base + cnpj_check_digits(base)


def generate_rows(n: int, existing: list[str], seed: int = 7) -> tuple[list[list[Any]], int]:
    """Accounts rows in template order: half update accounts already in the database; ~2% bad cells."""
    rng = random.Random(seed)
    rows, bad = [], 0
    used: set[str] = set()
    for i in range(n):
        if i % 2 == 0 and existing:
            number = existing[(i // 2) % len(existing)]
        else:
            number = _cnpj(rng) if i % 3 else f"{rng.randrange(1, 9_999_999)}/{rng.choice(UFS)}"
        if number in used:
            number = _cnpj(rng)
        used.add(number)
        medical = "/" in number
        row = [number if medical else format_cnpj(number), f"Conta {i}", "MEDICAL" if medical else "COMPANY",
               AGENTS[i % len(AGENTS)], number.split("/")[1] if medical else rng.choice(UFS), None, None, None, None,
               "São Paulo", f"Rua {i}, {rng.randrange(1, 999)}", f"{rng.randrange(1000, 99999):05d}-000",
               f"(11) 9{rng.randrange(1000, 9999)}-{rng.randrange(1000, 9999)}", f"conta{i}@example.com.br"]
        if rng.random() < 0.02:
            row[rng.choice((4, 11, 13))] = "??"
            bad += 1
        rows.append(row)
    return rows, bad


def write_raw(path: Path, rows: list[list[Any]]) -> None:
    """The write floor: xlsxwriter, constant memory, nothing but the cells."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Accounts")
    sheet.write_row(0, 0, [c.header("en") for c in ACCOUNTS.columns])
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write_string(r, c, value)
    book.close()


def read_raw(path: Path) -> int:
    """The read floor: one python-calamine read of the sheet."""
    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Accounts").to_python())


def preload(url: str, count: int, seed: int = 11) -> list[str]:
    """Demo users plus ``count`` accounts in bulk; returns some of their numbers."""
    db = Database(url)
    init_database(db)
    load_demo(db)
    rng = random.Random(seed)
    acc = Account.__table__
    with db.transaction() as conn:
        owners = [uid for (uid,) in conn.execute(select(User.__table__.c.id).where(User.__table__.c.role == "agent"))]
        have = set(conn.execute(select(acc.c.number)).scalars())
        now, batch, numbers = utcnow(), [], []
        missing = count - len(have)
        while len(numbers) < missing:
            number = _cnpj(rng)
            if number in have:
                continue
            have.add(number)
            numbers.append(number)
            batch.append({"number": number, "type": "COMPANY", "name": f"Preload {len(numbers)}", "uf": "SP",
                          "owner_id": rng.choice(owners), "created_at": now, "updated_at": now, "version": 1})
            if len(batch) == 10_000:
                conn.execute(insert(acc), batch)
                batch = []
        if batch:
            conn.execute(insert(acc), batch)
        new = set(numbers)
        numbers += [n for n in conn.execute(select(acc.c.number).where(acc.c.type == "COMPANY").limit(count))
                    .scalars() if n not in new]
    db.dispose()
    return numbers


def bare_upsert(url: str, rows: list[list[Any]]) -> None:
    """The database floor: Core INSERT ... ON CONFLICT DO UPDATE of the same rows, no history."""
    engine = create_engine(url)
    values = [{"number": r[0].replace(".", "").replace("/", "").replace("-", "") if "/" not in r[0][-3:] else r[0],
               "name": r[1], "type": r[2], "uf": r[4] if r[4] != "??" else "SP", "version": 1,
               "created_at": utcnow(), "updated_at": utcnow()} for r in rows]
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    stmt = dialect_insert(Account.__table__)
    stmt = stmt.on_conflict_do_update(index_elements=["number"],
                                      set_={"name": stmt.excluded.name, "version": Account.__table__.c.version + 1})
    with engine.begin() as conn:
        for start in range(0, len(values), 5000):
            conn.execute(stmt, values[start:start + 5000])
    engine.dispose()


def _copy_sqlite(source: str, target: Path) -> str:
    engine = create_engine(source)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    shutil.copyfile(source.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def run(n: int, preload_count: int, workdir: Path, pg_url: str | None = None) -> list[Stage]:
    from crmxl.services.exporting import export
    from crmxl.services.imports import commit_import, plan_import, plan_result, write_import_report
    from crmxl.validation import validate_cells
    from crmxl.workbook.reader import read_table

    stages: list[Stage] = []
    base = f"sqlite:///{workdir / 'base.sqlite3'}"
    existing = preload(base, preload_count)
    rows, _bad = generate_rows(n, existing)
    path = workdir / f"accounts-{n}.xlsx"

    write_floor, _ = measure("raw xlsxwriter write", n, lambda: write_raw(path, rows))

    db = Database(_copy_sqlite(base, workdir / "import.sqlite3"))
    with db.session() as session:
        actor = actor_for(session, "admin")
    # the dry run as every face runs it (read, validate, plan; the accounts read ahead during validation),
    # right after its floor; then each step alone, for the breakdown
    read_floor, _ = measure("raw calamine read", n, lambda: read_raw(path))
    dry, plan = measure("dry run (read+validate+plan)", n,
                        lambda: plan_import(db, actor, path, "accounts", allow_transfers=True))
    read_stage, table = measure("read", n, lambda: read_table(path, ACCOUNTS))
    validate_stage, result = measure("validate", n, lambda: validate_cells(table))
    plan_stage, _ = measure("plan", n, lambda: plan_result(db, actor, result, allow_transfers=True))
    report_stage, _ = measure("annotated report", n, lambda: write_import_report(plan, workdir / "report.xlsx"))
    commit_stage, batch_id = measure("commit SQLite", plan.valid_rows,
                                     lambda: commit_import(db, actor, plan, skip_invalid=True))
    upsert_url = _copy_sqlite(base, workdir / "upsert.sqlite3")
    upsert_stage, _ = measure("bare upsert SQLite", n, lambda: bare_upsert(upsert_url, rows))
    stages += [write_floor, read_floor, read_stage, validate_stage, plan_stage, dry, report_stage, commit_stage,
               upsert_stage]
    for stage in (read_stage, validate_stage, plan_stage, dry):
        stage.floor, stage.ratio = "raw calamine read", stage.rate / read_floor.rate
    report_stage.floor, report_stage.ratio = "raw calamine read (time ×)", report_stage.seconds / read_floor.seconds
    commit_stage.floor, commit_stage.ratio = "bare upsert", commit_stage.rate / upsert_stage.rate

    if pg_url:
        pg_stages = _postgres(pg_url, existing, path, n)
        stages += pg_stages

    export_stage, result_export = measure("export", 0, lambda: export(
        db, actor, "accounts", workdir / "export.xlsx", portfolios=list(AGENTS), without_portfolio=True))
    export_stage.rows = result_export.rows
    export_stage.floor, export_stage.ratio = "raw xlsxwriter write", export_stage.rate / write_floor.rate
    stages.append(export_stage)
    stages.append(_udfs(db, existing))
    undo_stage, _ = measure("undo SQLite", plan.valid_rows, lambda: history.undo(db, actor, batch_id))
    undo_stage.floor, undo_stage.ratio = "bare upsert", undo_stage.rate / upsert_stage.rate
    stages.append(undo_stage)
    db.dispose()
    return stages


def _postgres(pg_url: str, existing: list[str], path: Path, n: int) -> list[Stage]:
    from crmxl.services.imports import commit_import, plan_import

    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("bench_import", "bench_upsert"):
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    root = pg_url.rsplit("/", 1)[0]
    urls = {name: f"{root}/{name}" for name in ("bench_import", "bench_upsert")}
    for url in urls.values():
        preload(url, len(existing) + 1000)
    db = Database(urls["bench_import"])
    with db.session() as session:
        actor = actor_for(session, "admin")
    plan = plan_import(db, actor, path, "accounts", allow_transfers=True)
    commit_stage, batch_id = measure("commit PostgreSQL", plan.valid_rows,
                                     lambda: commit_import(db, actor, plan, skip_invalid=True))
    rows = [list(r) for _, r in plan.table.rows]
    upsert_stage, _ = measure("bare upsert PostgreSQL", n, lambda: bare_upsert(urls["bench_upsert"], rows))
    undo_stage, _ = measure("undo PostgreSQL", plan.valid_rows, lambda: history.undo(db, actor, batch_id))
    for stage in (commit_stage, undo_stage):
        stage.floor, stage.ratio = "bare upsert", stage.rate / upsert_stage.rate
    db.dispose()
    return [commit_stage, upsert_stage, undo_stage]


def _udfs(db: Database, numbers: list[str]) -> Stage:
    from crmxl.xl import udfs
    from crmxl.xl.lookups import LookupCache

    previous = os.environ.get("CRMXL_DATABASE_URL")
    os.environ["CRMXL_DATABASE_URL"] = db.url  # the functions look up the configured database: this one
    try:
        udfs.set_cache(LookupCache(db))
        udfs.CRM_ACCOUNT(numbers[0])  # the first call loads the snapshot; the stage measures lookups
        calls = [numbers[i % len(numbers)] for i in range(10_000)]
        stage, found = measure("10,000 UDF lookups", 10_000, lambda: [udfs.CRM_ACCOUNT(x, "portfolio") for x in calls])
        assert not any(str(v).startswith(udfs.ERROR_PREFIX) for v in found), "lookups failed"
        return stage
    finally:
        udfs.set_cache(None)
        if previous is None:
            os.environ.pop("CRMXL_DATABASE_URL", None)
        else:
            os.environ["CRMXL_DATABASE_URL"] = previous


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform
    import sqlite3

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}


def table(stages: list[Stage], n: int) -> str:
    lines = [f"N = {n:,} rows", f"{'stage':34} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}  ratio to floor"]
    for s in stages:
        ratio = f"{s.ratio:.2f} of {s.floor}" if s.ratio is not None else ""
        lines.append(f"{s.name:34} {s.rows:>9,} {s.seconds:>8.2f} {s.rate:>10,.0f} {s.peak_mb:>8.1f}  {ratio}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crmxl.benchmark", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--preload", type=int, default=300_000)
    parser.add_argument("--pg", choices=("auto", "off"), default="auto")
    parser.add_argument("--json", action="store_true", help="Print only the JSON line.")
    args = parser.parse_args(argv)
    server = None
    if args.pg == "auto":
        from crmxl.db.pgserver import PostgresServer

        server = PostgresServer()
        if server.available:
            server.start()
        else:
            server = None
    results = {}
    info = machine()
    if not args.json:
        print(", ".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    try:
        for n in args.rows:
            with tempfile.TemporaryDirectory(prefix="crmxl-bench-") as tmp:
                stages = run(n, max(args.preload, n), Path(tmp), server.url() if server else None)
            results[n] = stages
            if not args.json:
                print(table(stages, n), flush=True)
                print()
    finally:
        if server:
            server.stop()
    print(json.dumps({"machine": info, **{str(n): [{"stage": s.name, "rows": s.rows, "seconds": round(s.seconds, 3),
                                "rows_per_s": round(s.rate), "peak_mb": round(s.peak_mb, 1),
                                "floor": s.floor, "ratio": None if s.ratio is None else round(s.ratio, 3)}
                               for s in stages] for n, stages in results.items()}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
