"""Workbooks for the import tests: the layout writer's model workbooks when it is there, and the demo's rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from crmxl.schema import ACCOUNTS, CONTACTS, Template
from crmxl.workbook.reader import read_table

try:
    from crmxl.workbook.layout import write_model_workbook
except ImportError:  # the layout writer lands in parallel: fall back to a plain stamped workbook
    write_model_workbook = None


def workbook(path: Path, rows: Sequence[dict[str, Any]], *, tpl: Template = ACCOUNTS, lang: str = "en",
             keys: Sequence[tuple[int, int]] | None = None) -> Path:
    """A model workbook of ``tpl`` holding ``rows`` (dicts by field; missing fields empty)."""
    values = [[row.get(f) for f in tpl.fields] for row in rows]
    if write_model_workbook is not None:
        if keys is not None:
            values = [v + list(k) for v, k in zip(values, keys, strict=True)]
        write_model_workbook(path, tpl, lang=lang, rows=values, with_keys=keys is not None)
        return path
    from tests.validation.builders import headers, write_xlsx

    return write_xlsx(path, values, tpl=tpl, lang=lang, header=headers(tpl, lang), hidden_keys=keys)


def first_row(path: Path, tpl: Template = ACCOUNTS) -> int:
    """Worksheet row number of the first data row."""
    return read_table(path, tpl).header_row + 1


def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    engine.dispose()
    return rows


def execute(url: str, sql: str, **params: Any) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def demo_accounts(url: str, login: str | None = "agent.sp1", limit: int = 5, type_: str = "MEDICAL") -> list[dict]:
    """Accounts of the demo in ``login``'s portfolio (None: Without Portfolio), as import rows."""
    owner = "u.login = :login" if login else "a.owner_id IS NULL"
    rows = query(url, f"SELECT a.id, a.number, a.name, a.type, a.uf, a.city, a.address, a.cep, a.phone, a.email, "
                      f"a.version, u.login FROM accounts a LEFT JOIN users u ON u.id = a.owner_id "
                      f"WHERE {owner} AND a.type = :type ORDER BY a.id LIMIT {limit}", login=login, type=type_)
    return [{"id": r.id, "version": r.version, "account_number": r.number, "name": r.name, "type": r.type,
             "portfolio": r.login or "Without Portfolio", "uf": r.uf, "city": r.city, "address": r.address,
             "cep": r.cep, "phone": r.phone, "email": r.email} for r in rows]


def contacts_of(url: str, number: str) -> list[Any]:
    return query(url, "SELECT id, name, type, email, phone, birth_date, version FROM contacts "
                      "WHERE identifier = :n ORDER BY id", n=number)


def qualification_names(url: str, contact_id: int) -> list[str]:
    return [r[0] for r in query(url, "SELECT q.name FROM qualifications q JOIN contact_qualifications l "
                                     "ON l.qualification_id = q.id WHERE l.contact_id = :c ORDER BY q.name",
                                c=contact_id)]


CONTACT_TPL = CONTACTS


def actor(db, login="admin"):
    """The acting user ``login`` of ``db``."""
    from crmxl.services.access import resolve_actor

    with db.session() as session:
        return resolve_actor(session, login)
