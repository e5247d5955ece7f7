"""Set-based writing for a commit: many rows per statement, the ORM and per-row Python kept off the path.

* Rows go in through the driver: ``COPY ... FROM STDIN`` on PostgreSQL, one ``executemany`` of
  plain tuples on SQLite (values converted once to what SQLAlchemy would store).
* Updates are staged in a temporary table; one ``INSERT INTO row_changes ... SELECT`` then writes
  their before and after images, built as JSON by the database from the stored row and the staged
  values, and one ``UPDATE ... FROM`` applies them.

The images the database builds hold the same content as ``crmxl.services.images.image`` (every
column, datetimes as ``isoformat(sep=" ")``, dates as ISO strings, contacts with their sorted
qualification ids); only the JSON spelling differs (spacing, non-ASCII not escaped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from crmxl.db.models import RowChange
from crmxl.services.images import LINKS

CHANGES: Table = RowChange.__table__
CHANGE_COLUMNS = ("batch_id", "entity", "entity_id", "action", "before", "after", "row")
EXECUTEMANY_CHUNK = 10_000  # rows per SQLite executemany (a progress step)
COPY_CHUNK = 20_000  # rows per progress step of a COPY
STATEMENT_CHUNK = 25_000  # staged rows per INSERT ... SELECT / UPDATE ... FROM
NO_STEP: Callable[[int], None] = lambda _count: None  # noqa: E731


class Bulk:
    """Bulk primitives on one connection (inside the caller's transaction)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.pg = self.dialect.name == "postgresql"
        self.quote = self.dialect.identifier_preparer.quote
        self.dumps: Callable[[Any], str] = getattr(self.dialect, "_json_serializer", None) or json.dumps

    # values -------------------------------------------------------------------------------------
    def storer(self, table: Table, columns: Sequence[str]) -> Callable[[Sequence[Any]], tuple]:
        """A function: a tuple of Python values for ``columns`` -> the tuple the driver receives.

        PostgreSQL's COPY adapts Python values itself; SQLite gets SQLAlchemy's stored form (dates and
        datetimes as its strings)."""
        if self.pg:
            return tuple
        processors = [(i, self._processor(table.c[name])) for i, name in enumerate(columns)]
        processors = [(i, p) for i, p in processors if p is not None]
        if not processors:
            return tuple

        def convert(values: Sequence[Any]) -> tuple:
            out = list(values)
            for i, process in processors:
                if out[i] is not None:
                    out[i] = process(out[i])
            return tuple(out)

        return convert

    def stored(self, column: Any, value: Any) -> Any:
        """One value as the driver receives it (see ``storer``)."""
        process = None if value is None or self.pg else self._processor(column)
        return value if process is None else process(value)

    def _processor(self, column: Any) -> Callable[[Any], Any] | None:
        if not _is_temporal(column.type):
            return None
        return column.type.dialect_impl(self.dialect).bind_processor(self.dialect)

    # writing rows -------------------------------------------------------------------------------
    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[tuple],
                    step: Callable[[int], None] = NO_STEP) -> None:
        """Append ``rows`` (tuples in the order of ``columns``, driver-ready) to ``table``."""
        if not rows:
            return
        names = ", ".join(self.quote(c) for c in columns)
        if self.pg:
            with self.driver_errors(f"COPY {table}"), self.conn.connection.driver_connection.cursor() as cursor:
                with cursor.copy(f"COPY {self.quote(table)} ({names}) FROM STDIN") as copy:
                    write = copy.write_row
                    for start in range(0, len(rows), COPY_CHUNK):
                        for row in rows[start:start + COPY_CHUNK]:
                            write(row)
                        step(len(rows[start:start + COPY_CHUNK]))
            return
        sql = f"INSERT INTO {self.quote(table)} ({names}) VALUES ({', '.join('?' for _ in columns)})"
        for start in range(0, len(rows), EXECUTEMANY_CHUNK):
            part = rows[start:start + EXECUTEMANY_CHUNK]
            self.conn.exec_driver_sql(sql, list(part) if len(part) > 1 else part[0])
            step(len(part))

    @contextmanager
    def driver_errors(self, statement: str):
        """Raise the driver's errors as SQLAlchemy's (``IntegrityError``, ``OperationalError``...), as
        ``Connection.execute`` would."""
        dbapi = self.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as exc:
            raise DBAPIError.instance(statement, None, exc, dbapi.Error, dialect=self.dialect) from exc

    def next_ids(self, table: Table, count: int) -> list[int]:
        """``count`` new ids for ``table``: drawn from its sequence on PostgreSQL; on SQLite the next
        numbers after the largest id (what SQLite itself would give; this transaction holds the only
        write lock)."""
        if count == 0:
            return []
        if self.pg:
            return list(self.conn.execute(
                text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
                {"n": count}).scalars())
        last = self.conn.execute(text(f"SELECT max(id) FROM {self.quote(table.name)}")).scalar() or 0
        return list(range(last + 1, last + 1 + count))

    def write_changes(self, batch_id: int, changes: Iterable[dict[str, Any]],
                      step: Callable[[int], None] = NO_STEP) -> None:
        """Append row changes (dicts as ``BatchRecorder.add`` makes them), their images serialised once."""
        dumps = self.dumps
        rows = [(batch_id, c["entity"], c["entity_id"], c["action"], dumps(c["before"]), dumps(c["after"]), c["row"])
                for c in changes]
        self.insert_rows(CHANGES.name, CHANGE_COLUMNS, rows, step)

    # staged updates ------------------------------------------------------------------------------
    def stage(self, name: str, table: Table, columns: Sequence[str], rows: Sequence[tuple], *,
              extra: Sequence[str] = ()) -> Stage:
        """A temporary table ``name`` (seq, id, src_row, mask, v_<column>..., <extra> text) holding ``rows``
        (tuples in that order, seq counting from 1, driver-ready)."""
        self.conn.execute(text(f"DROP TABLE IF EXISTS {self.quote(name)}"))
        kinds = [f"{self.quote('v_' + c)} {self._type(table.c[c])}" for c in columns]
        kinds += [f"{self.quote(e)} TEXT" for e in extra]
        tail = " ON COMMIT DROP" if self.pg else ""
        self.conn.execute(text(f"CREATE TEMPORARY TABLE {self.quote(name)} (seq INTEGER PRIMARY KEY, id INTEGER NOT NULL, "
                               f"src_row INTEGER, mask INTEGER NOT NULL, {', '.join(kinds)}){tail}"))
        self.insert_rows(name, ["seq", "id", "src_row", "mask", *(f"v_{c}" for c in columns), *extra], rows)
        if self.pg:
            self.conn.execute(text(f"ANALYZE {self.quote(name)}"))
        used = 0
        for row in rows:
            used |= row[3]
        return Stage(self, name, table, list(columns), len(rows), used)

    def _type(self, column: Any) -> str:
        if not self.pg:
            return ""
        return column.type.compile(dialect=self.dialect)

    # SQL expressions -----------------------------------------------------------------------------
    def as_json(self, column: Any, expr: str) -> str:
        """SQL for the image value of ``column`` held in ``expr`` (what ``images.to_json`` gives)."""
        kind = column.type
        if isinstance(kind, DateTime):
            if self.pg:
                return (f"CASE WHEN {expr} = date_trunc('second', {expr}) THEN to_char({expr}, 'YYYY-MM-DD HH24:MI:SS') "
                        f"ELSE to_char({expr}, 'YYYY-MM-DD HH24:MI:SS.US') END")
            # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'; isoformat drops a zero fraction
            return (f"CASE WHEN length({expr}) = 19 OR substr({expr}, 20) = '.000000' "
                    f"THEN substr({expr}, 1, 10) || ' ' || substr({expr}, 12, 8) "
                    f"ELSE substr({expr}, 1, 10) || ' ' || substr({expr}, 12) END")
        if isinstance(kind, Date):
            return f"to_char({expr}, 'YYYY-MM-DD')" if self.pg else expr
        if isinstance(kind, (Integer, String)):
            return expr
        raise TypeError(f"no JSON image for column {column.name} of type {kind!r}")

    def json_object(self, pairs: Sequence[tuple[str, str]]) -> str:
        function = "json_build_object" if self.pg else "json_object"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs)
        return f"{function}({arguments})"

    def qualification_ids(self, contact_expr: str) -> str:
        """SQL: the JSON array of a contact's qualification ids, sorted (``[]`` when none)."""
        links = LINKS.name
        if self.pg:
            return (f"COALESCE((SELECT json_agg(q.qualification_id ORDER BY q.qualification_id) FROM {links} q "
                    f"WHERE q.contact_id = {contact_expr}), '[]'::json)")
        return (f"json((SELECT json_group_array(qualification_id) FROM (SELECT q.qualification_id FROM {links} q "
                f"WHERE q.contact_id = {contact_expr} ORDER BY q.qualification_id)))")

    def json_text(self, expr: str) -> str:
        """SQL: the JSON held as text in ``expr``, embedded as JSON (not as a string)."""
        return f"CAST({expr} AS json)" if self.pg else f"json({expr})"


