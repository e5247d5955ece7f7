"""Set-based writing for a commit: many rows per statement, the ORM and per-row Python kept off the path.

* Rows go in through the driver: ``COPY ... FROM STDIN`` on PostgreSQL, one ``executemany`` of
  plain tuples on SQLite (temporal values converted to what SQLAlchemy would store).
* The rows a commit touches are staged in a temporary table (``Stage``: order, id, worksheet row,
  and for updates the new values with a bit mask of the columns they set). One
  ``INSERT INTO row_changes ... SELECT`` per chunk writes their images, built as JSON by the
  database from the stored rows and the staged values; one ``UPDATE ... FROM`` applies updates.

The images the database builds hold exactly what ``crmxl.services.images.image`` gives (every column,
datetimes as ``isoformat(sep=" ")``, dates as ISO strings, a contact's sorted qualification ids);
only the JSON spelling differs (spacing, non-ASCII characters not escaped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from crmxl.db.models import RowChange
from crmxl.services.images import LINKS

CHANGES: Table = RowChange.__table__
CHANGE_COLUMNS = ("batch_id", "entity", "entity_id", "action", "before", "after", "row")
STAGE_COLUMNS = ("seq", "id", "src_row", "mask")
EXECUTEMANY_CHUNK = 10_000  # rows per SQLite executemany (a progress step)
COPY_CHUNK = 20_000  # rows per progress step of a COPY
STATEMENT_CHUNK = 25_000  # staged rows per INSERT ... SELECT / UPDATE ... FROM (a progress step)
JSON_NULL = "null"  # how SQLAlchemy's JSON type stores None (no image)
SQLITE_CACHE_KIB = 64 * 1024  # page cache of a commit on SQLite
PG_WORK_MEM_MIB = 64  # memory of each sort or hash of a commit on PostgreSQL (a 25,000-row chunk needs ~15)


def no_step(_count: int) -> None:
    pass


class RowsVanished(RuntimeError):
    """A staged update found fewer rows than it staged (never after ``check_fresh``)."""


class Bulk:
    """Bulk primitives on one connection, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.pg = self.dialect.name == "postgresql"
        self.quote = self.dialect.identifier_preparer.quote
        self.dumps: Callable[[Any], str] = getattr(self.dialect, "_json_serializer", None) or json.dumps

    @property
    def temp_schema(self) -> str:
        """Where temporary tables live (a stage is dropped there, never a table of the same name elsewhere)."""
        return "pg_temp" if self.pg else "temp"

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around a commit's transaction. SQLite: take the write lock before anything is read (the
        plan's fingerprint is then checked against what the writes will change; SQLite otherwise reads
        outside the transaction until its first write), and a page cache that holds the indexes the
        commit touches (the connection's own size is restored after)."""
        if self.pg:  # the stages' joins and the images' ordering sorted in memory, not spilled to disk
            self.conn.exec_driver_sql(f"SET LOCAL work_mem = '{int(PG_WORK_MEM_MIB)}MB'")
            yield
            return
        driver = self.conn.connection.driver_connection
        previous = self.conn.exec_driver_sql("PRAGMA cache_size").scalar()
        self.conn.exec_driver_sql(f"PRAGMA cache_size = -{int(SQLITE_CACHE_KIB)}")
        try:
            if not driver.in_transaction:
                self.conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield
        finally:  # best effort: never hide the error (or the interrupt) that ends the commit
            with suppress(SQLAlchemyError):
                self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(previous)}")

    # values -------------------------------------------------------------------------------------
    def storer(self, column: Any) -> Callable[[Any], Any] | None:
        """The conversion of a Python value of ``column`` into what the driver gets here (None: as is).

        COPY adapts dates itself; SQLite gets SQLAlchemy's stored strings for dates and datetimes."""
        if self.pg or not isinstance(column.type, (Date, DateTime)):
            return None
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    def stored(self, column: Any, value: Any) -> Any:
        """One value as the driver receives it (see ``storer``)."""
        process = None if value is None else self.storer(column)
        return value if process is None else process(value)

    # writing rows -------------------------------------------------------------------------------
    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[tuple],
                    step: Callable[[int], None] = no_step) -> None:
        """Append ``rows`` (driver-ready tuples in the order of ``columns``) to ``table``."""
        if not rows:
            return
        names = ", ".join(self.quote(c) for c in columns)
        if self.pg:
            statement = f"COPY {self.quote(table)} ({names}) FROM STDIN"
            with self.driver_errors(statement), self.conn.connection.driver_connection.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    write = copy.write_row
                    for start in range(0, len(rows), COPY_CHUNK):
                        part = rows[start:start + COPY_CHUNK]
                        for row in part:
                            write(row)
                        step(len(part))
            return
        sql = f"INSERT INTO {self.quote(table)} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        for start in range(0, len(rows), EXECUTEMANY_CHUNK):
            part = list(rows[start:start + EXECUTEMANY_CHUNK])
            self.conn.exec_driver_sql(sql, part if len(part) > 1 else part[0])
            step(len(part))

    @contextmanager
    def driver_errors(self, statement: str):
        """The driver's errors raised as SQLAlchemy's (``IntegrityError``, ``OperationalError``...), as
        ``Connection.execute`` would raise them."""
        dbapi = self.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:
            raise DBAPIError.instance(statement, None, exc, dbapi.Error, dialect=self.dialect) from exc

    def next_ids(self, table: Table, count: int) -> list[int]:
        """``count`` new ids for ``table``: from its sequence on PostgreSQL; on SQLite the numbers after
        the largest id ever handed out (AUTOINCREMENT: an id deleted since is not reused), what SQLite
        itself would give; this transaction holds the only write lock."""
        if count == 0:
            return []
        if self.pg:  # one row: an array of the ids; the sequence named once (looked up per row, it cost 5 µs each)
            sequence = self.conn.execute(text(f"SELECT pg_get_serial_sequence('{table.name}', 'id')")).scalar_one()
            return self.conn.execute(text("SELECT array_agg(nextval(CAST(:sequence AS regclass))) "
                                          "FROM generate_series(1, :n)"), {"sequence": sequence, "n": count}).scalar_one()
        last = self.conn.execute(text(
            f"SELECT max(COALESCE((SELECT max(id) FROM {self.quote(table.name)}), 0), "
            f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = :name), 0))"), {"name": table.name}).scalar()
        return list(range(last + 1, last + 1 + count))

    def write_changes(self, batch_id: int, changes: Iterable[dict[str, Any]],
                      step: Callable[[int], None] = no_step) -> None:
        """Append row changes (dicts as ``BatchRecorder.add`` makes them), each image serialised once
        with the serializer SQLAlchemy's JSON type uses."""
        dumps = self.dumps
        rows = [(batch_id, c["entity"], c["entity_id"], c["action"],
                 JSON_NULL if c["before"] is None else dumps(c["before"]),
                 JSON_NULL if c["after"] is None else dumps(c["after"]), c["row"]) for c in changes]
        self.insert_rows(CHANGES.name, CHANGE_COLUMNS, rows, step)

    # stages -------------------------------------------------------------------------------------
    def stage(self, name: str, table: Table, rows: Sequence[tuple], columns: Sequence[str] = (), *,
              quals: bool = False) -> Stage:
        """A temporary table ``name`` (seq, id, src_row, mask, v_<column>..., [v_quals]) holding ``rows``:
        driver-ready tuples in that order, seq counting from 1, the mask's bit i set when the row sets
        ``columns[i]`` (bit ``len(columns)``: new qualification ids, a JSON array in v_quals)."""
        quoted = self.quote(name)
        self.conn.execute(text(f"DROP TABLE IF EXISTS {self.temp_schema}.{quoted}"))
        kinds = ["seq INTEGER PRIMARY KEY", "id INTEGER NOT NULL", "src_row INTEGER", "mask INTEGER NOT NULL"]
        kinds += [f"{self.quote('v_' + c)} {self._type(table.c[c])}" for c in columns]
        if quals:
            kinds.append("v_quals TEXT")
        tail = " ON COMMIT DROP" if self.pg else ""
        self.conn.execute(text(f"CREATE TEMPORARY TABLE {quoted} ({', '.join(kinds)}){tail}"))
        self.insert_rows(name, [*STAGE_COLUMNS, *(f"v_{c}" for c in columns), *(["v_quals"] if quals else [])],
                         rows)
        if self.pg:  # the row count and the ids' distinctness for the join plans: a small sample does
            previous = self.conn.execute(text("SHOW default_statistics_target")).scalar()
            self.conn.execute(text("SET LOCAL default_statistics_target = 1"))
            self.conn.execute(text(f"ANALYZE {quoted}"))
            self.conn.execute(text("SELECT set_config('default_statistics_target', :previous, true)"),
                              {"previous": previous})
        used = 0
        for row in rows:
            used |= row[3]
        return Stage(self, name, table, list(columns), len(rows), used, quals)

    def _type(self, column: Any) -> str:
        return column.type.compile(dialect=self.dialect) if self.pg else ""

    # SQL expressions -----------------------------------------------------------------------------
    def as_json(self, column: Any, expr: str) -> str:
        """SQL: the image value (``images.to_json``) of ``column``'s value ``expr``."""
        kind = column.type
        if isinstance(kind, DateTime):
            if self.pg:
                return (f"CASE WHEN {expr} = date_trunc('second', {expr}) THEN to_char({expr}, 'YYYY-MM-DD HH24:MI:SS') "
                        f"ELSE to_char({expr}, 'YYYY-MM-DD HH24:MI:SS.US') END")
            # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' by SQLAlchemy; isoformat drops a zero fraction
            return (f"CASE WHEN length({expr}) = 19 OR substr({expr}, 20) = '.000000' "
                    f"THEN substr({expr}, 1, 10) || ' ' || substr({expr}, 12, 8) "
                    f"ELSE substr({expr}, 1, 10) || ' ' || substr({expr}, 12) END")
        if isinstance(kind, Date):
            return f"to_char({expr}, 'YYYY-MM-DD')" if self.pg else expr
        if isinstance(kind, (Integer, String)):
            return expr
        raise TypeError(f"no JSON image for column {column.name} of type {kind!r}")

    def json_object(self, pairs: Sequence[tuple[str, str]]) -> str:
        """SQL: the JSON object of (key, SQL value) ``pairs``."""
        if self.pg:  # row_to_json of a one-row subquery: faster than json_build_object's per-argument typing
            columns = ", ".join(f"{value} AS {self.quote_always(key)}" for key, value in pairs)
            return f"(SELECT row_to_json(image) FROM (SELECT {columns}) AS image)"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs)
        return f"json_object({arguments})"

    @staticmethod
    def quote_always(name: str) -> str:
        """A quoted identifier, kept exactly (a JSON key named by a column alias)."""
        return '"' + name.replace('"', '""') + '"'

    def row_image(self, table: Table, alias: str, *, with_quals: bool = False) -> list[tuple[str, str]]:
        """(key, SQL value) pairs of the image of ``table``'s row ``alias`` as stored (``json_object`` makes
        it one JSON value); with ``with_quals``, a contact's qualification ids last."""
        pairs = [(c.name, self.as_json(c, f"{alias}.{self.quote(c.name)}")) for c in table.columns]
        if with_quals:
            pairs.append(("qualifications", self.qualification_ids(f"{alias}.id")))
        return pairs

    def qualification_ids(self, contact_expr: str) -> str:
        """SQL: the JSON array of a contact's qualification ids, ascending (``[]`` when none)."""
        links = self.quote(LINKS.name)
        if self.pg:
            return (f"COALESCE((SELECT json_agg(q.qualification_id ORDER BY q.qualification_id) FROM {links} q "
                    f"WHERE q.contact_id = {contact_expr}), '[]'::json)")
        return (f"json((SELECT json_group_array(qualification_id) FROM (SELECT q.qualification_id FROM {links} q "
                f"WHERE q.contact_id = {contact_expr} ORDER BY q.qualification_id)))")

    def json_text(self, expr: str) -> str:
        """SQL: the JSON text in ``expr`` as a JSON value (embedded as JSON, not as a string)."""
        return f"CAST({expr} AS json)" if self.pg else f"json({expr})"

    @property
    def json_null(self) -> str:
        return f"CAST('{JSON_NULL}' AS json)" if self.pg else f"'{JSON_NULL}'"


