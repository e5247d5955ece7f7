"""Shared fixtures: a real SQLite file and a real PostgreSQL server, each test on a fresh database."""

from __future__ import annotations

import itertools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.pg import PostgresServer

REQUIRE_POSTGRES = bool(os.environ.get("CRMXL_REQUIRE_POSTGRES"))
_counter = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Never touch the developer's own database or config."""
    home = tmp_path_factory.mktemp("crmxl-home")
    monkeypatch.setenv("CRMXL_HOME", str(home))
    monkeypatch.setenv("CRMXL_CONFIG", str(home / "no-config.toml"))
    for name in ("CRMXL_DATABASE_URL", "CRMXL_LOGIN", "CRMXL_LANG", "CRMXL_DEBUG"):
        monkeypatch.delenv(name, raising=False)


def _prepare(url: str, with_demo: bool) -> None:
    from crmxl.db.session import Database
    from crmxl.services.demo import load_demo
    from crmxl.services.setup import init_database

    db = Database(url)
    init_database(db)
    if with_demo:
        load_demo(db)
    db.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sqlite-templates")
    paths = {"empty": folder / "empty.sqlite3", "demo": folder / "demo.sqlite3"}
    for kind, path in paths.items():
        _prepare(f"sqlite:///{path}", with_demo=kind == "demo")
        # fold the WAL into the main file so a plain copy is complete
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        engine.dispose()
    return paths


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer()
    if not server.available:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are missing but CRMXL_REQUIRE_POSTGRES is set")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql package")
    server.start()
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("tpl_empty", "tpl_demo"):
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    _prepare(server.url("tpl_empty"), with_demo=False)
    _prepare(server.url("tpl_demo"), with_demo=True)
    yield server
    server.stop()


@dataclass
class DbInfo:
    url: str
    backend: str


def _fresh(request, kind: str) -> DbInfo:
    backend = request.param
    if backend == "sqlite":
        templates = request.getfixturevalue("sqlite_templates")
        target = request.getfixturevalue("tmp_path") / f"{kind}.sqlite3"
        shutil.copyfile(templates[kind], target)
        return DbInfo(f"sqlite:///{target}", "sqlite")
    server = request.getfixturevalue("pg_server")
    name = f"t{next(_counter)}_{os.getpid()}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE tpl_{kind}"))
    admin.dispose()
    request.addfinalizer(lambda: _drop(server, name))
    return DbInfo(server.url(name), "postgresql")


def _drop(server: PostgresServer, name: str) -> None:
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_db(request) -> DbInfo:
    """A freshly initialised database (schema, specialties, default profiles), no users."""
    return _fresh(request, "empty")


@pytest.fixture(params=BACKENDS)
def demo_db(request) -> DbInfo:
    """A fresh database holding the demo data."""
    return _fresh(request, "demo")


@pytest.fixture
def sqlite_demo_db(request, sqlite_templates, tmp_path) -> DbInfo:
    """The demo data on SQLite only (for face tests where the backend does not matter)."""
    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_templates["demo"], target)
    return DbInfo(f"sqlite:///{target}", "sqlite")


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """Run `crmxl ARGS...` in-process, through the real entry point's error handling."""
    from crmxl.cli.main import run

    def invoke(*args: object) -> CliResult:
        capsys.readouterr()
        code = run([str(a) for a in args])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return invoke


def table_dump(url: str, tables=("users", "accounts", "contacts", "contact_qualifications", "qualifications"),
               *, versions: bool = True) -> dict:
    """Every row of the CRM data tables, ordered, for before/after comparisons; without ``versions``, the
    rows' values only (an undo sets the values back under a new version)."""
    engine = create_engine(url)
    dump = {}
    with engine.connect() as conn:
        for table in tables:
            result = conn.execute(text(f"SELECT * FROM {table}"))
            keep = [i for i, name in enumerate(result.keys()) if versions or name != "version"]
            dump[table] = sorted((tuple(r[i] for i in keep) for r in result), key=repr)
    engine.dispose()
    return dump


def restored(url: str) -> dict:
    """``table_dump`` of the values only: what an undo gives back exactly."""
    return table_dump(url, versions=False)


def pytest_sessionfinish(session, exitstatus):
    """In CI the PostgreSQL half must have run: fail if any postgres test was skipped."""
    if not REQUIRE_POSTGRES:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [r for r in reporter.stats.get("skipped", []) if "postgresql" in r.nodeid]
    if skipped:
        reporter.write_line(f"{len(skipped)} PostgreSQL tests were skipped but CRMXL_REQUIRE_POSTGRES is set", red=True)
        session.exitstatus = 1


def soffice_binary() -> str:
    """The LibreOffice binary; a failure where it must be installed (CI, CRMXL_REQUIRE_SOFFICE), else a skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and (os.environ.get("CI") or os.environ.get("CRMXL_REQUIRE_SOFFICE")):
        pytest.fail("soffice is required here (CI / CRMXL_REQUIRE_SOFFICE) but is not installed")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    return found
