"""Account numbers and identifiers: CRM for MEDICAL, CNPJ for COMPANY / INSURANCE.

Unlike the other cells these depend on the row (its Account Type, and its UF as the default UF
of a CRM written without one), and a number Excel typed as a number is restored with a warning.
"""

from __future__ import annotations

import re
from typing import Any

from crmxl.domain.account_number import detect_account_number, parse_account_number
from crmxl.domain.cnpj import cnpj_from_number
from crmxl.domain.crm import crm_from_number
from crmxl.domain.enums import AccountType
from crmxl.domain.errors import FieldError
from crmxl.validation.cells import INVALID, NO_ISSUES, Parsed, as_text, error, field_error, is_number

MEDICAL = AccountType.MEDICAL.value
_HAS_LETTERS = re.compile(r"[A-Za-z]{2}")
CRM_MAX_DIGITS = 7


def kind_of(account_type: str | None) -> str | None:
    """``"crm"`` or ``"cnpj"`` for an account type, ``None`` when unknown."""
    if account_type is None:
        return None
    return "crm" if account_type == MEDICAL else "cnpj"


def parse_number(value: Any, account_type: str | None, uf: str | None) -> Parsed:
    """Canonical account number of a cell; ``account_type`` None means: detect it (contacts template)."""
    if is_number(value):
        return _from_number(value, account_type, uf)
    text = as_text(value)
    if account_type is None:
        return _detect(text, uf)
    try:
        canonical = _canonical(parse_account_number(text, account_type, default_uf=uf))
    except FieldError as exc:
        return _mismatch(text, account_type, uf) or field_error(exc)
    if account_type == MEDICAL and uf and not _HAS_LETTERS.search(text):
        return canonical, (("crm_uf_from_row", "warning", {"value": canonical}),)
    return canonical, NO_ISSUES


def _canonical(result: Any) -> str:
    """``parse_account_number`` / ``detect_account_number`` may return the number or (type, number)."""
    if isinstance(result, tuple):
        return next(str(x) for x in reversed(result) if isinstance(x, str))
    return str(result)


def _detect(text: str, uf: str | None) -> Parsed:
    try:
        return _canonical(detect_account_number(text, default_uf=uf)), NO_ISSUES
    except FieldError as exc:
        return field_error(exc)


def _mismatch(text: str, account_type: str, uf: str | None) -> Parsed | None:
    """An error naming both kinds when the number is valid for the *other* kind of account."""
    other = AccountType.COMPANY.value if account_type == MEDICAL else MEDICAL
    try:
        _canonical(parse_account_number(text, other, default_uf=uf))
    except FieldError:
        return None
    names = {"crm": "CRM", "cnpj": "CNPJ"}
    return error("account_number_type_mismatch", value=text, type=account_type,
                 found=names[kind_of(other)], expected=names[kind_of(account_type)])


def _from_number(value: Any, account_type: str | None, uf: str | None) -> Parsed:
    if isinstance(value, float) and not value.is_integer():
        return _detect(as_text(value), uf) if account_type is None else parse_number(as_text(value), account_type, uf)
    digits = str(int(value))
    kind = kind_of(account_type)
    if kind is None:
        kind = "crm" if len(digits) <= CRM_MAX_DIGITS and uf else "cnpj"
    if kind == "crm":
        if len(digits) > CRM_MAX_DIGITS:
            return _mismatch(digits, account_type or MEDICAL, uf) or parse_number(digits, MEDICAL, uf)
        try:
            crm = _canonical(crm_from_number(int(value), uf))
        except FieldError as exc:
            return field_error(exc)
        return crm, (("crm_restored_from_number", "warning", {"value": crm}),)
    try:
        cnpj = _canonical(cnpj_from_number(int(value)))
    except FieldError as exc:
        return field_error(exc)
    if len(digits) < 14:
        return cnpj, (("cnpj_restored_from_number", "warning", {"value": cnpj}),)
    return cnpj, NO_ISSUES


__all__ = ["INVALID", "kind_of", "parse_number"]