class Stage:
    """Rows of ``table`` staged in a temporary table: record their images, apply staged updates."""

    def __init__(self, bulk: Bulk, name: str, table: Table, columns: list[str], count: int, used: int,
                 quals: bool) -> None:
        self.bulk, self.name, self.table, self.columns, self.count = bulk, name, table, columns, count
        self.used = used  # the mask bits set by any staged row
        self.quals = quals

    @property
    def quals_bit(self) -> int:
        return 1 << len(self.columns)

    def bit(self, column: str) -> int:
        return 1 << self.columns.index(column)

    def _chunks(self) -> Iterable[tuple[int, int]]:
        for low in range(1, self.count + 1, STATEMENT_CHUNK):
            yield low, min(low + STATEMENT_CHUNK - 1, self.count)

    @staticmethod
    def _sets(bit: int) -> str:
        return f"(u.mask & {bit}) <> 0"

    def _image(self, *, after: bool, with_quals: bool) -> str:
        """SQL: the image of stored row ``a``; with ``after``, as the staged update ``u`` leaves it."""
        b = self.bulk
        pairs = b.row_image(self.table, "a", with_quals=with_quals)
        if not after:
            return b.json_object(pairs)
        changed = []
        for name, value in pairs:
            if name == "version":
                value = f"a.{b.quote(name)} + 1"
            elif name == "updated_at":
                value = "CAST(:now_json AS TEXT)" if b.pg else ":now_json"
            elif name in self.columns:
                staged = b.as_json(self.table.c[name], f"u.{b.quote('v_' + name)}")
                value = f"CASE WHEN {self._sets(self.bit(name))} THEN {staged} ELSE {value} END"
            elif name == "qualifications" and self.quals:
                value = f"CASE WHEN {self._sets(self.quals_bit)} THEN {b.json_text('u.v_quals')} ELSE {value} END"
            changed.append((name, value))
        return b.json_object(changed)

    def record(self, batch_id: int, entity: str, action: str, *, now_json: str | None = None,
               with_quals: bool = False, step: Callable[[int], None] = no_step) -> None:
        """One ``row_changes`` row per staged row, in ``seq`` order. ``create``: no before image, the
        stored row as the after image. ``update`` (before ``apply``): the stored row before, and after
        it the row with the staged values, version + 1 and updated_at = ``now_json``."""
        b = self.bulk
        if action == "create":
            before, after = b.json_null, self._image(after=False, with_quals=with_quals)
        else:
            before, after = self._image(after=False, with_quals=with_quals), self._image(after=True,
                                                                                         with_quals=with_quals)
        statement = text(
            f"INSERT INTO {b.quote(CHANGES.name)} ({', '.join(b.quote(c) for c in CHANGE_COLUMNS)}) "
            f"SELECT :batch_id, '{entity}', a.id, '{action}', {before}, {after}, u.src_row "
            f"FROM {b.quote(self.name)} u JOIN {b.quote(self.table.name)} a ON a.id = u.id "
            f"WHERE u.seq BETWEEN :low AND :high ORDER BY u.seq")
        params: dict[str, Any] = {"batch_id": batch_id}
        if action != "create":
            params["now_json"] = now_json
        for low, high in self._chunks():
            self._expect(b.conn.execute(statement, {**params, "low": low, "high": high}).rowcount, low, high)
            step(high - low + 1)

    def apply(self, now: Any, step: Callable[[int], None] = no_step) -> None:
        """``UPDATE ... FROM`` the stage: the columns a row sets, version + 1, updated_at = ``now``."""
        b = self.bulk
        sets = [f"{b.quote(c)} = CASE WHEN {self._sets(self.bit(c))} THEN u.{b.quote('v_' + c)} ELSE a.{b.quote(c)} END"
                for c in self.columns if self.used & self.bit(c)]
        sets += [f"{b.quote('version')} = a.{b.quote('version')} + 1", f"{b.quote('updated_at')} = :now"]
        statement = text(f"UPDATE {b.quote(self.table.name)} AS a SET {', '.join(sets)} FROM {b.quote(self.name)} u "
                         f"WHERE a.id = u.id AND u.seq BETWEEN :low AND :high"
                         ).bindparams(bindparam("now", type_=self.table.c.updated_at.type))
        for low, high in self._chunks():
            self._expect(b.conn.execute(statement, {"now": now, "low": low, "high": high}).rowcount, low, high)
            step(high - low + 1)

    def _expect(self, written: int, low: int, high: int) -> None:
        if written != high - low + 1:
            raise RowsVanished(f"{high - low + 1 - written} staged {self.table.name} rows are gone")

    def ids_where(self, bit: int) -> str:
        """SQL: the ids of the staged rows whose mask has ``bit``."""
        return f"SELECT u.id FROM {self.bulk.quote(self.name)} u WHERE {self._sets(bit)}"

    def drop(self) -> None:
        self.bulk.conn.execute(text(f"DROP TABLE {self.bulk.temp_schema}.{self.bulk.quote(self.name)}"))


__all__ = ["Bulk", "RowsVanished", "Stage"]
