"""Rules that need the database, run on plain ``ReferenceData`` (no per-row queries).

Portfolio logins and the acting user's rights, transfers, account types that would change,
accounts that must exist, contact resolution, qualifications against the registry, and the
round-trip check of exported rows (the hidden ``crmxl:id`` / ``crmxl:version`` columns).
"""

from __future__ import annotations

from typing import Any

from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import WITHOUT_PORTFOLIO, WITHOUT_PORTFOLIO_PT
from crmxl.domain.text import suggest
from crmxl.i18n import message
from crmxl.validation.cells import name_key
from crmxl.validation.findings import finalise
from crmxl.validation.model import ExistingAccount, ExistingContact, Record, ReferenceData, ValidationResult
from crmxl.validation.rows import Renderer
from crmxl.validation.speed import paused_gc

_NUMBERS = frozenset({"number", "identifier", "found"})  # finding parameters that hold an account number


class AmbiguousContact(LookupError):
    """Several contacts of one identifier carry the same (normalised) name."""

    def __init__(self, identifier: str, name: str, candidates: list[ExistingContact]) -> None:
        super().__init__(f"{len(candidates)} contacts of {identifier} are named {name!r}")
        self.identifier, self.name, self.candidates = identifier, name, candidates


def resolve_contact(ref: ReferenceData, identifier: str, name: str, key_id: int | None = None
                    ) -> ExistingContact | None:
    """The contact a row updates, or ``None`` to create one; ``AmbiguousContact`` if the name picks several.

    With the export's hidden key the keyed contact wins; otherwise the contact of ``identifier``
    whose normalised name equals ``name``'s.
    """
    candidates = ref.contacts.get(identifier, ())
    if key_id is not None:
        for contact in candidates:
            if contact.id == key_id:
                return contact
        for contacts in ref.contacts.values():
            for contact in contacts:
                if contact.id == key_id:
                    return contact
    if not candidates:
        return None
    target = name_key(name)
    matches = [c for c in candidates if name_key(c.name) == target]
    if len(matches) > 1:
        raise AmbiguousContact(identifier, name, matches)
    return matches[0] if matches else None


