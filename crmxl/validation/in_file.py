"""Rules across the rows of one file: the same account, or the same contact, twice."""

from __future__ import annotations

from crmxl.validation.cells import name_key
from crmxl.validation.model import Finding, Record, Table
from crmxl.validation.rows import Renderer


def check_duplicates(table: Table, records: list[Record], findings: list[Finding], render: Renderer) -> None:
    """Every occurrence after the first is an error pointing at the first one's row.

    Accounts template: the same account number twice. A contact of the accounts template's
    contact columns is keyed by its row's account number, so two rows naming the same contact
    are already two rows of the same account. Contacts template: the same identifier and
    normalised name twice.
    """
    if table.template.id == "accounts":
        first_account: dict[str, int] = {}
        for record in records:
            number = record.values.get("account_number")
            if number is None:
                continue
            first = first_account.setdefault(number, record.row)
            if first != record.row:
                _flag(record, findings, render.finding(record.row, "account_number", "duplicate_account", "error",
                                                       {"number": number, "first": first}))
        return
    first_contact: dict[tuple[str, str], int] = {}
    for record in records:
        values = record.values
        identifier, name = values.get("identifier"), values.get("name")
        if identifier is None or name is None:
            continue
        first = first_contact.setdefault((identifier, name_key(name)), record.row)
        if first != record.row:
            _flag(record, findings, render.finding(record.row, "name", "duplicate_contact", "error",
                                                   {"name": name, "identifier": identifier, "first": first}))


def _flag(record: Record, findings: list[Finding], finding: Finding) -> None:
    findings.append(finding)
    record.valid = False
