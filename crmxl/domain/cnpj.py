"""CNPJ: numeric and alphanumeric (July 2026), through python-stdnum."""

from __future__ import annotations

import re
from operator import mul

from stdnum.br import cnpj as _cnpj
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from crmxl import i18n
from crmxl.domain.errors import FieldError

_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_SEPARATORS = re.compile(r"[\s./\-]")
_ALLOWED = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")
_WELL_FORMED = re.compile(r"[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-[0-9]{2}|[0-9A-Z]{12}[0-9]{2}")


def _compact(value: object) -> str:
    return _SEPARATORS.sub("", str(value or "")).upper()


# Each character counts as its code minus 48; summing the codes at C speed (``map(mul, bytes, weights)``)
# and taking 48 x the weights off once gives the same sums.
_FIRST, _SECOND = _WEIGHTS[1:], _WEIGHTS[:12]
_FIRST_OFFSET, _SECOND_OFFSET = 48 * sum(_FIRST), 48 * sum(_SECOND)


def _has_valid_check_digits(number: str) -> bool:
    """The mod-11 check of both numeric and alphanumeric CNPJs; ``number`` is 14 ASCII characters."""
    codes = number.encode("ascii")
    rest = (sum(map(mul, codes, _FIRST)) - _FIRST_OFFSET) % 11
    first = 0 if rest < 2 else 11 - rest
    rest = (sum(map(mul, codes, _SECOND)) - _SECOND_OFFSET + 2 * first) % 11
    return codes[12] - 48 == first and codes[13] - 48 == (0 if rest < 2 else 11 - rest)


def cnpj_check_digits(first12: str) -> str:
    return _cnpj.calc_check_digits(first12.upper())


def format_cnpj(compact: str) -> str:
    """'12ABC34501DE35' -> '12.ABC.345/01DE-35'."""
    if len(compact) == 14 and compact.isascii() and compact.isalnum():  # the stored form: no cleaning needed
        n = compact.upper()
        return f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"
    return _cnpj.format(compact)


def well_formed_cnpj(text: str) -> str | None:
    """The compact form of a valid CNPJ written '12.ABC.345/01DE-35' or '12ABC34501DE35', else None
    (``parse_cnpj`` then decides, and says why)."""
    if _WELL_FORMED.fullmatch(text) is None:
        return None
    number = text.replace(".", "").replace("/", "").replace("-", "") if len(text) == 18 else text
    if _has_valid_check_digits(number) and number[:12] != number[0] * 12:
        return number
    return None


def parse_cnpj(value: object) -> str:
    """Validate and return the compact upper-case form, or raise FieldError with the reason."""
    text = str(value or "").strip()
    number = _compact(text)
    if not number:
        raise FieldError("cnpj_empty")
    if len(number) != 14:
        raise FieldError("cnpj_length", value=text, length=len(number))
    if not _ALLOWED.match(number):
        typed = _SEPARATORS.sub("", text)  # the character as the user typed it ('l', not 'L'; 'É' found)
        bad = next((ch for ch in typed[:12] if not (ch.isascii() and ch.isalnum())), None) or next(
            (ch for ch in typed[12:] if not (ch.isascii() and ch.isdigit())), typed[-1])
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
