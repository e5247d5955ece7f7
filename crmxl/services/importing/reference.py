"""Load what the database rules and the plan need, in a few set-based queries.

Only the rows the file names: the accounts of its account numbers (and of its export keys), the
contacts of its identifiers, plus the small tables (users, the qualifications registry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
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

    accounts = _accounts(conn, ACCOUNTS.c.number, sorted(numbers), logins_by_id)
    accounts.update(_accounts(conn, ACCOUNTS.c.id, sorted(account_keys), logins_by_id))
    contacts = _contacts(conn, CONTACTS.c.identifier, sorted(identifiers), qualification_names)
    contacts.update(_contacts(conn, CONTACTS.c.id, sorted(contact_keys), qualification_names))
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


def _accounts(conn: Connection, column: Any, keys: list[Any], logins: dict[int, str]) -> dict[int, ExistingAccount]:
    found: dict[int, ExistingAccount] = {}
    columns = [ACCOUNTS.c.id, ACCOUNTS.c.number, ACCOUNTS.c.type, ACCOUNTS.c.owner_id, ACCOUNTS.c.version,
               *(ACCOUNTS.c[name] for name in ACCOUNT_VALUES)]
    for part in chunks(keys):
        for row in conn.execute(select(*columns).where(column.in_(part))):
            values = {name: row._mapping[name] for name in ACCOUNT_VALUES}
            owner = logins.get(row.owner_id) if row.owner_id is not None else None
            found[row.id] = ExistingAccount(row.id, row.number, row.type, owner, row.version, values)
    return found


def _contacts(conn: Connection, column: Any, keys: list[Any], names: dict[int, str]) -> dict[int, ExistingContact]:
    rows: list[Any] = []
    columns = [CONTACTS.c.id, CONTACTS.c.account_id, CONTACTS.c.identifier, CONTACTS.c.name, CONTACTS.c.version,
               *(CONTACTS.c[name] for name in CONTACT_VALUES)]
    for part in chunks(keys):
        rows.extend(conn.execute(select(*columns).where(column.in_(part))))
    quals = _qualifications(conn, [r.id for r in rows], names)
    found: dict[int, ExistingContact] = {}
    for row in rows:
        values = {name: row._mapping[name] for name in CONTACT_VALUES}
        values["qualifications"] = sorted(quals.get(row.id, ()))
        found[row.id] = ExistingContact(row.id, row.account_id, row.identifier, row.name, row.version, values)
    return found


def _qualifications(conn: Connection, contact_ids: Iterable[int], names: dict[int, str]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    for part in chunks(sorted(set(contact_ids))):
        for contact_id, qualification_id in conn.execute(
            select(LINKS.c.contact_id, LINKS.c.qualification_id).where(LINKS.c.contact_id.in_(part))
        ):
            result[contact_id].append(names[qualification_id])
    return result
