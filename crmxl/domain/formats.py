"""Brazilian conventions in cells: phones, CEP, e-mail, dd/mm/yyyy dates, decimal comma.

A value Excel already typed (a date cell, a number) is taken as it is; text is
parsed by these rules, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from crmxl import i18n
from crmxl.domain.errors import FieldError

_NON_DIGITS = re.compile(r"\D")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
EARLIEST_BIRTH = dt.date(1900, 1, 1)
# Text that already is its own canonical form (what the parser would return, with no issue): a column
# runner accepts such a cell with one C-level match instead of a parse.
PHONE_CANONICAL = re.compile(r"\((?:1[1-9]|[2-9][0-9])\) (?:9[0-9]{4}|[2-5][0-9]{3})-[0-9]{4}")
CEP_CANONICAL = re.compile(r"(?!00)[0-9]{5}-[0-9]{3}")
EMAIL_CANONICAL = re.compile(r"(?!.*\.\.)(?!\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?<!\.)@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}")
_PHONE_CHARACTERS = re.compile(r"\+?[\d\s().\-]+")
_TOLL_FREE = ("0800", "0300", "0500", "0900")
_NATIONWIDE = ("300", "400")  # 3003-xxxx, 4004-xxxx...: one number in every area, dialled without its code
_CEP_SPELLINGS = re.compile(r"(\d{1,2})\.?(\d{3})[-\s]?(\d{3})")
_FIRST_CEP = "01000000"
_DECIMAL = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d+)?$|^-?\d+(,\d+)?$")


def _number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value if value is not None else "").strip()


def parse_phone(value: object) -> str:
    """A Brazilian phone number in its one written form: a mobile '(11) 91234-5678', a landline
    '(11) 3123-4567' (from '+55 11 91234-5678', '11912345678', '0 11 3123 4567'...), a toll-free
    '0800 123 4567' (0300, 0500, 0900 too), or a number without area code '4004-1234' (3003, 4003...).

    Only digits and the usual separators: a cell with letters or anything else (an extension, a name,
    two numbers) is refused, never cut down to its digits."""
    text = _number_text(value)
    if PHONE_CANONICAL.fullmatch(text):
        return text
    if not _PHONE_CHARACTERS.fullmatch(text):
        raise FieldError("phone_invalid", value=text)
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+") and not digits.startswith("55"):
        raise FieldError("phone_invalid", value=text)
    if digits[:4] in _TOLL_FREE and len(digits) == 11:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if digits[:3] in _NATIONWIDE and len(digits) == 8:
        return f"{digits[:4]}-{digits[4:]}"
    if digits.startswith("55") and len(digits) in (12, 13):
        digits = digits[2:]
    if digits.startswith("0") and len(digits) in (11, 12):  # a trunk prefix '0 11 ...'
        digits = digits[1:]
    if len(digits) not in (10, 11) or not 11 <= int(digits[:2]) <= 99:
        raise FieldError("phone_invalid", value=text)
    area, rest = digits[:2], digits[2:]
    if rest[0] not in ("9" if len(rest) == 9 else "2345"):  # a mobile begins with 9, a landline with 2 to 5
        raise FieldError("phone_invalid", value=text)
    return f"({area}) {rest[:-4]}-{rest[-4:]}"


def parse_cep(value: object) -> str:
    """'01310-100', '01310100', '01.310-100', or the number 1310100 (a cell that lost its leading zero)
    -> '01310-100'. CEPs run from 01000-000: a number that would need more zeros is no CEP."""
    text = _number_text(value)
    if CEP_CANONICAL.fullmatch(text):
        digits = text.replace("-", "")
    else:
        spelled = _CEP_SPELLINGS.fullmatch(text)
        if spelled is None:
            raise FieldError("cep_invalid", value=text)
        digits = "".join(spelled.groups())
    if isinstance(value, int | float) and len(digits) == 7:
        digits = "0" + digits
    if len(digits) != 8 or digits < _FIRST_CEP:
        raise FieldError("cep_invalid", value=text)
    return f"{digits[:5]}-{digits[5:]}"


def parse_email(value: object) -> str:
    """One address; its domain lower-cased. A domain in another script ('exámple.com.br') is checked in its
    ASCII form (IDNA) and kept as typed; a local part may not begin or end with a dot, nor hold two."""
    text = str(value or "").strip()
    local, at, domain = text.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise FieldError("email_invalid", value=text) from None
    if not at or not _EMAIL.match(f"{local}@{ascii_domain}") or ".." in text or local.startswith(".") \
            or local.endswith("."):
        raise FieldError("email_invalid", value=text)
    return f"{local}@{domain.lower()}"


def parse_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    m = _DATE.match(text)
    if m is None:
        raise FieldError("date_invalid", value=text)
    day, month, year = (int(g) for g in m.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError("date_invalid", value=text) from None


def format_date(value: dt.date) -> str:
    """dd/mm/yyyy with a four-digit year (strftime writes year 80 as '80', which no parser takes back)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def check_birth_date(value: dt.date, today: dt.date | None = None) -> dt.date:
    """A birth date of someone alive: from 01/01/1900 to today."""
    today = today or dt.date.today()
    if value < EARLIEST_BIRTH:
        raise FieldError("birth_date_too_early", value=format_date(value), earliest=format_date(EARLIEST_BIRTH))
    if value > today:
        raise FieldError("birth_date_in_future", value=format_date(value))
    return value


def parse_decimal(value: object) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = str(value or "").strip().replace(" ", "")
    if not _DECIMAL.match(text):
        raise FieldError("decimal_invalid", value=text)
    try:
        return Decimal(text.replace(".", "").replace(",", "."))
    except InvalidOperation:
        raise FieldError("decimal_invalid", value=text) from None


i18n.register({
    "phone_invalid": {
        "en": "'{value}' is not a phone number; write one number, digits only, as (11) 91234-5678, "
              "(11) 3123-4567, +55 11 91234-5678 or 0800 123 4567 (no extension or name)",
        "pt-BR": "'{value}' não é um telefone; escreva um número, só dígitos, como (11) 91234-5678, "
                 "(11) 3123-4567, +55 11 91234-5678 ou 0800 123 4567 (sem ramal nem nome)",
    },
    "cep_invalid": {
        "en": "'{value}' is not a CEP; write 8 digits as 01310-100",
        "pt-BR": "'{value}' não é um CEP; escreva 8 dígitos como 01310-100",
    },
    "email_invalid": {"en": "'{value}' is not an e-mail address", "pt-BR": "'{value}' não é um e-mail válido"},
    "date_invalid": {
        "en": "'{value}' is not a date; write dd/mm/yyyy (e.g. 25/12/1980)",
        "pt-BR": "'{value}' não é uma data; escreva dd/mm/aaaa (ex.: 25/12/1980)",
    },
    "birth_date_too_early": {
        "en": "{value} is before {earliest}: not a birth date",
        "pt-BR": "{value} é anterior a {earliest}: não é uma data de nascimento",
    },
    "birth_date_in_future": {
        "en": "{value} is in the future: not a birth date",
        "pt-BR": "{value} está no futuro: não é uma data de nascimento",
    },
    "decimal_invalid": {
        "en": "'{value}' is not a number; use a decimal comma (1.234,56)",
        "pt-BR": "'{value}' não é um número; use vírgula decimal (1.234,56)",
    },
})
