"""CNPJ: numeric and alphanumeric (July 2026), through python-stdnum."""

from __future__ import annotations

import re

from stdnum.br import cnpj as _cnpj
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from crmxl import i18n
from crmxl.domain.errors import FieldError

_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[\s./\-]")
_ALLOWED = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")


def _compact(value: object) -> str:
    return _SEPARATORS.sub("", str(value or "")).upper()


def _digit(values: list[int], weights: tuple[int, ...]) -> int:
    rest = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def _has_valid_check_digits(number: str) -> bool:
    """The mod-11 check of both numeric and alphanumeric CNPJs (character code minus 48)."""
    values = [ord(c) - 48 for c in number[:12]]
    first = _digit(values, _WEIGHTS[1:])
    return number[12:] == f"{first}{_digit([*values, first], _WEIGHTS)}"


def cnpj_check_digits(first12: str) -> str:
    return _cnpj.calc_check_digits(first12.upper())


def format_cnpj(compact: str) -> str:
    """'12ABC34501DE35' -> '12.ABC.345/01DE-35'."""
    return _cnpj.format(compact)


def parse_cnpj(value: object) -> str:
    """Validate and return the compact upper-case form, or raise FieldError with the reason."""
    text = str(value or "").strip()
    number = _compact(text)
    if not number:
        raise FieldError("cnpj_empty")
    if len(number) != 14:
        raise FieldError("cnpj_length", value=text, length=len(number))
    if not _ALLOWED.match(number):
        bad = next((ch for ch in number[:12] if not ch.isalnum()), None) or next(
            (ch for ch in number[12:] if not ch.isdigit()), number[-1])
        raise FieldError("cnpj_characters", value=text, character=bad)
    if _has_valid_check_digits(number) and number[:12] != number[0] * 12:
        return number  # the fast path for the common case; stdnum decides everything else
    try:
        return _cnpj.validate(number)
    except InvalidChecksum:
        raise FieldError("cnpj_checksum", value=format_cnpj(number), expected=cnpj_check_digits(number[:12]),
                         found=number[12:]) from None
    except (InvalidFormat, InvalidLength, ValidationError):
        raise FieldError("cnpj_invalid", value=text) from None


def is_valid_cnpj(value: object) -> bool:
    try:
        parse_cnpj(value)
    except FieldError:
        return False
    return True


def cnpj_from_number(n: int | float) -> str:
    """An Excel number that lost its leading zeros -> the 14-digit CNPJ text (not yet validated)."""
    if isinstance(n, float):
        if not n.is_integer():
            raise FieldError("cnpj_number_not_integer", value=n)
        n = int(n)
    if n < 0 or n >= 10**14:
        raise FieldError("cnpj_length", value=str(n), length=len(str(abs(n))))
    return f"{n:014d}"


i18n.register({
    "cnpj_empty": {"en": "The CNPJ is empty", "pt-BR": "O CNPJ está vazio"},
    "cnpj_length": {
        "en": "CNPJ '{value}' has {length} characters; a CNPJ has 14",
        "pt-BR": "O CNPJ '{value}' tem {length} caracteres; um CNPJ tem 14",
    },
    "cnpj_characters": {
        "en": "CNPJ '{value}' has an invalid character '{character}' (letters and digits in the first 12, digits in the last 2)",
        "pt-BR": "O CNPJ '{value}' tem um caractere inválido '{character}' (letras e dígitos nos 12 primeiros, dígitos nos 2 últimos)",
    },
    "cnpj_checksum": {
        "en": "CNPJ {value}: check digits should be {expected}",
        "pt-BR": "CNPJ {value}: os dígitos verificadores deveriam ser {expected}",
    },
    "cnpj_invalid": {"en": "'{value}' is not a valid CNPJ", "pt-BR": "'{value}' não é um CNPJ válido"},
    "cnpj_number_not_integer": {
        "en": "CNPJ {value} is a number with decimals",
        "pt-BR": "O CNPJ {value} é um número com casas decimais",
    },
})
