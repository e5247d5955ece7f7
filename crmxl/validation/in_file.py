"""Rules across the rows of one file: the same account, or the same contact, twice."""

from __future__ import annotations

from crmxl.domain.text import normalize
from crmxl.validation.model import Finding, Record, Table
from crmxl.validation.rows import Renderer


def check_duplicates(table: Table, records: list[Record], findings: list[Finding], render: Renderer) -> None:
    """Every occurrence after the first is an error pointing at the first one's row."""
    if table.template.id == "accounts":
        first_account: dict[str, int] = {}
        first_contact: dict[tuple[str, str], int] = {}
        for record in records:
            number = record.values.get("account_number")
            if number is None:
                continue
            first = first_account.setdefault(number, record.row)
            if first != record.row:
                _flag(record, findings, render.finding(record.row, "account_number", "duplicate_account", "error",
                                                       {"number": number, "first": first}))
                continue
            name = record.values.get("contact_name")
            if name is not None:
                _contact(record, (number, normalize(name)), "contact_name", name, first_contact, findings, render)
    else:
        first_contact = {}
        for record in records:
            identifier, name = record.values.get("identifier"), record.values.get("name")
            if identifier is None or name is None:
                continue
            _contact(record, (identifier, normalize(name)), "name", name, first_contact, findings, render)


def _contact(record: Record, key: tuple[str, str], field_name: str, name: str, first_seen: dict, findings: list,
             render: Renderer) -> None:
    first = first_seen.setdefault(key, record.row)
    if first != record.row:
        _flag(record, findings, render.finding(record.row, field_name, "duplicate_contact", "error",
                                               {"name": name, "identifier": key[0], "first": first}))


def _flag(record: Record, findings: list[Finding], finding: Finding) -> None:
    findings.append(finding)
    record.valid = False
