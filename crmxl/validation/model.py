"""The data that flows from reading to validation to planning.

reader (workbook/) -> ``Table``; validation -> ``ValidationResult`` (``Record`` per
non-blank row + ``Finding`` list); services/imports -> plan and commit.
``ReferenceData`` is what the database-dependent rules need, loaded by the
service in a few set-based queries and handed in as plain data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from crmxl.domain.specialties import SpecialtyRegistry
from crmxl.schema import HeaderMap, Template

Severity = Literal["error", "warning", "notice"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or worth saying) about a cell, a row or the file.

    ``row`` is the worksheet row number (header = 1; 0 for the file as a whole);
    ``column`` the letter of the cell in the file as uploaded (None for a whole row/file).
    """

    row: int
    column: str | None
    field: str | None
    code: str
    severity: Severity
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field, "code": self.code,
                "severity": self.severity, "message": self.message}


@dataclass
class CellMarks:
    """What the values of a sheet do not show, found by the reader in the sheet itself. Cells by
    (worksheet row, 0-based column)."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # -> the error value, e.g. "#N/A"
    formulas: set[tuple[int, int]] = field(default_factory=set)
    uncomputed: set[tuple[int, int]] = field(default_factory=set)  # formulas saved without a result
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)  # 0-based (top, left), (bottom, right)


@dataclass
class Table:
    """A data sheet as read: raw cell values exactly as the spreadsheet typed them."""

    file: str
    sheet: str
    template: Template
    template_version: str | None
    lang: str  # language of the headers found (en / pt-BR)
    header_map: HeaderMap
    rows: list[tuple[int, list[Any]]]  # (worksheet row number, raw values by column index), blank rows skipped
    header_row: int = 1
    marks: CellMarks = field(default_factory=CellMarks)
    sha256: str | None = None
    shown_name: str | None = None  # the name the user knows the file by, when ``file`` is a copy (an upload)

    @property
    def name(self) -> str:
        """The file's name as the user knows it (what every message says)."""
        return self.shown_name or Path(self.file).name

    @property
    def unread_cells(self) -> set[tuple[int, int]]:
        """Cells (worksheet row, 0-based column) whose value could not be read: an error value, or a
        formula saved without its result."""
        return set(self.marks.errors) | self.marks.uncomputed

    @property
    def findings(self) -> list[Finding]:
        """The findings about the sheet itself (stamp, columns, marked cells), in the headers' language."""
        from crmxl.validation.sheet import sheet_findings

        return sheet_findings(self, self.lang)

    def letter(self, field_name: str) -> str | None:
        from crmxl.schema import column_letter

        index = self.header_map.fields.get(field_name)
        return None if index is None else column_letter(index)


@dataclass(slots=True)
class Record:
    """One non-blank row after validation: canonical values of the fields it has."""

    row: int
    values: dict[str, Any]  # e.g. account_number "123456/SP", type "MEDICAL", portfolio login or None,
    #                         qualifications ["Cardiologia"], birth_date date; empty optional cells absent
    valid: bool = True
    key_id: int | None = None  # from an export's hidden key column
    key_version: int | None = None  # from an export's hidden version column
    contact_key_id: int | None = None  # an accounts export: the key of the contact its contact columns show
    contact_key_version: int | None = None


# Made by the hundred thousand on a large import: plain slotted classes (a frozen dataclass's
# __init__ costs four times as much). Nothing changes them after they are made.
@dataclass(slots=True)
class ExistingAccount:
    id: int
    number: str
    type: str
    owner_login: str | None
    version: int
    values: dict[str, Any]  # type, name, uf, city, address, cep, phone, email


@dataclass(slots=True)
class ExistingContact:
    id: int
    account_id: int
    identifier: str
    name: str
    version: int
    values: dict[str, Any]  # type, email, phone, birth_date, qualifications (sorted names)


@dataclass
class ReferenceData:
    """What the database says, for the rules and the plan (only the keys the file names)."""

    agent_logins: dict[str, str]  # login -> role, for every active user who may own a portfolio
    allowed_portfolios: frozenset[str] | None  # logins the acting user may place accounts in; None = all
    may_use_without_portfolio: bool
    registry: SpecialtyRegistry
    accounts: dict[str, ExistingAccount] = field(default_factory=dict)  # canonical number -> account
    contacts: dict[str, list[ExistingContact]] = field(default_factory=dict)  # identifier -> contacts


@dataclass
class ValidationResult:
    table: Table
    records: list[Record]
    findings: list[Finding]

    @property
    def rows(self) -> int:
        return len(self.records)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def error_rows(self) -> set[int]:
        return {f.row for f in self.findings if f.severity == "error"}

    @property
    def valid_records(self) -> list[Record]:
        bad = self.error_rows
        return [r for r in self.records if r.row not in bad]

    def counts_by_code(self) -> Counter[str]:
        return Counter(f.code for f in self.findings)


def to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value
