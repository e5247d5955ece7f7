"""Cell and row rules of a table, run column by column (one compiled parser per column, then the row rules).

Working a column at a time keeps the per-cell cost to a list walk and a cache lookup; the row
rules (mandatory, conditional, account number against type, identifier, qualifications only
for doctors, export keys) then walk the parsed columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crmxl.domain.account_number import well_formed_account_number
from crmxl.domain.enums import ContactType
from crmxl.i18n import message
from crmxl.schema import Column, Kind, Template, column_letter
from crmxl.validation import account_numbers
from crmxl.validation.cells import (
    ABSENT,
    CACHEABLE,
    INVALID,
    Issue,
    as_text,
    canonical_match,
    compile_parser,
    is_number,
    run_column,
    run_text_column,
    too_long,
)
from crmxl.validation.model import Finding, Record, Table

DOCTOR = ContactType.DOCTOR.value
# The accounts template's contact columns (F-I): they describe a contact only when Contact Name is filled.
CONTACT_COLUMNS = ("contact_type", "qualifications", "contact_email")
_MISSING = (ABSENT, INVALID)
NUMBER_INPUTS = ("type", "uf")  # what the account numbers are parsed against
NUMBER_FIELDS = ("account_number", "identifier")


def header_text(col: Column, lang: str) -> str:
    return col.header_pt if lang == "pt-BR" else col.header_en


class Renderer:
    """Builds findings in one language; cell findings carry the column's header as a parameter."""

    def __init__(self, table: Table, lang: str) -> None:
        self.lang = lang
        self.letters = {f: column_letter(i) for f, i in table.header_map.fields.items()}
        self.headers = {c.field: header_text(c, lang) for c in table.template.columns}

    def finding(self, row: int, field_name: str | None, code: str, severity: str, params: dict[str, Any],
                letter: str | None = None) -> Finding:
        params = {"suggestion_text": "", **params}
        if field_name is not None:
            params = {"header": self.headers.get(field_name, field_name), **params}
            letter = letter or self.letters.get(field_name)
        text = message(code, self.lang, **params)
        suggestion = params.get("suggestion")
        if suggestion:
            text += ("" if text.endswith((".", "?", "!")) else ".") + " " + message(
                "did_you_mean", self.lang, suggestion=suggestion)
        return Finding(row, letter, field_name, code, severity, text)  # type: ignore[arg-type]


def _columns(rows: list[tuple[int, list[Any]]], indices: set[int]) -> dict[int, list[Any]]:
    """The cells of columns ``indices``, each column a list (one transposition of the rows)."""
    if not indices:
        return {}
    width = max(indices) + 1
    pad = [""] * width  # rows are this wide (reader._data_rows); zip would cut the columns to a shorter one
    cells = list(zip(*(row if len(row) >= width else row + pad for _, row in rows))) if rows else [()] * width
    return {index: list(cells[index]) for index in indices}


