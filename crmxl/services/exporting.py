"""Export a portfolio's accounts or contacts into the model-workbook layout (or CSV), streamed.

Rows come from ordered, streamed Core queries merged in Python (accounts, their first contact,
its qualifications), so memory stays flat however many rows there are. Each row carries its
database key and version in hidden columns for the import's conflict check.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.engine import Connection

from crmxl import i18n
from crmxl.db.models import Account, Contact, Qualification, User, contact_qualifications
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import without_portfolio_label
from crmxl.errors import UnusableInput
from crmxl.schema import TEMPLATES
from crmxl.services.access import Actor
from crmxl.services.profiles import Filters, Profile, default_profile, get_profile
from crmxl.services.progress import Progress, no_progress

A, C, U, Q, L = (Account.__table__, Contact.__table__, User.__table__, Qualification.__table__,
                 contact_qualifications)
BATCH = 5000


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    entity: str
    profile: str
    columns: tuple[str, ...]


def resolve_filters(actor: Actor, profile: Profile, *, portfolios: Sequence[str] = (), without_portfolio: bool = False,
                    types: Sequence[str] = (), ufs: Sequence[str] = (), active: bool | None = None) -> Filters:
    """The profile's filters, narrowed by what the caller gave; checked against the actor's rights."""
    base = profile.filters
    given_portfolio = bool(portfolios) or without_portfolio
    flt = Filters(
        portfolios=tuple(portfolios) if given_portfolio else base.portfolios,
        without_portfolio=without_portfolio if given_portfolio else base.without_portfolio,
        types=tuple(t.upper() for t in types) or base.types,
        active=active if active is not None else base.active,
        ufs=tuple(u.upper() for u in ufs) or base.ufs,
    )
    if not flt.portfolios and not flt.without_portfolio:
        raise UnusableInput("export_needs_portfolio")
    for login in flt.portfolios:
        actor.require(login)
    if flt.without_portfolio:
        actor.require(None)
    return flt


def _account_filter(flt: Filters):
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
    return and_(*clauses) if clauses else true()


def _accounts_from():
    return A.outerjoin(U, A.c.owner_id == U.c.id)


def _stream(conn: Connection, query: Select) -> Iterator[Any]:
    result = conn.execution_options(yield_per=BATCH).execute(query)
    yield from result


def _qualifications(conn: Connection, contact_ids_query: Select) -> Iterator[tuple[int, str]]:
    """(contact id, qualification name) for the contacts selected, ordered by contact id then name."""
    query = (select(L.c.contact_id, Q.c.name).select_from(L.join(Q, L.c.qualification_id == Q.c.id))
             .where(L.c.contact_id.in_(contact_ids_query)).order_by(L.c.contact_id, Q.c.name))
    return _stream(conn, query)


def _grouped(pairs: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, list[Any]]]:
    current, items = None, []
    for key, value in pairs:
        if key != current and current is not None:
            yield current, items
            items = []
        current = key
        items.append(value)
    if current is not None:
        yield current, items


class _Merge:
    """Look up values by ascending key in a stream ordered by that key."""

    def __init__(self, stream: Iterator[tuple[int, Any]]) -> None:
        self.stream = stream
        self.head: tuple[int, Any] | None = next(stream, None)

    def get(self, key: int, default: Any = None) -> Any:
        while self.head is not None and self.head[0] < key:
            self.head = next(self.stream, None)
        if self.head is not None and self.head[0] == key:
            return self.head[1]
        return default


def account_rows(conn: Connection, flt: Filters, columns: Sequence[str], lang: str) -> Iterator[list[Any]]:
    where = _account_filter(flt)
    accounts = select(A, U.c.login).select_from(_accounts_from()).where(where).order_by(A.c.id)
    wants_contact = bool({"contact_name", "contact_type", "qualifications", "contact_email"} & set(columns))
    first = _Merge(iter(()))
    quals = _Merge(iter(()))
    if wants_contact:
        first_ids = (select(func.min(C.c.id)).select_from(C.join(A, C.c.account_id == A.c.id)
                                                          .outerjoin(U, A.c.owner_id == U.c.id))
                     .where(where).group_by(C.c.account_id))
        contacts = select(C).where(C.c.id.in_(first_ids)).order_by(C.c.account_id)
        first = _Merge((r.account_id, r) for r in _stream(conn, contacts))
        by_contact = _Merge(_grouped(iter(_qualifications(conn, first_ids))))
        quals = by_contact
    without = without_portfolio_label(lang)
    for row in _stream(conn, accounts):
        contact = first.get(row.id) if wants_contact else None
        values = {
            "account_number": display_account_number(row.number), "name": row.name, "type": row.type,
            "portfolio": row.login or without, "uf": row.uf, "city": row.city, "address": row.address,
            "cep": row.cep, "phone": row.phone, "email": row.email,
        }
        if contact is not None:
            values.update(contact_name=contact.name, contact_type=contact.type, contact_email=contact.email,
                          qualifications="; ".join(quals.get(contact.id, [])))
        yield [values.get(c) for c in columns] + [row.id, row.version]


def contact_rows(conn: Connection, flt: Filters, columns: Sequence[str], lang: str) -> Iterator[list[Any]]:
    where = _account_filter(flt)
    base = C.join(A, C.c.account_id == A.c.id).outerjoin(U, A.c.owner_id == U.c.id)
    contacts = select(C, A.c.number).select_from(base).where(where).order_by(C.c.id)
    ids = select(C.c.id).select_from(base).where(where)
    quals = _Merge(_grouped(iter(_qualifications(conn, ids))))
    for row in _stream(conn, contacts):
        number = display_account_number(row.number)
        values = {
            "account_number": number, "name": row.name, "identifier": display_account_number(row.identifier),
            "type": row.type, "qualifications": "; ".join(quals.get(row.id, [])), "email": row.email,
            "phone": row.phone, "birth_date": row.birth_date,
        }
        yield [values.get(c) for c in columns] + [row.id, row.version]


def export(db: Database, actor: Actor, entity: str, out: Path, *, portfolios: Sequence[str] = (),
           without_portfolio: bool = False, types: Sequence[str] = (), ufs: Sequence[str] = (),
           active: bool | None = None, profile: str | None = None, fmt: str = "xlsx", lang: str = "en",
           progress: Progress = no_progress) -> ExportResult:
    """Write the selected rows to ``out`` (xlsx in the model layout, or csv); returns what was written."""
    if entity not in TEMPLATES:
        raise UnusableInput("profile_entity_unknown", entity=entity, known=", ".join(TEMPLATES))
    chosen = get_profile(db, profile) if profile else default_profile(db, entity)
    if chosen.entity != entity:
        raise UnusableInput("export_profile_entity", name=chosen.name, entity=chosen.entity, wanted=entity)
    flt = resolve_filters(actor, chosen, portfolios=portfolios, without_portfolio=without_portfolio, types=types,
                          ufs=ufs, active=active)
    tpl = TEMPLATES[entity]
    columns = tuple(chosen.columns)
    out = Path(out)
    with db.transaction() as conn:
        rows = (account_rows if entity == "accounts" else contact_rows)(conn, flt, columns, lang)
        if fmt == "csv":
            from crmxl.workbook.csv_writer import write_csv

            count = write_csv(out, tpl, columns, rows, lang=lang, progress=progress)
        elif fmt == "xlsx":
            from crmxl.services.templates import current_lists
            from crmxl.workbook.layout import write_model_workbook

            logins = sorted(actor.portfolios) if actor.portfolios is not None else sorted(
                conn.execute(select(U.c.login).where(U.c.role == "agent")).scalars())
            count = write_model_workbook(out, tpl, lang=lang, lists=current_lists(db, logins), columns=columns,
                                         rows=rows, with_keys=True, progress=progress)
        else:
            raise UnusableInput("export_format_unknown", fmt=fmt)
    return ExportResult(out, count, entity, chosen.name, columns)


i18n.register({
    "export_needs_portfolio": {
        "en": "Say whose accounts to export: --portfolio LOGIN (one or more) and/or --without-portfolio.",
        "pt-BR": "Diga de quem exportar: --portfolio LOGIN (um ou mais) e/ou --without-portfolio.",
    },
    "export_profile_entity": {"en": "Profile '{name}' exports {entity}, not {wanted}.",
                              "pt-BR": "O perfil '{name}' exporta {entity}, não {wanted}."},
    "export_format_unknown": {"en": "Unknown format '{fmt}': use xlsx or csv.",
                              "pt-BR": "Formato desconhecido '{fmt}': use xlsx ou csv."},
})
