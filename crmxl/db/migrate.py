"""Create or migrate the schema through Alembic (never ``create_all`` in production paths)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from crmxl.db.session import Database, describe_error
from crmxl.errors import Conflict, DatabaseUnavailable


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("crmxl.db") / "migrations"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    try:
        with db.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailable("database_unavailable", url=db.safe_url, detail=describe_error(exc)) from None


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision`` in one transaction; returns (revision before, revision after)."""
    before = current_revision(db)
    cfg = alembic_config()
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _upgrade_sqlite(conn, cfg, revision)
        else:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
    return before, current_revision(db)


class ForeignKeysBroken(RuntimeError):
    """A migration left rows whose foreign keys point nowhere (it is rolled back)."""


def _upgrade_sqlite(conn: Connection, cfg: Config, revision: str) -> None:
    """SQLite changes a table by building it again: as its manual says, the foreign keys are off meanwhile
    (they can only be switched outside a transaction), checked before the commit, and on again after. The
    transaction is begun explicitly: the driver would otherwise run the schema statements outside one."""
    driver = conn.connection.driver_connection  # outside SQLAlchemy's transaction
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        with conn.begin():
            conn.exec_driver_sql("BEGIN")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise ForeignKeysBroken(f"{len(broken)} rows would point nowhere, e.g. {tuple(broken[0])}")
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()


def refuse_case_duplicates(conn: Connection, table: str, column: str, code: str) -> None:
    """For a migration adding a unique index on lower(``column``): stop (the migration is rolled back) when
    ``table`` holds values of ``column`` that differ only in case, naming them in the message ``code``."""
    rows = conn.execute(text(
        f"SELECT lower({column}), {column} FROM {table} WHERE lower({column}) IN "
        f"(SELECT lower({column}) FROM {table} GROUP BY lower({column}) HAVING count(*) > 1) "
        f"ORDER BY lower({column}), {column}")).all()
    if rows:
        groups: dict[str, list[str]] = {}
        for key, value in rows:
            groups.setdefault(key, []).append(value)
        raise Conflict(code, values="; ".join(" / ".join(g) for g in groups.values()))