class TableRules:
    def __init__(self, table: Table, lang: str) -> None:
        self.table = table
        self.tpl: Template = table.template
        self.fields = dict(table.header_map.fields)
        self.render = Renderer(table, lang)
        self.numbers = [n for n, _ in table.rows]
        self.findings: list[Finding] = []
        self.columns: dict[str, list[Any]] = {}
        self.cells = _columns(table.rows, set(self.fields.values()))  # column index -> its cells

    def emit(self, position: int, field_name: str | None, issues: tuple[Issue, ...]) -> None:
        row = self.numbers[position]
        for code, severity, params in issues:
            self.findings.append(self.render.finding(row, field_name, code, severity, params))

    def run(self, on_numbers: Callable[[list[str]], None] | None = None) -> tuple[list[Record], list[Finding]]:
        """Every rule; ``on_numbers`` gets the file's well-formed account numbers as soon as they are
        known (the type and UF columns, then the numbers, come first), before the other columns."""
        first = [col for col in self.tpl.columns if col.field in NUMBER_INPUTS]
        for col in first:
            self._run_column(col)
        self._numbers()
        numbers = self.columns.get("account_number")
        if on_numbers is not None and numbers is not None:
            on_numbers([n for n in numbers if n is not ABSENT and n is not INVALID])
        for col in self.tpl.columns:
            if col.field not in NUMBER_INPUTS:
                self._run_column(col)
        order = [*(c.field for c in self.tpl.columns if c.field not in NUMBER_FIELDS), *NUMBER_FIELDS]
        self.columns = {f: self.columns[f] for f in order if f in self.columns}  # the records' order
        self._row_rules()
        records = self._records()
        if self.table.header_map.hidden:
            self._keys(records)
        return records, self.findings

    def _run_column(self, col: Column) -> None:
        index = self.fields.get(col.field)
        if index is None or col.kind in (Kind.ACCOUNT_NUMBER, Kind.IDENTIFIER):
            return
        cells = self.cells[index]
        if col.kind is Kind.TEXT:
            values, issues = run_text_column(cells, col.max_length)
        else:
            values, issues = run_column(cells, compile_parser(col), col.kind in CACHEABLE, canonical_match(col))
            if col.kind is Kind.EMAIL:  # a well-formed address may still not fit the column
                too_long(values, issues, col.max_length)
        for position, found in issues.items():
            self.emit(position, col.field, found)
        self.columns[col.field] = values

    def _numbers(self) -> None:
        n = len(self.numbers)
        types = self.columns.get("type") if self.tpl.column("type").kind is Kind.ACCOUNT_TYPE else None
        types = types or [None] * n
        ufs = self.columns.get("uf") or [None] * n
        for field_name in NUMBER_FIELDS:
            index = self.fields.get(field_name)
            if index is None:
                continue
            values: list[Any] = []
            for position, value in enumerate(self.cells[index]):
                if value is None or value == "" or (value.__class__ is str and value.isspace()):
                    values.append(ABSENT)
                    continue
                account_type, uf = types[position], ufs[position]
                if value.__class__ is str and account_type not in _MISSING and account_type is not None:
                    quick = well_formed_account_number(value, account_type)
                    if quick is not None:
                        values.append(quick)
                        continue
                parsed, issues = account_numbers.parse_number(
                    value, None if account_type in _MISSING else account_type, None if uf in _MISSING else uf)
                if issues:
                    self.emit(position, field_name, issues)
                values.append(parsed)
            self.columns[field_name] = values
        if "identifier" in self.columns and "account_number" in self.columns:
            for position, (identifier, number) in enumerate(zip(self.columns["identifier"],
                                                                self.columns["account_number"], strict=True)):
                if identifier != number and identifier not in _MISSING and number not in _MISSING:
                    self.emit(position, "identifier",
                              (("identifier_mismatch", "error", {"identifier": identifier, "number": number}),))

    def _row_rules(self) -> None:
        cols = self.columns
        for col in self.tpl.columns:
            values = cols.get(col.field)
            if values is None:
                self._column_required_with(col)
                continue
            if col.mandatory:
                for position, value in enumerate(values):
                    if value is ABSENT:
                        self.emit(position, col.field, (("required", "error", {}),))
            other = cols.get(col.required_with) if col.required_with else None
            if other is not None:
                other_header = self.render.headers[col.required_with]
                for position, (value, driver) in enumerate(zip(values, other, strict=True)):
                    if value is ABSENT and driver is not ABSENT:
                        self.emit(position, col.field, (("required_with", "error", {"other": other_header}),))
        if self.tpl.id == "accounts" and "contact_name" in cols:
            names = cols["contact_name"]
            name_header = self.render.headers["contact_name"]
            for field_name in CONTACT_COLUMNS:
                values = cols.get(field_name)
                for position in range(len(values or ())):
                    if names[position] is ABSENT and values[position] is not ABSENT:
                        self.emit(position, field_name, (("contact_data_without_name", "warning",
                                                          {"name_header": name_header}),))
                        values[position] = ABSENT
        quals = cols.get("qualifications")
        kinds = cols.get("contact_type" if self.tpl.id == "accounts" else "type")
        if quals is not None and kinds is not None:
            for position, (names, kind) in enumerate(zip(quals, kinds, strict=True)):
                if names not in _MISSING and kind not in _MISSING and kind != DOCTOR:
                    self.emit(position, "qualifications", (("qualifications_not_doctor", "warning", {"type": kind}),))
                    quals[position] = ABSENT

    def _column_required_with(self, col: Column) -> None:
        """``col`` is missing from the sheet: each row filling the field that makes it mandatory is an error,
        on that field's cell (a contact without a type cannot be created)."""
        driver = self.columns.get(col.required_with) if col.required_with else None
        if driver is None:
            return
        params = {"header": self.render.headers[col.field], "other": self.render.headers[col.required_with]}
        for position, value in enumerate(driver):
            if value is not ABSENT and value is not INVALID:
                self.emit(position, col.required_with, (("required_column_with", "error", params),))

    def _records(self) -> list[Record]:
        """A record per row: the fields whose value is neither ABSENT nor INVALID (an empty column is left
        out at once; ``list.count`` compares by identity first, in C)."""
        n = len(self.numbers)
        columns = [(f, values) for f, values in self.columns.items()
                   if not (n and values[0] is ABSENT and values.count(ABSENT) == n)]
        if not columns:
            return [Record(row, {}) for row in self.numbers]
        names = [f for f, _ in columns]
        return [Record(row, {k: v for k, v in zip(names, values) if v is not ABSENT and v is not INVALID})
                for row, values in zip(self.numbers, zip(*(values for _, values in columns)), strict=True)]

    def _keys(self, records: list[Record]) -> None:
        """The export's hidden keys and versions: the row's, and (accounts) its contact columns' contact's."""
        hidden = self.table.header_map.hidden
        for key_field, version_field, contact in (("_id", "_version", False),
                                                  ("_contact_id", "_contact_version", True)):
            key_index, version_index = hidden.get(key_field), hidden.get(version_field)
            if key_index is None:
                continue
            for position, (record, (_, raw)) in enumerate(zip(records, self.table.rows, strict=True)):
                key = raw[key_index] if key_index < len(raw) else ""
                version = raw[version_index] if version_index is not None and version_index < len(raw) else ""
                if _blank(key) and _blank(version):
                    continue
                try:
                    found = _integer(key), None if _blank(version) else _integer(version)
                except ValueError:
                    found = None, None
                    bad = version_index if _is_integer(key) else key_index  # the hidden cell at fault, named
                    self.findings.append(self.render.finding(
                        self.numbers[position], None, "export_key_invalid", "error",
                        {"value": f"{as_text(key)} / {as_text(version)}"}, letter=column_letter(bad)))
                if contact:
                    record.contact_key_id, record.contact_key_version = found
                else:
                    record.key_id, record.key_version = found


def _is_integer(value: Any) -> bool:
    try:
        _integer(value)
    except ValueError:
        return False
    return True


def _integer(value: Any) -> int:
    if is_number(value) and float(value).is_integer():
        return int(value)
    text = as_text(value)
    if text.isdigit():
        return int(text)
    raise ValueError(text)


def _blank(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())
