"""Peak memory of a portfolio export as the rows grow (10,000 vs 100,000 accounts by default).

    python bench/export_memory.py [--sizes 10000 100000 300000] [--format xlsx|csv] [--entity accounts|contacts]

For each size it builds a temporary SQLite database (Core bulk inserts: four agents' portfolios and
Without Portfolio, one contact with two qualifications per account), then exports every account
through ``crmxl.services.exporting.export`` in a fresh process, twice:

* once plain, for the time and the peak resident memory above the process's size just before the export;
* once under ``tracemalloc``, for the peak of the Python heap during the export.

The export streams (ordered server-side queries, xlsxwriter's constant-memory mode), so both peaks
should stay nearly flat as the rows grow; the script prints the figures and the growth ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AGENTS = ("agent.sp1", "agent.sp2", "agent.rj1", "agent.mg1")
UFS = ("SP", "RJ", "MG", "PR", "BA", "RS")
CHUNK = 10_000


def build(url: str, count: int) -> None:
    """A fresh database with ``count`` accounts, each with one contact holding two qualifications."""
    from sqlalchemy import insert, select

    from crmxl.db.models import Account, Contact, Qualification, User, contact_qualifications, utcnow
    from crmxl.db.session import Database
    from crmxl.domain.cnpj import cnpj_check_digits
    from crmxl.services.setup import init_database

    db = Database(url)
    init_database(db)
    users, accounts, contacts = User.__table__, Account.__table__, Contact.__table__
    now = utcnow()
    with db.transaction() as conn:
        conn.execute(insert(users), [{"login": "admin", "name": "Admin", "role": "admin", "lang": "en", "active": True,
                                      "created_at": now}])
        conn.execute(insert(users), [{"login": a, "name": a, "role": "agent", "lang": "en", "active": True,
                                      "created_at": now} for a in AGENTS])
        owners = [*conn.execute(select(users.c.id).where(users.c.role == "agent")).scalars(), None]
        quals = list(conn.execute(select(Qualification.__table__.c.id)).scalars())
        for start in range(0, count, CHUNK):
            numbers = range(start + 1, min(start + CHUNK, count) + 1)
            rows, people = [], []
            for n in numbers:
                if n % 3:
                    number, kind, contact_type = f"{n}/SP", "MEDICAL", "DOCTOR"
                else:
                    base = f"{n:08d}0001"
                    number, kind, contact_type = base + cnpj_check_digits(base), "COMPANY", "OTHERS"
                rows.append({"id": n, "number": number, "type": kind, "name": f"Account {n}", "uf": UFS[n % len(UFS)],
                             "city": "São Paulo", "address": f"Rua {n}, 100", "cep": "01310-100",
                             "phone": "(11) 91234-5678", "email": f"a{n}@example.com.br", "owner_id": owners[n % 5],
                             "created_at": now, "updated_at": now, "version": 1})
                people.append({"id": n, "account_id": n, "identifier": number, "name": f"Contact {n}",
                               "type": contact_type, "email": f"c{n}@example.com.br", "phone": "(11) 3123-4567",
                               "created_at": now, "updated_at": now, "version": 1})
            conn.execute(insert(accounts), rows)
            conn.execute(insert(contacts), people)
            conn.execute(insert(contact_qualifications), [
                {"contact_id": n, "qualification_id": quals[(n + k) % len(quals)]} for n in numbers for k in (0, 7)])
    db.dispose()


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(url: str, out: str, entity: str, fmt: str, traced: bool) -> dict:
    """Run in a child process: one export, its time and memory."""
    import tracemalloc

    from crmxl.db.session import Database
    from crmxl.services.access import actor_for
    from crmxl.services.exporting import export

    db = Database(url)
    with db.session() as session:
        admin = actor_for(session, "admin")
    before = _rss()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    result = export(db, admin, entity, Path(out), portfolios=AGENTS, without_portfolio=True, fmt=fmt)
    seconds = time.perf_counter() - started
    figures = {"rows": result.rows, "seconds": round(seconds, 2), "file_mb": round(Path(out).stat().st_size / 1e6, 1)}
    if traced:
        figures["heap_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 2)
        tracemalloc.stop()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
        figures["rss_before_mb"] = round(before / 1e6, 1)
        figures["rss_peak_mb"] = round(peak / 1e6, 1)
        figures["rss_growth_mb"] = round((peak - before) / 1e6, 1)
    return figures


def _child(url: str, out: Path, entity: str, fmt: str, traced: bool) -> dict:
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from export_memory import measure; "
            "print(json.dumps(measure(*sys.argv[2:6], sys.argv[6] == '1')))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), url, str(out), entity, fmt,
                           "1" if traced else "0"], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", dest="fmt", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--entity", choices=("accounts", "contacts"), default="accounts")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="crmxl-export-bench-") as folder:
        for size in args.sizes:
            url = f"sqlite:///{folder}/bench-{size}.sqlite3"
            started = time.perf_counter()
            build(url, size)
            built = time.perf_counter() - started
            out = Path(folder) / f"export-{size}.{args.fmt}"
            plain = _child(url, out, args.entity, args.fmt, traced=False)
            traced = _child(url, out, args.entity, args.fmt, traced=True)
            results.append({**plain, "heap_peak_mb": traced["heap_peak_mb"], "build_seconds": round(built, 1)})
            Path(url.removeprefix("sqlite:///")).unlink()
    print(f"Export of {args.entity} ({args.fmt}), SQLite, each size in a fresh process")
    print(f"{'rows':>9} {'seconds':>8} {'rows/s':>8} {'file MB':>8} {'RSS before':>11} {'RSS peak':>9} "
          f"{'RSS growth':>11} {'heap peak':>10}")
    for r in results:
        print(f"{r['rows']:>9,} {r['seconds']:>8} {r['rows'] / r['seconds']:>8,.0f} {r['file_mb']:>8} "
              f"{r['rss_before_mb']:>9} MB {r['rss_peak_mb']:>6} MB {r['rss_growth_mb']:>8} MB "
              f"{r['heap_peak_mb']:>7} MB")
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(f"{large['rows'] / small['rows']:.0f}x the rows: peak RSS x{large['rss_peak_mb'] / small['rss_peak_mb']:.2f}, "
              f"RSS growth x{large['rss_growth_mb'] / max(small['rss_growth_mb'], 0.1):.2f}, "
              f"Python heap peak x{large['heap_peak_mb'] / small['heap_peak_mb']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
