"""Load what the database rules and the plan need, in a few set-based queries.

Only the rows the file names: the accounts of its account numbers (and of its export keys), the
contacts of its identifiers, plus the small tables (users, the qualifications registry).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crmxl.db.models import (
    Account,
    Contact,
    Qualification,
    User,
    contact_qualifications,
)
from crmxl.db.session import Database
from crmxl.domain.enums import PORTFOLIO_ROLES
from crmxl.domain.specialties import SpecialtyRegistry
from crmxl.services.access import Actor
from crmxl.services.images import chunks
from crmxl.validation.model import (
    ExistingAccount,
    ExistingContact,
    ReferenceData,
    ValidationResult,
)

ACCOUNTS = Account.__table__
CONTACTS = Contact.__table__
USERS = User.__table__
QUALIFICATIONS = Qualification.__table__
LINKS = contact_qualifications

ACCOUNT_VALUES = ("name", "uf", "city", "address", "cep", "phone", "email")
CONTACT_VALUES = ("type", "email", "phone", "birth_date")


@dataclass
class Lookup:
    """``ReferenceData`` plus the ids the commit needs (logins and qualification names -> ids)."""

    ref: ReferenceData
    user_ids: dict[str, int] = field(default_factory=dict)
    qualification_ids: dict[str, int] = field(default_factory=dict)


def wanted_keys(result: ValidationResult) -> tuple[set[str], set[str], set[int], set[int]]:
    """(account numbers, contact identifiers, account key ids, contact key ids) the file names."""
    numbers: set[str] = set()
    identifiers: set[str] = set()
    account_keys: set[int] = set()
    contact_keys: set[int] = set()
    accounts_template = result.table.template.id == "accounts"
    for record in result.records:
        values = record.values
        number = values.get("account_number")
        if number is not None:
            numbers.add(number)
        if accounts_template:
            if number is not None and values.get("contact_name") is not None:
                identifiers.add(number)
            if record.key_id is not None:
                account_keys.add(record.key_id)
        else:
            identifier = values.get("identifier")
            if identifier is not None:
                identifiers.add(identifier)
            if record.key_id is not None:
                contact_keys.add(record.key_id)
    return numbers, identifiers, account_keys, contact_keys


def load_reference(conn: Connection, actor: Actor, result: ValidationResult,
                   prefetch: AccountPrefetch | None = None) -> Lookup:
    """What the rules and the plan need (the accounts of the file's numbers from ``prefetch`` when it
    read them all)."""
    numbers, identifiers, account_keys, contact_keys = wanted_keys(result)
    users = conn.execute(select(USERS.c.id, USERS.c.login, USERS.c.role, USERS.c.active)).all()
    logins_by_id = {u.id: u.login for u in users}
    agent_logins = {u.login: u.role for u in users if u.active and u.role in PORTFOLIO_ROLES}
    quals = conn.execute(select(QUALIFICATIONS.c.id, QUALIFICATIONS.c.name).order_by(QUALIFICATIONS.c.name)).all()
    qualification_ids = {q.name: q.id for q in quals}
    qualification_names = {q.id: q.name for q in quals}

    prefetched = prefetch.rows_for(numbers) if prefetch is not None else None
    accounts = _accounts(prefetched if prefetched is not None else account_rows(conn, "number", sorted(numbers)),
                         logins_by_id)
    accounts.update(_accounts(account_rows(conn, "id", sorted(account_keys)), logins_by_id))
    contacts = _contacts(conn, "identifier", sorted(identifiers), qualification_names)
    contacts.update(_contacts(conn, "id", sorted(contact_keys), qualification_names))
    by_number = {a.number: a for a in accounts.values()}
    by_identifier: dict[str, list[ExistingContact]] = defaultdict(list)
    for contact in sorted(contacts.values(), key=lambda c: c.id):
        by_identifier[contact.identifier].append(contact)
    ref = ReferenceData(
        agent_logins=agent_logins,
        allowed_portfolios=actor.portfolios,
        may_use_without_portfolio=actor.may_use(None),
        registry=SpecialtyRegistry(qualification_ids),
        accounts=by_number,
        contacts=dict(by_identifier),
    )
    return Lookup(ref, {u.login: u.id for u in users}, qualification_ids)


ACCOUNT_COLUMNS = ("id", "number", "owner_id", "version", "type", *ACCOUNT_VALUES)


def _accounts(rows: Iterable[Sequence[Any]], logins: dict[int, str]) -> dict[int, ExistingAccount]:
    """Rows of ``ACCOUNT_COLUMNS`` -> ``ExistingAccount`` by id."""
    found: dict[int, ExistingAccount] = {}
    names = ACCOUNT_COLUMNS[4:]
    for account_id, number, owner_id, version, *values in rows:
        owner = logins.get(owner_id) if owner_id is not None else None
        found[account_id] = ExistingAccount(account_id, number, values[0], owner, version,
                                            dict(zip(names, values, strict=True)))
    return found


def account_rows(conn: Connection, column: str, keys: list[Any]) -> list[list[Any]]:
    """The ``ACCOUNT_COLUMNS`` of the accounts whose ``column`` is one of ``keys``, in one statement
    answered in one step: the database builds one JSON array of them (their values are text and
    integers, which JSON keeps exactly). The driver thus waits once, without holding the interpreter
    lock (see ``AccountPrefetch``), and one ``json.loads`` makes the rows."""
    if not keys:
        return []
    items = ", ".join(ACCOUNT_COLUMNS)
    cursor = conn.connection.cursor()  # this transaction's connection
    try:
        if conn.dialect.name == "postgresql":
            cursor.execute(f"SELECT COALESCE(json_agg(json_build_array({items})), '[]')::text FROM accounts "
                           f"WHERE {ACCOUNTS.c[column].name} = ANY(%s)", (keys,))
        elif conn.dialect.name == "sqlite":
            cursor.execute(f"SELECT json_group_array(json_array({items})) FROM accounts "
                           f"WHERE {ACCOUNTS.c[column].name} IN (SELECT value FROM json_each(?))", (json.dumps(keys),))
        else:
            raise NotImplementedError(conn.dialect.name)
        (answer,) = cursor.fetchone()
    finally:
        cursor.close()
    return json.loads(answer)


class AccountPrefetch:
    """The accounts of a file's account numbers, read in a thread of its own while the rest of the file
    is validated: ``start`` is ``validate_cells``'s ``on_numbers``; ``load_reference`` takes the rows.

    ``account_rows`` answers in one step, so the thread waits for the database without the interpreter
    lock and takes it once to parse the answer: validation goes on meanwhile (a query fetched row by row
    would take and give back the lock for each row, and both threads would crawl). The rows come from
    a snapshot a moment older than the plan's: the commit checks every version again anyway."""

    MIN_NUMBERS = 1_000  # fewer: reading them with the plan costs less than a thread

    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys: frozenset[str] = frozenset()
        self._rows: list[list[Any]] | None = None
        self._thread: threading.Thread | None = None

    def start(self, numbers: list[str]) -> None:
        if self._thread is not None or len(numbers) < self.MIN_NUMBERS:
            return
        self.keys = frozenset(numbers)
        self._thread = threading.Thread(target=self._run, name="crmxl-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with self.db.engine.connect() as conn:
                self._rows = account_rows(conn, "number", sorted(self.keys))
        except Exception:  # the plan reads the accounts itself, and reports what is wrong
            self._rows = None

    def rows_for(self, numbers: set[str]) -> list[list[Any]] | None:
        """The prefetched rows of ``numbers`` (None: not prefetched, or not all of them: read them)."""
        if self._thread is None:
            return None
        self._thread.join()
        if self._rows is None or not numbers <= self.keys:
            return None
        if len(numbers) == len(self.keys):
            return self._rows
        return [row for row in self._rows if row[1] in numbers]


def _contacts(conn: Connection, column: str, keys: list[Any], names: dict[int, str]) -> dict[int, ExistingContact]:
    columns = ("id", "account_id", "identifier", "name", "version", *CONTACT_VALUES)
    rows = list(_rows_where_in(conn, CONTACTS, columns, column, keys))
    quals = _qualifications(conn, [r[0] for r in rows], names)
    found: dict[int, ExistingContact] = {}
    for contact_id, account_id, identifier, name, version, *values in rows:
        data = dict(zip(CONTACT_VALUES, values, strict=True))
        if data["birth_date"].__class__ is str:  # SQLite's driver gives the stored text, not a date
            data["birth_date"] = dt.date.fromisoformat(data["birth_date"])
        data["qualifications"] = sorted(quals.get(contact_id, ()))
        found[contact_id] = ExistingContact(contact_id, account_id, identifier, name, version, data)
    return found


def _rows_where_in(conn: Connection, table: Table, columns: tuple[str, ...], key: str, keys: list[Any]
                   ) -> Iterator[tuple]:
    """The ``columns`` of the rows of ``table`` whose ``key`` is one of ``keys``, through the driver:
    for 100,000 keys SQLAlchemy's expanding ``IN`` costs more than the query itself. PostgreSQL takes
    the keys as one array; SQLite as ``IN (?, ...)`` lists of up to its bound-parameter limit."""
    head = f"SELECT {', '.join(columns)} FROM {table.name} WHERE {table.c[key].name}"
    cursor = conn.connection.cursor()  # this transaction's connection
    try:
        if conn.dialect.name == "postgresql":
            for part in chunks(keys, 100_000):
                cursor.execute(head + " = ANY(%s)", (list(part),))
                yield from cursor.fetchall()
            return
        if conn.dialect.name != "sqlite":
            raise NotImplementedError(conn.dialect.name)
        size = 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 900  # 32,766 parameters since 3.32
        for part in chunks(keys, size):
            cursor.execute(f"{head} IN ({', '.join('?' * len(part))})", tuple(part))
            yield from cursor.fetchall()
    finally:
        cursor.close()


def _qualifications(conn: Connection, contact_ids: Iterable[int], names: dict[int, str]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    for contact_id, qualification_id in _rows_where_in(conn, LINKS, ("contact_id", "qualification_id"),
                                                       "contact_id", sorted(set(contact_ids))):
        result[contact_id].append(names[qualification_id])
    return result
