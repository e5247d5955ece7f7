"""Create or migrate the schema through Alembic (never ``create_all`` in production paths)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy.exc import OperationalError

from crmxl.db.session import Database, describe_error
from crmxl.errors import DatabaseUnavailable


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
    """Bring the schema to ``revision``; returns (revision before, revision after)."""
    before = current_revision(db)
    cfg = alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(db)


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()