class Stage:
    """Staged updates of ``table``: write their images, then apply them."""

    def __init__(self, bulk: Bulk, name: str, table: Table, columns: list[str], count: int, used: int) -> None:
        self.bulk, self.name, self.table, self.columns, self.count = bulk, name, table, columns, count
        self.used = used  # the mask bits any staged row has

    def bit(self, column: str) -> int:
        return 1 << self.columns.index(column)

    def chunks(self) -> Iterable[tuple[int, int]]:
        for low in range(1, self.count + 1, STATEMENT_CHUNK):
            yield low, min(low + STATEMENT_CHUNK - 1, self.count)

    def _changed(self, bit: int) -> str:
        return f"(u.mask & {bit}) <> 0"

    def _image(self, quals: str | None, after: bool) -> str:
        b = self.bulk
        pairs = []
        for column in self.table.columns:
            name = column.name
            stored = b.as_json(column, f"a.{b.quote(name)}")
            if after and name == "version":
                stored = f"a.{b.quote(name)} + 1"
            elif after and name == "updated_at":
                stored = "CAST(:now_json AS TEXT)" if b.pg else ":now_json"
            elif after and name in self.columns:
                staged = b.as_json(column, f"u.{b.quote('v_' + name)}")
                stored = f"CASE WHEN {self._changed(self.bit(name))} THEN {staged} ELSE {stored} END"
            pairs.append((name, stored))
        if quals is not None:
            current = b.qualification_ids("a.id")
            value = current
            if after:
                value = f"CASE WHEN {self._changed(self.quals_bit)} THEN {b.json_text('u.' + quals)} ELSE {current} END"
            pairs.append(("qualifications", value))
        return b.json_object(pairs)

    @property
    def quals_bit(self) -> int:
        return 1 << len(self.columns)

    def record(self, batch_id: int, entity: str, now_json: str, *, quals: str | None = None) -> None:
        """Write one ``row_changes`` row per staged update, in ``seq`` order: the stored row as the before
        image, the row with the staged values, version + 1 and ``updated_at`` = now as the after image."""
        b = self.bulk
        table = b.quote(self.table.name)
        sql = (f"INSERT INTO {b.quote(CHANGES.name)} ({', '.join(b.quote(c) for c in CHANGE_COLUMNS)}) "
               f"SELECT :batch_id, '{entity}', a.id, 'update', {self._image(quals, False)}, "
               f"{self._image(quals, True)}, u.src_row FROM {b.quote(self.name)} u JOIN {table} a ON a.id = u.id "
               f"WHERE u.seq BETWEEN :low AND :high ORDER BY u.seq")
        statement = text(sql)
        for low, high in self.chunks():
            written = b.conn.execute(statement, {"batch_id": batch_id, "now_json": now_json, "low": low,
                                                 "high": high}).rowcount
            if written != high - low + 1:
                raise RowsVanished(f"{high - low + 1 - written} staged {self.table.name} rows are gone")

    def apply(self, now: Any, step: Callable[[int], None] = NO_STEP) -> None:
        """``UPDATE ... FROM`` the stage: the staged columns a row changes, version + 1, updated_at."""
        b = self.bulk
        sets = [f"{b.quote(c)} = CASE WHEN {self._changed(self.bit(c))} THEN u.{b.quote('v_' + c)} "
                f"ELSE a.{b.quote(c)} END" for c in self.columns if self.used & self.bit(c)]
        sets += [f"{b.quote('version')} = a.{b.quote('version')} + 1", f"{b.quote('updated_at')} = :now"]
        sql = (f"UPDATE {b.quote(self.table.name)} AS a SET {', '.join(sets)} FROM {b.quote(self.name)} u "
               f"WHERE a.id = u.id AND u.seq BETWEEN :low AND :high")
        statement = text(sql).bindparams(bindparam("now", type_=self.table.c.updated_at.type))
        for low, high in self.chunks():
            written = b.conn.execute(statement, {"now": now, "low": low, "high": high}).rowcount
            if written != high - low + 1:
                raise RowsVanished(f"{high - low + 1 - written} staged {self.table.name} rows are gone")
            step(high - low + 1)

    def ids_where(self, bit: int) -> str:
        """SQL: the ids of the staged rows that change ``bit``."""
        return f"SELECT u.id FROM {self.bulk.quote(self.name)} u WHERE {self._changed(bit)}"

    def drop(self) -> None:
        self.bulk.conn.execute(text(f"DROP TABLE {self.bulk.quote(self.name)}"))


class RowsVanished(RuntimeError):
    """A staged update found fewer rows than it staged (never after ``check_fresh``)."""


def _is_temporal(kind: Any) -> bool:
    return isinstance(kind, (Date, DateTime))


__all__ = ["Bulk", "RowsVanished", "Stage"]
