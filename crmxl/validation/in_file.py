"""Rules across the rows of one file: the same account, or the same contact, twice."""

from __future__ import annotations

from crmxl.validation.cells import name_key
from crmxl.validation.model import Finding, Record, Table
from crmxl.validation.rows import Renderer


def check_duplicates(table: Table, records: list[Record], findings: list[Finding], render: Renderer) -> None:
    """Every occurrence after the first is an error pointing at the first one's row; when they do not
    hold the same values, the first is an error too (taking it would be a guess).

    Accounts template: the same account number twice. A contact of the accounts template's
    contact columns is keyed by its row's account number, so two rows naming the same contact
    are already two rows of the same account. Contacts template: the same identifier and
    normalised name twice.
    """
    accounts = table.template.id == "accounts"
    first_of: dict[object, Record] = {}
    differing: set[int] = set()
    for record in records:
        values = record.values
        if accounts:
            key, field = values.get("account_number"), "account_number"
        else:
            identifier, name = values.get("identifier"), values.get("name")
            key, field = ((identifier, name_key(name)) if identifier is not None and name is not None else None), "name"
        if key is None:
            continue
        first = first_of.setdefault(key, record)
        if first is record:
            continue
        params = ({"number": key, "first": first.row} if accounts
                  else {"name": values["name"], "identifier": values["identifier"], "first": first.row})
        _flag(record, findings, render.finding(record.row, field, "duplicate_account" if accounts
                                               else "duplicate_contact", "error", params))
        if values != first.values and first.row not in differing:
            differing.add(first.row)
            _flag(first, findings, render.finding(first.row, field, "duplicate_differs", "error",
                                                  {"other": record.row}))


def _flag(record: Record, findings: list[Finding], finding: Finding) -> None:
    findings.append(finding)
    record.valid = False
