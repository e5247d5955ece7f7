"""Compute the plan of an import from the validated records and what the database holds.

Only valid rows are planned. Which cells change a stored value:

* a filled cell always does;
* an empty optional cell clears the stored value only on a row that came from ``crmxl export``
  (it carries the hidden key): such a row is the whole record. On any other row an empty cell
  keeps what the database has, so a template filled with the mandatory columns only never wipes
  the rest of an existing account.
"""

from __future__ import annotations

from typing import Any

from crmxl.domain.enums import ContactType, without_portfolio_label
from crmxl.services.importing.model import (
    AccountCreate,
    AccountUpdate,
    ContactCreate,
    ContactUpdate,
    Fingerprint,
    ImportPlan,
    Move,
)
from crmxl.services.importing.reference import Lookup
from crmxl.validation import AmbiguousContact, resolve_contact
from crmxl.validation.cells import name_key
from crmxl.validation.findings import finalise
from crmxl.validation.model import ExistingContact, Record, ReferenceData, ValidationResult
from crmxl.validation.rows import Renderer

ACCOUNT_FIELDS = ("type", "name", "uf", "city", "address", "cep", "phone", "email")
CONTACT_FIELDS = ("type", "email", "phone", "birth_date")
# accounts template: contact columns -> contact table columns
ACCOUNT_CONTACT_FIELDS = {"contact_type": "type", "contact_email": "email"}
DOCTOR = ContactType.DOCTOR.value
_ACCOUNT_MAPPING = {f: f for f in ACCOUNT_FIELDS}
_CONTACT_MAPPING = {f: f for f in CONTACT_FIELDS}


def guard(result: ValidationResult, ref: ReferenceData, lang: str) -> None:
    """Rules the plan needs beyond ``check_against``: a contact's account must be in a portfolio the
    actor may use, and two rows may not update the same contact."""
    if result.table.template.id != "contacts":
        return
    render = Renderer(result.table, lang)
    flagged = {(f.row, f.code) for f in result.findings}
    added = []
    targets: dict[int, int] = {}
    for record in result.records:
        values = record.values
        account = ref.accounts.get(values.get("account_number"))
        if account is not None and (record.row, "account_in_foreign_portfolio") not in flagged:
            owner = account.owner_login
            allowed = ref.allowed_portfolios
            if allowed is not None and (owner not in allowed if owner is not None else not ref.may_use_without_portfolio):
                added.append(render.finding(record.row, "account_number", "account_in_foreign_portfolio", "error",
                                            {"number": account.number, "owner": owner or without_portfolio_label(lang)}))
        identifier, name = values.get("identifier"), values.get("name")
        if identifier is None or name is None:
            continue
        try:
            target = resolve_contact(ref, identifier, name, record.key_id)
        except AmbiguousContact:
            continue
        if target is None:
            continue
        first = targets.setdefault(target.id, record.row)
        if first != record.row and (record.row, "duplicate_contact") not in flagged:
            added.append(render.finding(record.row, "name", "duplicate_contact", "error",
                                        {"name": target.name, "identifier": target.identifier, "first": first}))
    if added:
        result.findings.extend(added)
        finalise(result)


