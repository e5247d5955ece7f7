"""Row images: JSON-able snapshots of accounts and contacts, kept in a batch's history.

An image holds every column of the row, so that undo can restore it exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection

from crmxl.db.models import Account, Contact, contact_qualifications

ACCOUNTS: Table = Account.__table__
CONTACTS: Table = Contact.__table__
LINKS: Table = contact_qualifications
TABLES = {"account": ACCOUNTS, "contact": CONTACTS}
CHUNK = 900  # stays under SQLite's bound-parameter limit


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def image(row: Any, table: Table) -> dict[str, Any]:
    """A row (mapping) -> image dict of every column of ``table``."""
    mapping = row._mapping if hasattr(row, "_mapping") else row
    return {c.name: to_json(mapping[c.name]) for c in table.columns}


def from_image(data: dict[str, Any], table: Table) -> dict[str, Any]:
    """An image -> values for an INSERT/UPDATE of ``table`` (dates parsed back)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in data:
            continue
        value = data[column.name]
        python_type = getattr(column.type, "python_type", None)
        if value is not None and python_type is dt.datetime and isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and python_type is dt.date and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        values[column.name] = value
    return values


def load_images(conn: Connection, entity: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Current images of the rows ``ids`` (contacts carry their qualification ids)."""
    table = TABLES[entity]
    found: dict[int, dict[str, Any]] = {}
    for part in chunks(list(ids)):
        for row in conn.execute(select(table).where(table.c.id.in_(part))):
            found[row.id] = image(row, table)
    if entity == "contact" and found:
        quals = load_qualification_ids(conn, list(found))
        for contact_id, data in found.items():
            data["qualifications"] = quals.get(contact_id, [])
    return found


def load_qualification_ids(conn: Connection, contact_ids: Sequence[int]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = defaultdict(list)
    for part in chunks(list(contact_ids)):
        rows = conn.execute(
            select(LINKS.c.contact_id, LINKS.c.qualification_id).where(LINKS.c.contact_id.in_(part))
        )
        for contact_id, qualification_id in rows:
            result[contact_id].append(qualification_id)
    for ids in result.values():
        ids.sort()
    return result


def replace_qualifications(conn: Connection, links: dict[int, Sequence[int]]) -> None:
    """Set each contact's qualifications to exactly the ids given."""
    contact_ids = list(links)
    for part in chunks(contact_ids):
        conn.execute(delete(LINKS).where(LINKS.c.contact_id.in_(part)))
    rows = [{"contact_id": cid, "qualification_id": qid} for cid, qids in links.items() for qid in qids]
    if rows:
        conn.execute(insert(LINKS), rows)
