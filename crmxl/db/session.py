"""Engine and session factory: the database adapter handed to the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from crmxl import i18n
from crmxl.errors import Conflict, DatabaseUnavailable, UnusableInput

DATA_VERSION_KEY = "data_version"
CONNECT_TIMEOUT = 5  # seconds to reach the server
BUSY_TIMEOUT_MS = 5000  # SQLite: wait this long for another writer's lock, then "database is locked"
LOCK_TIMEOUT_MS = 60_000  # PostgreSQL: wait this long for a row lock held by another commit
# SQLSTATEs of a transaction the server aborted because of a concurrent one: retrying it may succeed
CONCURRENCY_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class ConcurrentChange(Conflict):
    """The server aborted the transaction because a concurrent one touched the same rows (nothing was written)."""


class ValueRefused(UnusableInput):
    """The database refused a value (too long, out of range): the database works, the value does not fit it."""


def refused(exc: DataError) -> ValueRefused:
    return ValueRefused("database_refused_value", detail=describe_error(exc))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


# the databases crmxl works with, and the drivers it ships: {scheme: (its other spellings, the driver used)}
SUPPORTED = {"sqlite": (("sqlite+pysqlite",), "sqlite"),
             "postgresql": (("postgresql+psycopg", "postgres"), "postgresql+psycopg")}


def supported_url(url: str):
    """``url`` parsed, with the driver crmxl uses; a URL of another database (MySQL...), of a driver not
    shipped, or no URL at all is refused, naming the databases crmxl works with."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is no number fails here, not in the driver)
    except (ArgumentError, ValueError):
        raise UnusableInput("database_url_invalid", url=url) from None
    for scheme, (spellings, driver) in SUPPORTED.items():
        if parsed.drivername in (scheme, *spellings):
            return parsed.set(drivername=driver)
    raise UnusableInput("database_url_unsupported", url=parsed.render_as_string(hide_password=True),
                        scheme=parsed.drivername)


def make_engine(url: str) -> Engine:
    parsed = supported_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, connect_args={
        "connect_timeout": CONNECT_TIMEOUT, "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"})


class Database:
    """A database the services work on: an engine plus a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block ends normally, rolls back otherwise."""
        try:
            session = self._sessions()
        except OperationalError as exc:
            raise DatabaseUnavailable("database_unavailable", url=self.safe_url, detail=describe_error(exc)) from None
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise self.unavailable(exc) from None
        except DataError as exc:
            session.rollback()
            raise refused(exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One Core transaction for bulk work: all of it commits, or none of it."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise self.unavailable(exc) from None
        except DataError as exc:
            raise refused(exc) from None

    def unavailable(self, exc: OperationalError) -> Conflict | DatabaseUnavailable:
        """The ``CrmxlError`` for a driver's operational error: a concurrent transaction won (deadlock,
        serialization failure: retry), or the database is unreachable, locked or timed out."""
        if sqlstate(exc) in CONCURRENCY_STATES:
            return ConcurrentChange("concurrent_change", detail=describe_error(exc))
        return DatabaseUnavailable("database_unavailable", url=self.safe_url, detail=describe_error(exc))

    def data_version(self) -> int:
        """A counter bumped by every commit that changes CRM data (for caches)."""
        from crmxl.db.models import Meta

        with self.session() as session:
            value = session.scalar(select(Meta.value).where(Meta.key == DATA_VERSION_KEY))
        return int(value or 0)

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def bump_data_version(conn: Connection | Session) -> None:
    """Mark that CRM data changed (caches such as the UDFs' compare this counter)."""
    from crmxl.db.models import Meta

    table = Meta.__table__
    current = conn.execute(select(table.c.value).where(table.c.key == DATA_VERSION_KEY)).scalar()
    if current is None:
        conn.execute(table.insert().values(key=DATA_VERSION_KEY, value="1"))
    else:
        conn.execute(
            table.update().where(table.c.key == DATA_VERSION_KEY).values(value=str(int(current) + 1))
        )


def sqlstate(exc: Exception) -> str | None:
    """The SQLSTATE of a PostgreSQL driver error (None elsewhere)."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def describe_error(exc: Exception) -> str:
    """The first meaningful line of a driver error, without SQLAlchemy's boilerplate."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


i18n.register(
    {
        "database_url_invalid": {
            "en": "Not a database URL: {url}. crmxl works with SQLite (sqlite:///path/to/file.sqlite3) and "
                  "PostgreSQL (postgresql://user@host/database).",
            "pt-BR": "URL de banco de dados inválida: {url}. O crmxl trabalha com SQLite "
                     "(sqlite:///caminho/do/arquivo.sqlite3) e PostgreSQL (postgresql://usuario@servidor/banco).",
        },
        "database_url_unsupported": {
            "en": "crmxl cannot use the database {url} ({scheme}): it works with SQLite "
                  "(sqlite:///path/to/file.sqlite3) and PostgreSQL (postgresql://user@host/database).",
            "pt-BR": "O crmxl não pode usar o banco de dados {url} ({scheme}): ele trabalha com SQLite "
                     "(sqlite:///caminho/do/arquivo.sqlite3) e PostgreSQL (postgresql://usuario@servidor/banco).",
        },
        "database_unavailable": {
            "en": "The database {url} cannot be used right now: {detail}",
            "pt-BR": "O banco de dados {url} não pode ser usado agora: {detail}",
        },
        "database_refused_value": {
            "en": "The database refused a value, and nothing was written: {detail}",
            "pt-BR": "O banco de dados recusou um valor, e nada foi gravado: {detail}",
        },
        "concurrent_change": {
            "en": "Nothing was written: another user changed the same rows at the same time ({detail}). "
                  "Try again.",
            "pt-BR": "Nada foi gravado: outro usuário alterou as mesmas linhas ao mesmo tempo ({detail}). "
                     "Tente novamente.",
        },
        "database_outdated": {
            "en": "The database {url} has the schema of an older crmxl (revision {revision}, this one needs "
                  "{head}): run `crmxl db init` to migrate it.",
            "pt-BR": "O banco de dados {url} tem o esquema de um crmxl mais antigo (revisão {revision}, este "
                     "precisa da {head}): rode `crmxl db init` para migrá-lo.",
        },
        "database_not_initialised": {
            "en": "The database {url} has no crmxl schema yet: run `crmxl db init` first.",
            "pt-BR": "O banco de dados {url} ainda não tem o esquema do crmxl: rode `crmxl db init` antes.",
        },
    }
)