class _Planner:
    def __init__(self, plan: ImportPlan, lookup: Lookup) -> None:
        self.plan = plan
        self.ref = lookup.ref
        self.present = set(plan.table.header_map.fields)
        self.accounts_fp: dict[int, int] = {}
        self.contacts_fp: dict[int, int] = {}
        self.new_numbers: set[str] = set()
        self.new_contacts: set[tuple[str, str]] = set()
        self.parents: set[int] = set()

    def desired(self, record: Record, mapping: dict[str, str]) -> dict[str, Any]:
        """column -> new value, for the cells that change something (see the module's note)."""
        values = record.values
        if record.key_id is None:  # the common case: the filled cells only
            return {column: values[field_name] for field_name, column in mapping.items() if field_name in values}
        wanted: dict[str, Any] = {}
        for field_name, column in mapping.items():
            if field_name in values:
                wanted[column] = values[field_name]
            elif field_name in self.present:
                wanted[column] = None
        return wanted

    def qualifications(self, record: Record) -> tuple[str, ...] | None:
        names = record.values.get("qualifications")
        if names:
            return tuple(sorted(names))
        if record.key_id is not None and "qualifications" in self.present:
            return ()
        return None

    # accounts template -----------------------------------------------------------------------
    def account_row(self, record: Record) -> None:
        plan, values = self.plan, record.values
        number = values["account_number"]
        owner = values.get("portfolio")
        existing = self.ref.accounts.get(number)
        if existing is None:
            full = {f: values.get(f) for f in ACCOUNT_FIELDS}
            plan.accounts_create.append(AccountCreate(record.row, number, owner, full))
            self.new_numbers.add(number)
            account_id = None
        else:
            account_id = existing.id
            current = existing.values  # type included
            if record.key_id is None:  # desired() inlined for the common case: the filled cells only
                changes = {f: (current[f], values[f]) for f in ACCOUNT_FIELDS if f in values and current[f] != values[f]}
            else:
                wanted = self.desired(record, _ACCOUNT_MAPPING)
                changes = {f: (current[f], new) for f, new in wanted.items() if current[f] != new}
            if "portfolio" in values and owner != existing.owner_login:
                changes["owner"] = (existing.owner_login, owner)
                plan.moves.append(Move(record.row, existing.id, number, existing.owner_login, owner))
            if changes:
                plan.accounts_update.append(AccountUpdate(record.row, existing.id, number, existing.version,
                                                          existing.owner_login, changes))
                self.accounts_fp[existing.id] = existing.version
            else:
                plan.accounts_unchanged.append(existing.id)
        name = values.get("contact_name")
        if name is not None:
            self.contact(record, number, name, account_id, record.contact_key_id, ACCOUNT_CONTACT_FIELDS)

    # contacts template -----------------------------------------------------------------------
    def contact_row(self, record: Record) -> None:
        values = record.values
        account = self.ref.accounts[values["account_number"]]
        self.contact(record, values["identifier"], values["name"], account.id, record.key_id,
                     _CONTACT_MAPPING)

    # both --------------------------------------------------------------------------------------
    def contact(self, record: Record, identifier: str, name: str, account_id: int | None, key_id: int | None,
                mapping: dict[str, str]) -> None:
        plan = self.plan
        wanted = self.desired(record, mapping)
        quals = self.qualifications(record)
        try:
            target = resolve_contact(self.ref, identifier, name, key_id) if account_id is not None else None
        except AmbiguousContact:  # reported by check_against: such a row is never valid
            return
        if target is None:
            full = {c: wanted.get(c) for c in CONTACT_FIELDS}
            plan.contacts_create.append(ContactCreate(record.row, identifier, account_id, name, full, quals or ()))
            self.new_contacts.add((identifier, name_key(name)))
            if account_id is not None:
                self.parents.add(account_id)
            return
        if quals is None and wanted.get("type") not in (None, DOCTOR) and target.values.get("qualifications"):
            quals = ()  # specialties are a doctor's: a contact who is no longer one loses them
        changes = self.contact_changes(target, wanted, quals)
        if target.name != name:  # renamed by its key, or found by a name spelled otherwise ('JOSE' for 'José')
            changes["name"] = (target.name, name)
        if changes:
            plan.contacts_update.append(ContactUpdate(record.row, target.id, target.identifier, name, target.version,
                                                      changes))
            self.contacts_fp[target.id] = target.version
        else:
            plan.contacts_unchanged.append(target.id)

    @staticmethod
    def contact_changes(target: ExistingContact, wanted: dict[str, Any], quals: tuple[str, ...] | None
                        ) -> dict[str, tuple[Any, Any]]:
        current = target.values
        changes = {c: (current.get(c), new) for c, new in wanted.items() if current.get(c) != new}
        if quals is not None:
            old = tuple(current.get("qualifications") or ())
            if old != quals:
                changes["qualifications"] = (old, quals)
        return changes

    def fingerprint(self) -> Fingerprint:
        return Fingerprint(dict(self.accounts_fp), dict(self.contacts_fp), frozenset(self.new_numbers),
                           frozenset(self.new_contacts), frozenset(self.parents))


def build_plan(plan: ImportPlan, lookup: Lookup) -> ImportPlan:
    """Fill ``plan``'s changes from its (checked) validation result; returns ``plan``."""
    guard(plan.result, lookup.ref, plan.lang)
    planner = _Planner(plan, lookup)
    row_plan = planner.account_row if plan.template_id == "accounts" else planner.contact_row
    for record in plan.result.records:
        if record.valid:
            row_plan(record)
    plan.fingerprint = planner.fingerprint()
    plan.user_ids = dict(lookup.user_ids)
    plan.qualification_ids = dict(lookup.qualification_ids)
    return plan
