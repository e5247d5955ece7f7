"""Account numbers: a CRM for MEDICAL accounts, a CNPJ for COMPANY and INSURANCE."""

from __future__ import annotations

from crmxl import i18n
from crmxl.domain.cnpj import format_cnpj, is_valid_cnpj, parse_cnpj, well_formed_cnpj
from crmxl.domain.crm import canonical_crm, parse_crm
from crmxl.domain.enums import AccountType
from crmxl.domain.errors import FieldError


def _looks_like_crm(value: str) -> bool:
    try:
        parse_crm(value)
    except FieldError:
        return False
    return True


def well_formed_account_number(text: str, account_type: str) -> str | None:
    """The canonical number of ``text`` when it is written the usual way for ``account_type`` (a
    MEDICAL row's '123456/SP', another row's formatted or compact CNPJ) and valid; else None, and
    ``parse_account_number`` decides."""
    return canonical_crm(text) if account_type == "MEDICAL" else well_formed_cnpj(text)


def parse_account_number(value: object, account_type: AccountType, default_uf: str | None = None) -> str:
    text = str(value or "").strip()
    if account_type == AccountType.MEDICAL:
        try:
            return parse_crm(text, default_uf)
        except FieldError:
            if is_valid_cnpj(text):
                raise FieldError("account_number_type_mismatch", value=text, type=account_type.value,
                                 expected="CRM (123456/SP)", found="CNPJ") from None
            raise
    try:
        return parse_cnpj(text)
    except FieldError:
        if _looks_like_crm(text):
            raise FieldError("account_number_type_mismatch", value=text, type=account_type.value,
                             expected="CNPJ", found="CRM") from None
        raise


def detect_account_number(value: object) -> tuple[str, str]:
    """('CNPJ'|'CRM', canonical) for whatever is given; the CNPJ error wins for 14-character values.

    A valid CNPJ is a CNPJ even where the CRM rules would also read it: 'SP000001234505' (an alphanumeric
    CNPJ) is not the CRM 1234505/SP with zeros in front."""
    text = str(value or "").strip()
    if len(text) >= 14 and is_valid_cnpj(text):  # 14 characters, or 18 formatted
        return "CNPJ", parse_cnpj(text)
    try:
        return "CRM", parse_crm(text)
    except FieldError as crm_error:
        try:
            return "CNPJ", parse_cnpj(text)
        except FieldError as cnpj_error:
            compact = "".join(ch for ch in text if ch.isalnum())
            raise cnpj_error if len(compact) >= 12 else crm_error from None


def display_account_number(canonical: str) -> str:
    if "/" in canonical:
        return canonical
    return format_cnpj(canonical) if len(canonical) == 14 else canonical


i18n.register({
    "account_number_type_mismatch": {
        "en": "'{value}' is a {found}, but {type} accounts need a {expected}",
        "pt-BR": "'{value}' é um {found}, mas contas {type} precisam de um {expected}",
    },
})
