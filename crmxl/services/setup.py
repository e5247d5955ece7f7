"""Create or migrate the database and seed the reference data every install needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, make_url, select

from crmxl.db import migrate
from crmxl.db.models import ExportProfile, Qualification, utcnow
from crmxl.db.session import Database, describe_error
from crmxl.domain.specialties import default_specialties
from crmxl.errors import DatabaseUnavailable
from crmxl.schema import ACCOUNTS, CONTACTS

DEFAULT_PROFILES = {
    "Default accounts": ("accounts", list(ACCOUNTS.fields)),
    "Default contacts": ("contacts", list(CONTACTS.fields)),
}


@dataclass(frozen=True)
class InitResult:
    revision_before: str | None
    revision_after: str
    qualifications_added: int
    profiles_added: int


def init_database(db: Database) -> InitResult:
    """Migrate to the newest schema, then seed the specialties registry and default profiles (idempotent)."""
    from sqlalchemy.exc import OperationalError

    try:
        before, after = migrate.upgrade(db)
    except OperationalError as exc:
        raise DatabaseUnavailable("database_unavailable", url=db.safe_url, detail=describe_error(exc)) from None
    with db.transaction() as conn:
        q = Qualification.__table__
        existing = set(conn.execute(select(q.c.name)).scalars())
        new = [{"name": n} for n in default_specialties() if n not in existing]
        if not existing and new:
            conn.execute(insert(q), new)
        else:
            new = []
        p = ExportProfile.__table__
        names = set(conn.execute(select(p.c.name)).scalars())
        profiles = [
            {"name": name, "entity": entity, "columns": cols, "filters": {}, "is_default": True,
             "created_by": "system", "created_at": utcnow(), "updated_at": utcnow()}
            for name, (entity, cols) in DEFAULT_PROFILES.items()
            if name not in names
        ]
        if profiles:
            conn.execute(insert(p), profiles)
    return InitResult(before, after, len(new), len(profiles))


def ensure_ready(db: Database) -> None:
    """Refuse to work on a database without the current schema (with a clear message)."""
    from crmxl.errors import UnusableInput

    url = make_url(db.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():  # asking the revision would create an empty file there
        raise UnusableInput("database_not_initialised", url=db.safe_url)
    current = migrate.current_revision(db)
    if current is None:
        raise UnusableInput("database_not_initialised", url=db.safe_url)
    if current != migrate.head_revision():
        raise UnusableInput("database_outdated", url=db.safe_url, revision=current, head=migrate.head_revision())


def count_rows(db: Database, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