class _Checker:
    def __init__(self, result: ValidationResult, ref: ReferenceData, lang: str, allow_transfers: bool) -> None:
        self.result, self.ref, self.lang, self.allow_transfers = result, ref, lang, allow_transfers
        self.render = Renderer(result.table, lang)
        self.logins = {login.lower(): login for login in ref.agent_logins}
        self.account_ids = {a.id: a for a in ref.accounts.values()}
        self.contact_ids = {c.id: c for cs in ref.contacts.values() for c in cs}
        self.qualification_cache: dict[tuple[str, ...], tuple[list[str], list[tuple[str, str | None]]]] = {}
        self.without = WITHOUT_PORTFOLIO_PT if lang == "pt-BR" else WITHOUT_PORTFOLIO
        self.findings = result.findings
        self.raw_rows: dict[int, list[Any]] | None = None
        self._renamed: set[int] | None = None

    def add(self, record: Record, field_name: str | None, code: str, params: dict[str, Any],
            severity: str = "error") -> None:
        for key in _NUMBERS.intersection(params):  # numbers as the user writes them, not the stored compact form
            if isinstance(params[key], str):
                params[key] = display_account_number(params[key])
        self.findings.append(self.render.finding(record.row, field_name, code, severity, params))

    # accounts template -------------------------------------------------------------------------------
    def account_row(self, record: Record) -> None:
        values = record.values
        number = values.get("account_number")
        existing = self.ref.accounts.get(number) if number is not None else None
        portfolio_ok = self.portfolio(record, existing)
        if existing is not None:
            if "type" in values and values["type"] != existing.type:
                self.add(record, "type", "account_type_changed",
                         {"number": number, "existing": existing.type, "type": values["type"]})
            if portfolio_ok and values["portfolio"] != existing.owner_login:
                self.transfer(record, existing)
        if record.key_id is not None:
            self.account_key(record, existing)
        name = values.get("contact_name")
        if number is not None and name is not None:
            key_ok = self.account_contact_key(record, number)
            self.contact(record, number, name, "contact_name", record.contact_key_id if key_ok else None)
        self.qualifications(record)

    def account_contact_key(self, record: Record, number: str) -> bool:
        """An accounts export's contact columns: the contact they showed is still this account's, and
        unchanged since the export. False when the key names no contact of this account."""
        if record.contact_key_id is None:
            return True
        entity = message("entity_contact", self.lang)
        keyed = self.contact_ids.get(record.contact_key_id)
        if keyed is None:
            self.add(record, "contact_name", "export_row_missing", {"entity": entity})
            return False
        if keyed.identifier != number:  # e.g. only some columns sorted: the hidden keys left behind
            self.add(record, "contact_name", "export_key_mismatch", {
                "entity": entity, "found": number,
                "expected": f"{keyed.name} ({display_account_number(keyed.identifier)})"})
            return False
        if record.contact_key_version is not None and record.contact_key_version != keyed.version:
            self.add(record, "contact_name", "version_conflict",
                     {"entity": entity, "file_version": record.contact_key_version, "db_version": keyed.version})
        return True

    def portfolio(self, record: Record, existing: ExistingAccount | None = None) -> bool:
        """Resolve the Portfolio cell to a login (or None); True when it is usable."""
        values = record.values
        if "portfolio" not in values:
            return False
        typed = values["portfolio"]
        if typed is None:
            if not self.ref.may_use_without_portfolio:
                if existing is not None and existing.owner_login is None:  # already inactive: not theirs to edit
                    self.add(record, "portfolio", "account_in_foreign_portfolio",
                             {"number": existing.number, "owner": self.without})
                else:
                    self.add(record, "portfolio", "without_portfolio_not_allowed", {"without": self.without})
                return False
            return True
        login = self.logins.get(typed.lower())
        if login is None:
            self.add(record, "portfolio", "portfolio_unknown",
                     {"value": typed, "without": self.without, "suggestion": suggest(typed, list(self.ref.agent_logins))})
            return False
        values["portfolio"] = login
        allowed = self.ref.allowed_portfolios
        if allowed is not None and login not in allowed:
            self.add(record, "portfolio", "portfolio_not_allowed", {"login": login})
            return False
        return True

    def transfer(self, record: Record, existing: ExistingAccount) -> None:
        old, new = existing.owner_login, record.values["portfolio"]
        allowed = self.ref.allowed_portfolios
        if allowed is not None and (old not in allowed if old is not None else not self.ref.may_use_without_portfolio):
            self.add(record, "portfolio", "account_in_foreign_portfolio",
                     {"number": existing.number, "owner": old or self.without})
        elif not self.allow_transfers:
            self.add(record, "portfolio", "portfolio_transfer",
                     {"number": existing.number, "old": old or self.without, "new": new or self.without})

    def account_key(self, record: Record, existing: ExistingAccount | None) -> None:
        entity = message("entity_account", self.lang)
        keyed = self.account_ids.get(record.key_id)
        if existing is not None and existing.id == record.key_id:
            self.version(record, entity, existing.version, "account_number")
        elif keyed is not None or existing is not None:
            expected = display_account_number(keyed.number) if keyed is not None else f"#{record.key_id}"
            self.add(record, "account_number", "export_key_mismatch",
                     {"entity": entity, "expected": expected, "found": self.typed(record, "account_number")})
        else:
            self.add(record, "account_number", "export_row_missing", {"entity": entity})

    def typed(self, record: Record, field_name: str) -> str:
        """The cell's value: the canonical one when it is valid, else the cell as the user wrote it."""
        if field_name in record.values:
            return record.values[field_name]
        index = self.result.table.header_map.fields.get(field_name)
        if self.raw_rows is None:  # only for a refused cell, which is rare: no lookup built on a clean file
            self.raw_rows = dict(self.result.table.rows)
        cells = self.raw_rows.get(record.row) or []
        value = cells[index] if index is not None and index < len(cells) else None
        return "" if value is None else str(value).strip()

    def version(self, record: Record, entity: str, db_version: int, key_field: str) -> None:
        """The row's version in the file is the stored one; else a conflict, on the cell of the row's key."""
        if record.key_version is not None and record.key_version != db_version:
            self.add(record, key_field, "version_conflict",
                     {"entity": entity, "file_version": record.key_version, "db_version": db_version})

    # contacts template -------------------------------------------------------------------------------
    def contact_row(self, record: Record) -> None:
        values = record.values
        number = values.get("account_number")
        if number is not None and number not in self.ref.accounts:
            self.add(record, "account_number", "account_not_found", {"number": number})
        identifier, name = values.get("identifier"), values.get("name")
        if record.key_id is not None:
            self.contact_key(record, identifier)
        if identifier is not None and name is not None:
            self.contact(record, identifier, name, "name", record.key_id)
        self.qualifications(record)

    def contact_key(self, record: Record, identifier: str | None) -> None:
        entity = message("entity_contact", self.lang)
        keyed = self.contact_ids.get(record.key_id)
        if keyed is None:
            self.add(record, "identifier", "export_row_missing", {"entity": entity})
        elif identifier is not None and keyed.identifier != identifier:
            self.add(record, "identifier", "export_key_mismatch",
                     {"entity": entity, "expected": f"{display_account_number(keyed.identifier)} ({keyed.name})",
                      "found": identifier})
        else:
            self.version(record, entity, keyed.version, "identifier")

    def contact(self, record: Record, identifier: str, name: str, field_name: str, key_id: int | None) -> None:
        if key_id is not None and key_id in self.contact_ids:
            existing: ExistingContact | None = self.contact_ids[key_id]
            self.rename(record, existing, identifier, name, field_name)
        else:
            try:
                existing = resolve_contact(self.ref, identifier, name, None)
            except AmbiguousContact as exc:
                self.add(record, field_name, "contact_ambiguous",
                         {"count": len(exc.candidates), "identifier": identifier, "name": name})
                return
        if existing is not None:
            self.specialties_dropped(record, existing, "contact_type" if field_name == "contact_name" else "type")

    def specialties_dropped(self, record: Record, existing: ExistingContact, type_field: str) -> None:
        """A doctor who becomes another type of contact loses their specialties: say so on the type's cell."""
        new_type = record.values.get(type_field)
        specialties = existing.values.get("qualifications")
        if new_type and new_type != "DOCTOR" and existing.values.get("type") == "DOCTOR" and specialties:
            self.add(record, type_field, "specialties_dropped",
                     {"name": existing.name, "type": new_type, "qualifications": "; ".join(specialties)}, "warning")

    def rename(self, record: Record, keyed: ExistingContact, identifier: str, name: str, field_name: str) -> None:
        """An exported contact renamed to the name of another contact of its account (one the file does not
        rename as well) would make two contacts of the same name."""
        wanted = name_key(name)
        if name_key(keyed.name) == wanted:
            return
        for other in self.ref.contacts.get(identifier, ()):
            if other.id != keyed.id and name_key(other.name) == wanted and other.id not in self.renamed_away():
                self.add(record, field_name, "contact_name_taken", {"identifier": identifier, "name": other.name})
                return

    def renamed_away(self) -> set[int]:
        """The ids of the stored contacts the file renames (rows carrying their key under another name)."""
        if self._renamed is None:
            accounts = self.result.table.template.id == "accounts"
            field_name = "contact_name" if accounts else "name"
            renamed = set()
            for r in self.result.records:
                key = r.contact_key_id if accounts else r.key_id
                if key in self.contact_ids and field_name in r.values and \
                        name_key(r.values[field_name]) != name_key(self.contact_ids[key].name):
                    renamed.add(key)
            self._renamed = renamed
        return self._renamed

    # both ----------------------------------------------------------------------------------------------
    def qualifications(self, record: Record) -> None:
        names = record.values.get("qualifications")
        if not names:
            return
        key = tuple(names)
        hit = self.qualification_cache.get(key)
        if hit is None:
            canonical: list[str] = []
            unknown: list[tuple[str, str | None]] = []
            registry = self.ref.registry
            for name in names:
                match = registry.match(name)
                if match is None:
                    unknown.append((name, registry.suggest(name)))
                elif match not in canonical:
                    canonical.append(match)
            hit = self.qualification_cache[key] = (canonical, unknown)
        canonical, unknown = hit
        for name, suggestion in unknown:
            self.add(record, "qualifications", "qualification_unknown", {"value": name, "suggestion": suggestion})
        record.values["qualifications"] = list(canonical)


def check_against(result: ValidationResult, ref: ReferenceData, *, lang: str = "en",
                  allow_transfers: bool = False) -> ValidationResult:
    """Add the database findings to ``result`` (in place) and return it.

    Portfolio cells are resolved to logins, qualification names to the registry's names; a record
    with any error afterwards has ``valid=False``.
    """
    checker = _Checker(result, ref, lang, allow_transfers)
    row_rule = checker.account_row if result.table.template.id == "accounts" else checker.contact_row
    with paused_gc():
        for record in result.records:
            row_rule(record)
        finalise(result)
    return result
