"""The plan of an import: what a commit would change, computed before anything is written.

Plain, picklable data: the web wizard keeps a plan server-side and commits exactly the plan it
showed. ``Fingerprint`` records the database state the plan was computed on; the commit
re-reads it and refuses a plan that went stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from crmxl import i18n
from crmxl.validation.model import Table, ValidationResult

Change = tuple[Any, Any]  # (old, new)

# The changes are made by the hundred thousand on a large import: plain slotted classes (a frozen
# dataclass's __init__ costs four times as much). Nothing changes them after the plan is built.


@dataclass(slots=True)
class AccountCreate:
    row: int
    number: str
    owner: str | None  # login, None = Without Portfolio
    values: dict[str, Any]  # type, name, uf, city, address, cep, phone, email


@dataclass(slots=True)
class AccountUpdate:
    row: int
    id: int
    number: str
    version: int  # expected in the database
    owner: str | None  # the current owner's login
    changes: dict[str, Change]  # column -> (old, new); "owner" holds logins


@dataclass(slots=True)
class Move:
    row: int
    id: int
    number: str
    from_login: str | None
    to_login: str | None


@dataclass(slots=True)
class ContactCreate:
    row: int
    identifier: str  # the account number
    account_id: int | None  # None: the account is created by this plan
    name: str
    values: dict[str, Any]  # type, email, phone, birth_date
    qualifications: tuple[str, ...]


@dataclass(slots=True)
class ContactUpdate:
    row: int
    id: int
    identifier: str
    name: str
    version: int
    changes: dict[str, Change]  # column -> (old, new); "qualifications" holds sorted name tuples


@dataclass(frozen=True)
class Fingerprint:
    """The database state a plan depends on."""

    accounts: dict[int, int]  # id -> version of every account the plan updates
    contacts: dict[int, int]  # id -> version of every contact it updates
    new_numbers: frozenset[str]  # account numbers it creates (must still be free)
    new_contacts: frozenset[tuple[str, str]]  # (identifier, normalised name) it creates (must still be free)
    parents: frozenset[int] = frozenset()  # existing accounts it adds contacts to (must still exist)

    @property
    def digest(self) -> str:
        data = [sorted(self.accounts.items()), sorted(self.contacts.items()), sorted(self.new_numbers),
                sorted(self.new_contacts), sorted(self.parents)]
        return hashlib.sha256(json.dumps(data, separators=(",", ":")).encode()).hexdigest()


@dataclass
class ImportPlan:
    result: ValidationResult
    actor: str
    template_id: str
    template_version: str | None
    file_name: str
    sha256: str | None
    allow_transfers: bool
    lang: str
    accounts_create: list[AccountCreate] = field(default_factory=list)
    accounts_update: list[AccountUpdate] = field(default_factory=list)
    accounts_unchanged: list[int] = field(default_factory=list)  # account ids
    moves: list[Move] = field(default_factory=list)
    contacts_create: list[ContactCreate] = field(default_factory=list)
    contacts_update: list[ContactUpdate] = field(default_factory=list)
    contacts_unchanged: list[int] = field(default_factory=list)  # contact ids
    fingerprint: Fingerprint = field(default_factory=lambda: Fingerprint({}, {}, frozenset(), frozenset()))
    user_ids: dict[str, int] = field(default_factory=dict)  # login -> user id, for owners
    qualification_ids: dict[str, int] = field(default_factory=dict)

    @property
    def table(self) -> Table:
        return self.result.table

    @property
    def rows(self) -> int:
        return self.result.rows

    @property
    def error_rows(self) -> set[int]:
        return self.result.error_rows & {r.row for r in self.result.records}

    @property
    def valid_rows(self) -> int:
        return self.rows - len(self.error_rows)

    @property
    def has_errors(self) -> bool:
        return bool(self.result.errors)

    @property
    def is_empty(self) -> bool:
        return not (self.accounts_create or self.accounts_update or self.contacts_create or self.contacts_update)

    def counts(self) -> dict[str, int]:
        return {
            "accounts_create": len(self.accounts_create),
            "accounts_update": len(self.accounts_update),
            "accounts_unchanged": len(self.accounts_unchanged),
            "portfolio_moves": len(self.moves),
            "contacts_create": len(self.contacts_create),
            "contacts_update": len(self.contacts_update),
            "contacts_unchanged": len(self.contacts_unchanged),
        }


i18n.register({  # the labels of ``ImportPlan.counts()`` (the report's Summary, the web's review)
    "plan_committed": {"en": "Committed", "pt-BR": "Gravado"},
    "plan_accounts_create": {"en": "Accounts to create", "pt-BR": "Contas a criar"},
    "plan_accounts_update": {"en": "Accounts to update", "pt-BR": "Contas a atualizar"},
    "plan_accounts_unchanged": {"en": "Accounts unchanged", "pt-BR": "Contas sem alteração"},
    "plan_portfolio_moves": {"en": "Portfolio transfers", "pt-BR": "Transferências de carteira"},
    "plan_contacts_create": {"en": "Contacts to create", "pt-BR": "Contatos a criar"},
    "plan_contacts_update": {"en": "Contacts to update", "pt-BR": "Contatos a atualizar"},
    "plan_contacts_unchanged": {"en": "Contacts unchanged", "pt-BR": "Contatos sem alteração"},
})
