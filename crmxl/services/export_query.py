"""The rows of an export: streamed Core queries, merged in Python, in the profile's column order.

Every query is ordered and streamed (``yield_per``), and the merges look values up by an
ascending key, so memory stays flat whatever the number of rows: nothing here builds a list
of all rows. Each row ends with the database key and version of what it shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.engine import Connection

from crmxl.db.models import Account, Contact, Qualification, User, contact_qualifications
from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import without_portfolio_label
from crmxl.domain.text import sorted_names
from crmxl.schema import shows_a_contact
from crmxl.services.profiles import Filters

A, C, U, Q, L = (Account.__table__, Contact.__table__, User.__table__, Qualification.__table__,
                 contact_qualifications)
BATCH = 5000
QUALIFICATION_SEPARATOR = "; "


def account_filter(flt: Filters):
    """The WHERE clause over accounts (joined with their owner) for ``flt``."""
    owner = []
    if flt.portfolios:
        owner.append(U.c.login.in_(flt.portfolios))
    if flt.without_portfolio:
        owner.append(A.c.owner_id.is_(None))
    clauses = [or_(*owner) if owner else false()]
    if flt.types:
        clauses.append(A.c.type.in_(flt.types))
    if flt.ufs:
        clauses.append(A.c.uf.in_(flt.ufs))
    if flt.active is True:
        clauses.append(A.c.owner_id.is_not(None))
    elif flt.active is False:
        clauses.append(A.c.owner_id.is_(None))
    return and_(*clauses)


def _accounts_with_owner():
    return A.outerjoin(U, A.c.owner_id == U.c.id)


def _contacts_with_account():
    return C.join(A, C.c.account_id == A.c.id).outerjoin(U, A.c.owner_id == U.c.id)


def count_rows(conn: Connection, entity: str, flt: Filters) -> int:
    """How many rows the export of ``entity`` with ``flt`` writes (for the progress bar)."""
    source = _accounts_with_owner() if entity == "accounts" else _contacts_with_account()
    return conn.execute(select(func.count()).select_from(source).where(account_filter(flt))).scalar_one()


def _stream(conn: Connection, query: Select) -> Iterator[Any]:
    yield from conn.execution_options(yield_per=BATCH).execute(query)


def _grouped(pairs: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
    """(key, name) pairs ordered by key -> (key, [names]), the names in ``sort_key`` order (not the database's)."""
    current, items = None, []
    for key, value in pairs:
        if key != current and current is not None:
            yield current, sorted_names(items)
            items = []
        current = key
        items.append(value)
    if current is not None:
        yield current, sorted_names(items)


class _Merge:
    """Look values up by ascending key in a stream of (key, value) ordered by that key.

    Keys must be asked for in ascending order too: a key below one asked before is never found.
    """

    def __init__(self, stream: Iterator[tuple[int, Any]]) -> None:
        self.stream = stream
        self.head: tuple[int, Any] | None = next(stream, None)

    def get(self, key: int, default: Any = None) -> Any:
        while self.head is not None and self.head[0] < key:
            self.head = next(self.stream, None)
        if self.head is not None and self.head[0] == key:
            return self.head[1]
        return default


def account_rows(conn: Connection, flt: Filters, columns: Sequence[str], lang: str = "en") -> Iterator[list[Any]]:
    """Accounts in id order; the contact columns show the account's first contact (lowest id)."""
    where = account_filter(flt)
    accounts = select(A, U.c.login).select_from(_accounts_with_owner()).where(where).order_by(A.c.id)
    first = _Merge(iter(()))
    quals = _Merge(iter(()))
    with_contact = shows_a_contact("accounts", columns)
    if with_contact:
        first_ids = select(func.min(C.c.id)).select_from(_contacts_with_account()).where(where).group_by(C.c.account_id)
        contacts = select(C).where(C.c.id.in_(first_ids)).order_by(C.c.account_id)
        first = _Merge((r.account_id, r) for r in _stream(conn, contacts))
        # keyed by account id, the order the accounts come in (a first contact's id need not follow it)
        names = (select(C.c.account_id, Q.c.name)
                 .select_from(L.join(Q, L.c.qualification_id == Q.c.id).join(C, L.c.contact_id == C.c.id))
                 .where(L.c.contact_id.in_(first_ids)).order_by(C.c.account_id))
        quals = _Merge(_grouped(iter(_stream(conn, names))))
    without = without_portfolio_label(lang)
    for row in _stream(conn, accounts):
        values = {
            "account_number": display_account_number(row.number), "name": row.name, "type": row.type,
            "portfolio": row.login or without, "uf": row.uf, "city": row.city, "address": row.address,
            "cep": row.cep, "phone": row.phone, "email": row.email,
        }
        contact = first.get(row.id)
        if contact is not None:
            values.update(contact_name=contact.name, contact_type=contact.type, contact_email=contact.email,
                          qualifications=QUALIFICATION_SEPARATOR.join(quals.get(row.id, ())) or None)
        keys = [row.id, row.version]
        if with_contact:  # the contact shown: its key and version (schema.key_headers)
            keys += [contact.id, contact.version] if contact is not None else [None, None]
        yield [values.get(c) for c in columns] + keys


def contact_rows(conn: Connection, flt: Filters, columns: Sequence[str], lang: str = "en") -> Iterator[list[Any]]:
    """Contacts in id order, with their account's number (display form)."""
    where = account_filter(flt)
    contacts = select(C, A.c.number).select_from(_contacts_with_account()).where(where).order_by(C.c.id)
    quals = _Merge(iter(()))
    if "qualifications" in columns:
        ids = select(C.c.id).select_from(_contacts_with_account()).where(where)
        names = (select(L.c.contact_id, Q.c.name).select_from(L.join(Q, L.c.qualification_id == Q.c.id))
                 .where(L.c.contact_id.in_(ids)).order_by(L.c.contact_id))
        quals = _Merge(_grouped(iter(_stream(conn, names))))
    for row in _stream(conn, contacts):
        values = {
            "account_number": display_account_number(row.number), "name": row.name,
            "identifier": display_account_number(row.identifier), "type": row.type,
            "qualifications": QUALIFICATION_SEPARATOR.join(quals.get(row.id, ())) or None, "email": row.email,
            "phone": row.phone, "birth_date": row.birth_date,
        }
        yield [values.get(c) for c in columns] + [row.id, row.version]


ROWS = {"accounts": account_rows, "contacts": contact_rows}
