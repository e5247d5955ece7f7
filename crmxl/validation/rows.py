"""Cell and row rules of one data row, compiled once per table."""

from __future__ import annotations

from typing import Any

from crmxl.domain.enums import ContactType
from crmxl.i18n import message
from crmxl.schema import Column, Kind, Template, column_letter
from crmxl.validation import account_numbers
from crmxl.validation.cells import ABSENT, INVALID, Issue, Parser, as_text, compile_parser, is_number
from crmxl.validation.model import Finding, Record, Table

DOCTOR = ContactType.DOCTOR.value
# The accounts template's contact columns (F-I): they describe a contact only when Contact Name is filled.
CONTACT_COLUMNS = ("contact_type", "qualifications", "contact_email")


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
        if field_name is not None:
            params = {"header": self.headers.get(field_name, field_name), **params}
            letter = letter or self.letters.get(field_name)
        text = message(code, self.lang, **params)
        suggestion = params.get("suggestion")
        if suggestion:
            text += ("" if text.endswith((".", "?", "!")) else ".") + " " + message(
                "did_you_mean", self.lang, suggestion=suggestion)
        return Finding(row, letter, field_name, code, severity, text)  # type: ignore[arg-type]


class RowRules:
    def __init__(self, table: Table, lang: str) -> None:
        tpl: Template = table.template
        fields = table.header_map.fields
        self.tpl = tpl
        self.fields = dict(fields)
        self.render = Renderer(table, lang)
        self.simple: list[tuple[str, int, Parser]] = []
        for col in tpl.columns:
            parser = compile_parser(col)
            if parser is not None and col.field in fields:
                self.simple.append((col.field, fields[col.field], parser))
        self.number_index = fields.get("account_number")
        self.identifier_index = fields.get("identifier") if "identifier" in fields else None
        self.has_type_column = any(c.kind is Kind.ACCOUNT_TYPE for c in tpl.columns)
        self.mandatory = [c.field for c in tpl.columns if c.mandatory and c.field in fields]
        self.required_with = [(c.field, c.required_with) for c in tpl.columns if c.required_with]
        self.contact_type_field = "contact_type" if tpl.id == "accounts" else "type"
        self.contact_columns = [f for f in CONTACT_COLUMNS if f in fields] if tpl.id == "accounts" else []
        hidden = table.header_map.hidden
        self.key_index, self.version_index = hidden.get("_id"), hidden.get("_version")

    def record(self, number: int, raw: list[Any], findings: list[Finding]) -> Record:
        values: dict[str, Any] = {}
        before = len(findings)
        emit = findings.append
        render = self.render.finding
        for field_name, index, parse in self.simple:
            value = raw[index]
            if value == "" or value is None or (value.__class__ is str and value.isspace()):
                continue
            parsed, issues = parse(value)
            if issues:
                for code, severity, params in issues:
                    emit(render(number, field_name, code, severity, params))
            if parsed is not INVALID and parsed is not ABSENT:
                values[field_name] = parsed
        self._numbers(number, raw, values, findings)
        self._row_rules(number, raw, values, findings)
        record = Record(number, values)
        if self.key_index is not None:
            self._keys(record, raw, findings)
        if len(findings) > before and any(f.severity == "error" for f in findings[before:]):
            record.valid = False
        return record

    def _numbers(self, number: int, raw: list[Any], values: dict[str, Any], findings: list[Finding]) -> None:
        account_type = values.get("type") if self.has_type_column else None
        uf = values.get("uf")
        for field_name, index in (("account_number", self.number_index), ("identifier", self.identifier_index)):
            if index is None:
                continue
            value = raw[index]
            if value is None or (value.__class__ is str and not value.strip()):
                continue
            parsed, issues = account_numbers.parse_number(value, account_type, uf)
            for code, severity, params in issues:
                findings.append(self.render.finding(number, field_name, code, severity, params))
            if parsed is not INVALID:
                values[field_name] = parsed
        if ("identifier" in values and "account_number" in values
                and values["identifier"] != values["account_number"]):
            findings.append(self.render.finding(number, "identifier", "identifier_mismatch", "error",
                                                {"identifier": values["identifier"],
                                                 "number": values["account_number"]}))

    def _row_rules(self, number: int, raw: list[Any], values: dict[str, Any], findings: list[Finding]) -> None:
        render = self.render.finding
        for field_name in self.mandatory:
            if field_name not in values and _empty(raw, self._index(field_name)):
                findings.append(render(number, field_name, "required", "error", {}))
        for field_name, other in self.required_with:
            if other in values and field_name not in values and _empty(raw, self._index(field_name)):
                findings.append(render(number, field_name, "required_with", "error",
                                       {"other": self.render.headers[other]}))
        if self.contact_columns and "contact_name" not in values:
            for field_name in self.contact_columns:
                if not _empty(raw, self._index(field_name)):
                    findings.append(render(number, field_name, "contact_data_without_name", "warning",
                                           {"name_header": self.render.headers["contact_name"]}))
                    values.pop(field_name, None)
        contact_type = values.get(self.contact_type_field)
        if "qualifications" in values and contact_type is not None and contact_type != DOCTOR:
            findings.append(render(number, "qualifications", "qualifications_not_doctor", "warning",
                                   {"type": contact_type}))
            del values["qualifications"]

    def _index(self, field_name: str) -> int | None:
        return self.fields.get(field_name)

    def _keys(self, record: Record, raw: list[Any], findings: list[Finding]) -> None:
        key, version = raw[self.key_index], raw[self.version_index] if self.version_index is not None else ""
        if _empty_value(key) and _empty_value(version):
            return
        try:
            record.key_id = _integer(key)
            record.key_version = _integer(version) if not _empty_value(version) else None
        except ValueError:
            record.key_id = record.key_version = None
            findings.append(self.render.finding(record.row, None, "export_key_invalid", "error",
                                                {"value": f"{as_text(key)} / {as_text(version)}"}))


def _integer(value: Any) -> int:
    if is_number(value) and float(value).is_integer():
        return int(value)
    text = as_text(value)
    if text.isdigit():
        return int(text)
    raise ValueError(text)


def _empty_value(value: Any) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _empty(raw: list[Any], index: int | None) -> bool:
    return index is None or _empty_value(raw[index])
