"""Account types, contact types, roles, the 27 UFs and the Without Portfolio value."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from crmxl import i18n
from crmxl.domain.errors import FieldError
from crmxl.domain.text import normalize, suggest


class AccountType(StrEnum):
    MEDICAL = "MEDICAL"
    COMPANY = "COMPANY"
    INSURANCE = "INSURANCE"


class ContactType(StrEnum):
    DOCTOR = "DOCTOR"
    SECRETARY = "SECRETARY"
    OTHERS = "OTHERS"


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"


PORTFOLIO_ROLES = (Role.AGENT.value, Role.MANAGER.value)  # the users who may hold a portfolio


UFS: tuple[str, ...] = (
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA",
    "PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
)
_UF_SET = frozenset(UFS)

WITHOUT_PORTFOLIO = "Without Portfolio"
WITHOUT_PORTFOLIO_PT = "Sem Carteira"

# Portuguese spellings a manager may type, mapped to the stored value.
ALIASES: dict[type, dict[str, str]] = {
    AccountType: {
        "medico": "MEDICAL", "medica": "MEDICAL", "medical": "MEDICAL",
        "empresa": "COMPANY", "company": "COMPANY",
        "convenio": "INSURANCE", "seguradora": "INSURANCE", "plano de saude": "INSURANCE", "insurance": "INSURANCE",
    },
    ContactType: {
        "medico": "DOCTOR", "medica": "DOCTOR", "doctor": "DOCTOR",
        "secretaria": "SECRETARY", "secretario": "SECRETARY", "secretary": "SECRETARY",
        "outros": "OTHERS", "outro": "OTHERS", "others": "OTHERS", "other": "OTHERS",
    },
    Role: {"admin": "admin", "manager": "manager", "gerente": "manager", "agent": "agent", "agente": "agent"},
}

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum_cls: type[E], value: object) -> E:
    """Case-, accent- and space-insensitive; English values and Portuguese aliases."""
    text = "" if value is None else str(value)
    key = normalize(text)
    aliases = ALIASES.get(enum_cls, {})
    if key in aliases:
        return enum_cls(aliases[key])
    for member in enum_cls:
        if normalize(member.value) == key:
            return member
    allowed = ", ".join(m.value for m in enum_cls)
    raise FieldError("enum_invalid", value=text, allowed=allowed,
                     suggestion=suggest(text, [m.value for m in enum_cls], cutoff=0.6))


def parse_uf(value: object) -> str:
    text = "" if value is None else str(value).strip().upper()
    if text in _UF_SET:
        return text
    raise FieldError("uf_invalid", value=str(value or ""), suggestion=suggest(text, UFS, cutoff=0.5) if text else None)


_WITHOUT = {normalize(WITHOUT_PORTFOLIO), normalize(WITHOUT_PORTFOLIO_PT)}


def is_without_portfolio(value: object) -> bool:
    return value is not None and normalize(str(value)) in _WITHOUT


WITHOUT_PORTFOLIO_WORDS = i18n.Phrase("without_portfolio")  # as a message's parameter: in its language


def without_portfolio_label(lang: str = "en") -> str:
    return WITHOUT_PORTFOLIO_PT if lang == "pt-BR" else WITHOUT_PORTFOLIO


def _with_suggestion(en: str, pt: str) -> dict[str, str]:
    return {"en": en, "pt-BR": pt}


i18n.register({
    "role_admin": {"en": "admin", "pt-BR": "administrador"},
    "role_manager": {"en": "manager", "pt-BR": "gerente"},
    "role_agent": {"en": "agent", "pt-BR": "agente"},
    "without_portfolio": {"en": WITHOUT_PORTFOLIO, "pt-BR": WITHOUT_PORTFOLIO_PT},
    "enum_invalid": _with_suggestion(
        "'{value}' is not one of {allowed}{suggestion_text}",
        "'{value}' não é um de {allowed}{suggestion_text}"),
    "uf_invalid": _with_suggestion(
        "'{value}' is not a UF (one of the 27 states){suggestion_text}",
        "'{value}' não é uma UF (um dos 27 estados){suggestion_text}"),
})
