"""Worksheet functions (xlwings UDFs): look things up in the CRM while filling a sheet.

Each function returns a value or a readable error text starting with ``#CRM:``,
never a traceback. Excel sees the names, argument docs and help declared by
``excel_function`` below (xlwings' ``func``/``arg`` decorators); ``UDFS`` lists them.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import xlwings as xw

from crmxl.config import load_settings
from crmxl.db.session import Database
from crmxl.domain.account_number import detect_account_number
from crmxl.domain.cnpj import format_cnpj, is_valid_cnpj, parse_cnpj
from crmxl.domain.enums import WITHOUT_PORTFOLIO_WORDS, AccountType, parse_enum
from crmxl.domain.errors import FieldError
from crmxl.domain.text import normalize
from crmxl.errors import CrmxlError, NotFound, UnusableInput
from crmxl.xl.lookups import ACCOUNT_FIELDS, LookupCache

ERROR_PREFIX = "#CRM: "
SETTINGS_INTERVAL = 2.0


@dataclass(frozen=True)
class UdfSpec:
    name: str
    help: str
    args: dict[str, str]
    func: Callable[..., Any]


UDFS: dict[str, UdfSpec] = {}
_cache: LookupCache | None = None


def _error(text: str) -> str:
    return ERROR_PREFIX + text


_settings_read = 0.0


def cache() -> LookupCache:
    """The process-wide lookup cache for the configured database (the settings are re-read every few seconds)."""
    global _cache, _settings_read
    now = time.monotonic()
    if _cache is None or now - _settings_read > SETTINGS_INTERVAL:
        settings = load_settings()
        _settings_read = now
        if _cache is None or _cache.db.url != settings.database_url or _cache.login != settings.login:
            _cache = LookupCache(Database(settings.database_url), settings.login)
    return _cache


def set_cache(new: LookupCache | None) -> None:
    global _cache, _settings_read
    _cache = new
    _settings_read = time.monotonic() if new is not None else 0.0


def excel_function(**arg_docs: str):
    """Declare a worksheet function: xlwings' decorators plus our registry, and no exception ever escapes.

    Excel shows the Python function's name and docstring, and ``arg_docs`` for its arguments.
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        name, help_text = f.__name__, (f.__doc__ or "").strip()

        @functools.wraps(f)
        def safe(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except FieldError as exc:
                return _error(exc.render(load_settings().lang))
            except CrmxlError as exc:
                return _error(exc.render(load_settings().lang))
            except Exception as exc:  # a cell shows a message, never a traceback
                return _error(f"{type(exc).__name__}: {exc}")

        safe.__annotations__ = {}  # xlwings would read type hints as converters
        wrapped = safe
        for arg, doc in reversed(arg_docs.items()):
            wrapped = xw.arg(arg, doc=doc)(wrapped)
        wrapped = xw.func(wrapped)
        UDFS[name] = UdfSpec(name, help_text, dict(arg_docs), wrapped)
        return wrapped

    return decorate


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _cnpj_text(value: Any) -> str:
    """A CNPJ typed as a number lost its leading zeros: give them back."""
    text = _text(value)
    return text.zfill(14) if isinstance(value, int | float) and not isinstance(value, bool) else text


def _number_key(value: Any) -> str:
    text = _text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and len(text) <= 14 and len(text) > 7:
        text = text.zfill(14)
    return detect_account_number(text)[1]


@excel_function(value="A CRM number or a CNPJ, in any usual spelling")
def CRM_NUMBER(value):  # noqa: N802 - Excel's name
    """The canonical account number (CRM as 123456/SP, CNPJ compact), or what is wrong with it."""
    return _number_key(value)


@excel_function(value="A CNPJ, formatted or not")
def CRM_CNPJ_VALID(value):  # noqa: N802
    """TRUE when the value is a valid CNPJ (numeric or alphanumeric)."""
    return is_valid_cnpj(_cnpj_text(value))


@excel_function(value="A CNPJ, formatted or not")
def CRM_CNPJ_FORMAT(value):  # noqa: N802
    """The CNPJ formatted as 12.ABC.345/01DE-35, or what is wrong with it."""
    return format_cnpj(parse_cnpj(_cnpj_text(value)))


@excel_function(value="One specialty, or several separated by ';'")
def CRM_SPECIALTY(value):  # noqa: N802
    """The registry's spelling of a specialty (several with ';'), or a suggestion."""
    names, errors = cache().snapshot().registry.parse_list(_text(value))
    if errors:
        return _error("; ".join(e.render(load_settings().lang) for e in errors))
    if not names:
        return _error("empty")
    return "; ".join(names)


@excel_function(number="The account number (CRM or CNPJ)",
                field="name, type, uf, city, address, cep, phone, email, portfolio, active or version (default: name)")
def CRM_ACCOUNT(number, field="name"):  # noqa: N802
    """A field of an account in the CRM."""
    key = _number_key(number)
    wanted = _text(field).lower() or "name"
    if wanted not in ACCOUNT_FIELDS:
        return _error(f"unknown field '{wanted}'; one of {', '.join(ACCOUNT_FIELDS)}")
    lookups = cache()
    account = lookups.snapshot().accounts.get(key)
    if account is None:
        return _error(f"no account {key}")
    lookups.require(account)  # another portfolio's account: a message, not its data
    return account[wanted]


@excel_function(login="The agent's login, or Without Portfolio (Sem Carteira)",
                account_type="MEDICAL, COMPANY or INSURANCE (optional)")
def CRM_PORTFOLIO_SIZE(login, account_type=None):  # noqa: N802
    """How many accounts an agent's portfolio (or Without Portfolio) holds, optionally of one type."""
    wanted = parse_enum(AccountType, account_type).value if _text(account_type) else None
    lookups = cache()
    snapshot = lookups.snapshot()
    typed = _text(login)
    if not typed:  # an empty cell is no portfolio: not Without Portfolio, and not a login refused
        raise UnusableInput("portfolio_login_missing", without=WITHOUT_PORTFOLIO_WORDS)
    portfolio = snapshot.portfolio(typed)
    lookups.actor.require(portfolio)  # a non-admin: theirs only, whether another's or no user at all
    if portfolio is not None and portfolio.lower() not in snapshot.logins:
        raise NotFound("login_unknown", login=portfolio)
    return snapshot.portfolio_sizes.get((portfolio, wanted), 0)


@excel_function(identifier="The contact's identifier: the account number", name="The contact's name (optional)")
def CRM_CONTACT_EXISTS(identifier, name=None):  # noqa: N802
    """TRUE when a contact with this identifier (and this name, if given) exists."""
    lookups = cache()
    key = _number_key(identifier)
    account = lookups.snapshot().accounts.get(key)
    if account is not None:
        lookups.require(account)
    names = lookups.snapshot().contacts.get(key)
    if not names:
        return False
    return normalize(_text(name)) in names if _text(name) else True
