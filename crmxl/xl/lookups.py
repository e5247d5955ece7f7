"""A per-process snapshot of what the worksheet functions look up, refreshed when the database changes.

The snapshot holds every account; what a lookup shows is what its user may see (``LookupCache.require``).

Loading is a handful of set-based queries; every lookup after that is a dict
access. The database's data version (bumped by every commit) is checked at most
once per ``check_interval`` seconds, so 10,000 calls cost a few milliseconds.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from crmxl.db.models import Account, Contact, Qualification, User
from crmxl.db.session import Database
from crmxl.domain.enums import WITHOUT_PORTFOLIO, is_without_portfolio
from crmxl.domain.specialties import SpecialtyRegistry
from crmxl.domain.text import normalize
from crmxl.services.access import Actor, resolve_actor

ACCOUNT_FIELDS = ("name", "type", "uf", "city", "address", "cep", "phone", "email", "portfolio", "active", "version")


@dataclass
class Snapshot:
    version: int
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    portfolio_sizes: Counter = field(default_factory=Counter)  # (login, type) and (login, None); login None:
    # Without Portfolio
    logins: dict[str, str] = field(default_factory=dict)  # lower-cased login -> login
    contacts: dict[str, set[str]] = field(default_factory=dict)  # identifier -> normalised names
    registry: SpecialtyRegistry = field(default_factory=lambda: SpecialtyRegistry([]))

    def portfolio(self, typed: str) -> str | None:
        """The portfolio a user typed: a login in any case (as typed when there is none such), or None for
        Without Portfolio in either language."""
        if is_without_portfolio(typed):
            return None
        return self.logins.get(typed.lower(), typed)


def load_snapshot(db: Database) -> Snapshot:
    acc, usr, con = Account.__table__, User.__table__, Contact.__table__
    snap = Snapshot(version=db.data_version())
    with db.transaction() as conn:
        query = select(acc.c.number, acc.c.name, acc.c.type, acc.c.uf, acc.c.city, acc.c.address, acc.c.cep,
                       acc.c.phone, acc.c.email, acc.c.version, usr.c.login).select_from(
            acc.outerjoin(usr, acc.c.owner_id == usr.c.id))
        for number, name, type_, uf, city, address, cep, phone, email, version, login in conn.execute(query):
            snap.accounts[number] = {
                "name": name, "type": type_, "uf": uf, "city": city, "address": address, "cep": cep,
                "phone": phone, "email": email, "portfolio": login or WITHOUT_PORTFOLIO,
                "active": login is not None, "version": version,
            }
        sizes = conn.execute(
            select(usr.c.login, acc.c.type, func.count()).select_from(acc.outerjoin(usr, acc.c.owner_id == usr.c.id))
            .group_by(usr.c.login, acc.c.type))
        for login, type_, count in sizes:
            snap.portfolio_sizes[(login, type_)] += count
            snap.portfolio_sizes[(login, None)] += count
        snap.logins = {login.lower(): login for login in conn.execute(select(usr.c.login)).scalars()}
        for identifier, name in conn.execute(select(con.c.identifier, con.c.name)):
            snap.contacts.setdefault(identifier, set()).add(normalize(name))
        snap.registry = SpecialtyRegistry(conn.execute(select(Qualification.__table__.c.name)).scalars())
    return snap


class LookupCache:
    """Holds the snapshot of one database, and who looks things up in it (``login``: the configured user;
    None: the default one); reloads both when the data version moves."""

    def __init__(self, db: Database, login: str | None = None, check_interval: float = 2.0) -> None:
        self.db = db
        self.login = login
        self.check_interval = check_interval
        self._snapshot: Snapshot | None = None
        self._actor: Actor | None = None
        self._checked = 0.0
        self.loads = 0

    @property
    def actor(self) -> Actor:
        """The user the lookups are made for (their rights, as on every other face)."""
        self.snapshot()
        if self._actor is None:
            with self.db.session() as session:
                self._actor = resolve_actor(session, self.login)
        return self._actor

    def require(self, account: dict[str, Any]) -> None:
        """Raise ``PermissionDenied`` unless the user may see ``account`` (a snapshot's account)."""
        self.actor.require(account["portfolio"] if account["active"] else None)

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._snapshot is None:
            self._reload(now)
        elif now - self._checked >= self.check_interval:
            self._checked = now
            if self.db.data_version() != self._snapshot.version:
                self._reload(now)
        return self._snapshot  # type: ignore[return-value]

    def _reload(self, now: float) -> None:
        self._snapshot = load_snapshot(self.db)
        self._actor = None
        self._checked = now
        self.loads += 1
