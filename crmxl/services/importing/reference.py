"""Load what the database rules and the plan need, in a few set-based queries.

Only the rows the file names: the accounts of its account numbers (and of its export keys), the
contacts of its identifiers, plus the small tables (users, the qualifications registry).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from crmxl.db.models import Account, Contact, Qualification, User, contact_qualifications
from crmxl.domain.enums import Role
from crmxl.domain.specialties import SpecialtyRegistry
from crmxl.services.access import Actor
from crmxl.services.images import chunks
from crmxl.validation.model import ExistingAccount, ExistingContact, ReferenceData, ValidationResult

ACCOUNTS = Account.__table__
CONTACTS = Contact.__table__
USERS = User.__table__
QUALIFICATIONS = Qualification.__table__
LINKS = contact_qualifications

ACCOUNT_VALUES = ("name", "uf", "city", "address", "cep", "phone", "email")
CONTACT_VALUES = ("type", "email", "phone", "birth_date")
PORTFOLIO_ROLES = (Role.AGENT.value, Role.MANAGER.value)


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


def load_reference(conn: Connection, actor: Actor, result: ValidationResult) -> Lookup:
    numbers, identifiers, account_keys, contact_keys = wanted_keys(result)
    users = conn.execute(select(USERS.c.id, USERS.c.login, USERS.c.role, USERS.c.active)).all()
    logins_by_id = {u.id: u.login for u in users}
    agent_logins = {u.login: u.role for u in users if u.active and u.role in PORTFOLIO_ROLES}
    quals = conn.execute(select(QUALIFICATIONS.c.id, QUALIFICATIONS.c.name).order_by(QUALIFICATIONS.c.name)).all()
    qualification_ids = {q.name: q.id for q in quals}
    qualification_names = {q.id: q.name for q in quals}

    accounts = _accounts(conn, "number", sorted(numbers), logins_by_id)
    accounts.update(_accounts(conn, "id", sorted(account_keys), logins_by_id))
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


def _accounts(conn: Connection, column: str, keys: list[Any], logins: dict[int, str]) -> dict[int, ExistingAccount]:
    found: dict[int, ExistingAccount] = {}
    columns = ("id", "number", "owner_id", "version", "type", *ACCOUNT_VALUES)
    names = columns[4:]
    for account_id, number, owner_id, version, *values in _rows_where_in(conn, ACCOUNTS, columns, column, keys):
        owner = logins.get(owner_id) if owner_id is not None else None
        found[account_id] = ExistingAccount(account_id, number, values[0], owner, version,
                                            dict(zip(names, values, strict=True)))
    return found


def _contacts(conn: Connection, column: str, keys: list[Any], names: dict[int, str]) -> dict[int, ExistingContact]:
    columns = ("id", "account_id", "identifier", "name", "version", *CONTACT_VALUES)
    rows = list(_rows_where_in(conn, CONTACTS, columns, column, keys))
    quals = _qualifications(conn, [r[0] for r in rows], names)
    found: dict[int, ExistingContact] = {}
    for contact_id, account_id, identifier, name, version, *values in rows:
        data = dict(zip(CONTACT_VALUES, values, strict=True))
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
