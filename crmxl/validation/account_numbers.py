"""Account numbers and identifiers: CRM for MEDICAL, CNPJ for COMPANY / INSURANCE.

Unlike the other cells these depend on the row (its Account Type, and its UF as the default UF
of a CRM written without one), and a number Excel typed as a number is restored with a warning.
"""

from __future__ import annotations

from typing import Any

from crmxl.domain.account_number import detect_account_number, parse_account_number
from crmxl.domain.cnpj import cnpj_from_number, format_cnpj, parse_cnpj
from crmxl.domain.crm import crm_from_number
from crmxl.domain.enums import AccountType
from crmxl.domain.errors import FieldError
from crmxl.validation.cells import INVALID, NO_ISSUES, Parsed, as_text, field_error, is_number

MEDICAL = AccountType.MEDICAL.value
_TYPES = {t.value: t for t in AccountType}
CRM_MAX_DIGITS = 7


def kind_of(account_type: str | None) -> str | None:
    """``"crm"`` or ``"cnpj"`` for an account type, ``None`` when unknown."""
    if account_type is None:
        return None
    return "crm" if account_type == MEDICAL else "cnpj"


def parse_number(value: Any, account_type: str | None, uf: str | None) -> Parsed:
    """Canonical account number of a cell; ``account_type`` None means: detect it (contacts template)."""
    if value.__class__ is str:
        text = value.strip()
    elif is_number(value):
        return _from_number(value, account_type, uf)
    else:
        text = as_text(value)
    if account_type is None:
        return _detect(text)
    try:
        canonical = parse_account_number(text, _TYPES[account_type], default_uf=uf)
    except FieldError as exc:
        return field_error(exc)
    if account_type == MEDICAL and uf and canonical.endswith(uf) and uf not in text.upper():
        return canonical, (("crm_uf_from_row", "warning", {"value": canonical}),)
    return canonical, NO_ISSUES


def _detect(text: str) -> Parsed:
    try:
        return detect_account_number(text)[1], NO_ISSUES
    except FieldError as exc:
        return field_error(exc)


def _from_number(value: Any, account_type: str | None, uf: str | None) -> Parsed:
    """A number Excel typed: a CRM (digits, the row's UF) or a CNPJ that lost its leading zeros."""
    if isinstance(value, float) and not value.is_integer():
        return parse_number(as_text(value), account_type, uf) if account_type else _detect(as_text(value))
    digits = str(int(value))
    kind = kind_of(account_type)
    if kind is None:
        kind = "crm" if len(digits) <= CRM_MAX_DIGITS else "cnpj"
    if kind == "crm" and len(digits) > CRM_MAX_DIGITS and account_type is not None:
        return parse_number(digits, account_type, uf)  # e.g. a CNPJ in a MEDICAL row: the text rules say so
    if kind == "crm":
        try:
            crm = crm_from_number(int(value), uf)
        except FieldError as exc:
            return field_error(exc)
        return crm, (("crm_restored_from_number", "warning", {"value": crm}),)
    try:
        cnpj = parse_cnpj(cnpj_from_number(int(value)))
    except FieldError as exc:
        return field_error(exc)
    if len(digits) < 14:
        return cnpj, (("cnpj_restored_from_number", "warning", {"value": format_cnpj(cnpj)}),)
    return cnpj, NO_ISSUES


__all__ = ["INVALID", "kind_of", "parse_number"]
