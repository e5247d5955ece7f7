"""CRM numbers: 1-7 digits (no check digit) + the UF of the Regional Council; canonical '123456/SP'."""

from __future__ import annotations

import re

from crmxl import i18n
from crmxl.domain.enums import UFS
from crmxl.domain.errors import FieldError
from crmxl.domain.text import suggest

_UF_SET = frozenset(UFS)
# digits then UF: '123456/SP', '123456-SP', '123456 SP', '123456SP'
_DIGITS_UF = re.compile(r"^(?:CRM[\s/\-]*)?(\d+)\s*[/\-\s]?\s*([A-Z]{2,})$")
# UF then digits: 'CRM-SP 123456', 'CRM/SP 123456', 'CRM SP 123456', 'SP123456', 'SP-123456'
_UF_DIGITS = re.compile(r"^(?:CRM[\s/\-]*)?([A-Z]{2,})\s*[/\-\s]?\s*(\d+)$")
_CANONICAL = re.compile(r"[1-9][0-9]{0,6}/([A-Z]{2})")
_ONLY_DIGITS = re.compile(r"^(?:CRM[\s/\-]*)?(\d+)$")
ACCEPTED = "123456/SP, 123456-SP, CRM-SP 123456, CRM/SP 123456, SP123456"


def _canonical(digits: str, uf: str, original: str) -> str:
    stripped = digits.lstrip("0")
    if not stripped:
        raise FieldError("crm_zero", value=original)
    if len(stripped) > 7:
        raise FieldError("crm_too_long", value=original, digits=len(stripped))
    if uf not in _UF_SET:
        raise FieldError("crm_unknown_uf", value=original, uf=uf, suggestion=suggest(uf, UFS, cutoff=0.5))
    return f"{stripped}/{uf}"


def canonical_crm(text: str) -> str | None:
    """``text`` if it already is a valid canonical CRM ('123456/SP'), else None (``parse_crm`` decides)."""
    match = _CANONICAL.fullmatch(text)
    return text if match is not None and match.group(1) in _UF_SET else None


def parse_crm(value: object, default_uf: str | None = None) -> str:
    original = str(value if value is not None else "").strip()
    text = " ".join(original.upper().split())
    if not text:
        raise FieldError("crm_empty")
    if not any(ch.isdigit() for ch in text):
        raise FieldError("crm_no_digits", value=original)
    if m := _ONLY_DIGITS.match(text):
        if not default_uf:
            raise FieldError("crm_missing_uf", value=original)
        return _canonical(m.group(1), default_uf.strip().upper(), original)
    m = _DIGITS_UF.match(text) or _UF_DIGITS.match(text)
    if m is None:
        raise FieldError("crm_format", value=original, accepted=ACCEPTED)
    digits, uf = (m.group(1), m.group(2)) if m.re is _DIGITS_UF else (m.group(2), m.group(1))
    if len(uf) != 2:
        raise FieldError("crm_unknown_uf", value=original, uf=uf, suggestion=None)
    return _canonical(digits, uf, original)


def crm_from_number(n: int | float, default_uf: str | None) -> str:
    if isinstance(n, float):
        if not n.is_integer():
            raise FieldError("crm_format", value=str(n), accepted=ACCEPTED)
        n = int(n)
    return parse_crm(str(n), default_uf)


def format_crm(canonical: str) -> str:
    return canonical


i18n.register({
    "crm_empty": {"en": "The CRM number is empty", "pt-BR": "O número do CRM está vazio"},
    "crm_no_digits": {"en": "CRM '{value}' has no digits", "pt-BR": "O CRM '{value}' não tem dígitos"},
    "crm_too_long": {
        "en": "CRM '{value}' has {digits} digits; a CRM number has at most 7",
        "pt-BR": "O CRM '{value}' tem {digits} dígitos; um CRM tem no máximo 7",
    },
    "crm_unknown_uf": {
        "en": "CRM '{value}': '{uf}' is not a UF{suggestion_text}",
        "pt-BR": "CRM '{value}': '{uf}' não é uma UF{suggestion_text}",
    },
    "crm_missing_uf": {
        "en": "CRM '{value}' has no UF: write it as 123456/SP",
        "pt-BR": "O CRM '{value}' não tem UF: escreva como 123456/SP",
    },
    "crm_format": {
        "en": "'{value}' is not a CRM number; accepted: {accepted}",
        "pt-BR": "'{value}' não é um número de CRM; aceitos: {accepted}",
    },
    "crm_zero": {"en": "CRM '{value}' is zero", "pt-BR": "O CRM '{value}' é zero"},
})
