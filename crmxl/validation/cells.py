"""Per-kind cell parsers, compiled once per column; repeated values hit a cache.

A parser takes a raw cell value (as the spreadsheet typed it, never empty) and returns
``(value, issues)``: the canonical value and a tuple of ``(code, severity, params)``. When an
issue is an error the value is ``INVALID``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from crmxl.domain.enums import AccountType, ContactType, is_without_portfolio, parse_enum, parse_uf
from crmxl.domain.errors import FieldError
from crmxl.domain.formats import (
    CEP_CANONICAL,
    EMAIL_CANONICAL,
    PHONE_CANONICAL,
    check_birth_date,
    format_date,
    parse_cep,
    parse_date,
    parse_email,
    parse_phone,
)
from crmxl.domain.text import normalize, suggest
from crmxl.schema import Column, Kind

Issue = tuple[str, str, dict[str, Any]]
Parsed = tuple[Any, tuple[Issue, ...]]
Parser = Callable[[Any], Parsed]
INVALID = object()  # the cell has an error: no value
ABSENT = object()  # the cell holds nothing usable (e.g. only separators): treated as empty
NO_ISSUES: tuple[Issue, ...] = ()
CACHE_LIMIT = 50_000


def name_key(name: str) -> str:
    """``normalize(name)``, with a fast path for plain ASCII (where it is only case and spaces)."""
    return " ".join(name.casefold().split()) if name.isascii() else normalize(name)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or (value.__class__ is str and value.isspace())


def as_text(value: Any) -> str:
    """The text of a cell as the user sees it (numbers without a spurious '.0', dates dd/mm/yyyy)."""
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        day = format_date(value)
        return f"{day} {value.hour:02d}:{value.minute:02d}" if (value.hour, value.minute) != (0, 0) else day
    if isinstance(value, dt.date):
        return format_date(value)
    return str(value).strip()


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def error(code: str, **params: Any) -> Parsed:
    return INVALID, ((code, "error", params),)


def field_error(exc: FieldError) -> Parsed:
    return INVALID, ((exc.code, "error", dict(exc.params)),)


def _text(col: Column) -> Parser:
    limit = col.max_length

    def parse(value: Any) -> Parsed:
        text = as_text(value)
        if len(text) > limit:
            return error("too_long", length=len(text), max=limit)
        return text, NO_ISSUES

    return parse


def _choice(enum_cls: Any, code: str) -> Parser:
    choices = [m.value for m in enum_cls]

    def parse(value: Any) -> Parsed:
        text = as_text(value)
        try:
            return parse_enum(enum_cls, text).value, NO_ISSUES
        except FieldError as exc:
            return error(code, value=text, suggestion=exc.params.get("suggestion") or suggest(text, choices))

    return parse


def _uf(col: Column) -> Parser:
    def parse(value: Any) -> Parsed:
        text = as_text(value)
        try:
            return parse_uf(text), NO_ISSUES
        except FieldError as exc:
            return field_error(exc)

    return parse


def _portfolio(col: Column) -> Parser:
    """``None`` for Without Portfolio / Sem Carteira, else the login as typed (the database rules resolve it)."""

    def parse(value: Any) -> Parsed:
        text = as_text(value)
        if is_without_portfolio(text):
            return None, NO_ISSUES
        if len(text) > col.max_length:
            return error("too_long", length=len(text), max=col.max_length)
        return text, NO_ISSUES

    return parse


def split_list(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for part in text.replace("\n", ";").split(";"):
        part = " ".join(part.split())
        if part:
            seen.setdefault(part)
    return list(seen)


def _qualifications(col: Column) -> Parser:
    """The names as typed; the database rules match them against the registry."""

    def parse(value: Any) -> Parsed:
        text = as_text(value)
        if len(text) > col.max_length:
            return error("too_long", length=len(text), max=col.max_length)
        names = split_list(text)
        return (names or ABSENT), NO_ISSUES

    return parse


def _email(col: Column) -> Parser:
    def parse(value: Any) -> Parsed:
        try:
            return parse_email(as_text(value)), NO_ISSUES
        except FieldError as exc:
            return field_error(exc)

    return parse


def _phone(col: Column) -> Parser:
    def parse(value: Any) -> Parsed:
        try:
            return parse_phone(as_text(value)), NO_ISSUES
        except FieldError as exc:
            return field_error(exc)

    return parse


def _cep(col: Column) -> Parser:
    def parse(value: Any) -> Parsed:
        issues = NO_ISSUES
        text = as_text(value)
        if is_number(value) and float(value).is_integer() and len(text) == 7:  # one leading zero lost, no more
            text = "0" + text
            issues = ()
        try:
            cep = parse_cep(text)
        except FieldError as exc:
            return field_error(exc)
        if text != as_text(value):
            issues = (("cep_restored_from_number", "warning", {"value": cep}),)
        return cep, issues

    return parse


def _birth_date(col: Column) -> Parser:
    def parse(value: Any) -> Parsed:
        try:
            if isinstance(value, dt.datetime):
                day = value.date()
            elif isinstance(value, dt.date):
                day = value
            else:
                day = parse_date(as_text(value))
            return check_birth_date(day), NO_ISSUES
        except FieldError as exc:
            return field_error(exc)

    return parse


FACTORIES: dict[Kind, Callable[[Column], Parser]] = {
    Kind.TEXT: _text,
    Kind.ACCOUNT_TYPE: lambda col: _choice(AccountType, "account_type_invalid"),
    Kind.CONTACT_TYPE: lambda col: _choice(ContactType, "contact_type_invalid"),
    Kind.UF: _uf,
    Kind.PORTFOLIO: _portfolio,
    Kind.QUALIFICATIONS: _qualifications,
    Kind.EMAIL: _email,
    Kind.PHONE: _phone,
    Kind.CEP: _cep,
    Kind.BIRTH_DATE: _birth_date,
}


def run_column(cells: list[Any], parse: Parser, cacheable: bool, canonical: Callable[[str], Any] | None = None
               ) -> tuple[list[Any], dict[int, tuple[Issue, ...]]]:
    """Parse a whole column: values (``ABSENT`` for empty cells, ``INVALID`` for bad ones) and issues by position.

    Text values are memoised when ``cacheable`` (the result depends on the text alone); text that
    ``canonical`` matches is its own parsed value, with no issue.
    """
    values: list[Any] = []
    append = values.append
    issues: dict[int, tuple[Issue, ...]] = {}
    cache: dict[str, Parsed] = {}
    get = cache.get
    for position, value in enumerate(cells):
        if value == "" or value is None:
            append(ABSENT)
            continue
        if canonical is not None and value.__class__ is str and canonical(value):
            append(value)
            continue
        hit = get(value) if cacheable else None
        if hit is None:
            if value.__class__ is str and value.isspace():
                append(ABSENT)
                continue
            hit = parse(value)
            if cacheable and value.__class__ is str and len(cache) < CACHE_LIMIT:
                cache[value] = hit
        parsed, found = hit
        if found:
            issues[position] = found
        append(parsed)
    return values, issues


def run_text_column(cells: list[Any], limit: int) -> tuple[list[Any], dict[int, tuple[Issue, ...]]]:
    """The TEXT kind inlined: strip, and check the length."""
    values: list[Any] = []
    append = values.append
    issues: dict[int, tuple[Issue, ...]] = {}
    for position, value in enumerate(cells):
        if value.__class__ is str:
            text = value.strip()
        elif value is None:
            text = ""
        else:
            text = as_text(value)
            if isinstance(value, dt.date):  # Excel made a date of what was typed: say what will be stored
                issues[position] = (("date_in_text", "warning", {"value": text}),)
        if not text:
            append(ABSENT)
        elif len(text) > limit:
            issues[position] = (("too_long", "error", {"length": len(text), "max": limit}),)
            append(INVALID)
        else:
            append(text)
    return values, issues


def too_long(values: list[Any], issues: dict[int, tuple[Issue, ...]], limit: int) -> None:
    """Parsed text longer than ``limit``: INVALID, with a ``too_long`` error."""
    for position, value in enumerate(values):
        if value.__class__ is str and len(value) > limit:
            issues[position] = (("too_long", "error", {"length": len(value), "max": limit}),)
            values[position] = INVALID


CACHEABLE = {Kind.ACCOUNT_TYPE, Kind.CONTACT_TYPE, Kind.UF, Kind.PORTFOLIO, Kind.QUALIFICATIONS, Kind.CEP,
             Kind.PHONE}


_CANONICAL = {Kind.PHONE: PHONE_CANONICAL, Kind.CEP: CEP_CANONICAL, Kind.EMAIL: EMAIL_CANONICAL}


def canonical_match(col: Column) -> Callable[[str], Any] | None:
    """The ``fullmatch`` of text already in ``col``'s canonical form, for kinds that have one."""
    pattern = _CANONICAL.get(col.kind)
    return pattern.fullmatch if pattern is not None else None


def compile_parser(col: Column) -> Parser | None:
    """The parser of ``col``; ``None`` for the account-number kinds, which depend on other cells of the row."""
    factory = FACTORIES.get(col.kind)
    return factory(col) if factory else None
