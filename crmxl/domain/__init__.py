"""Pure domain: account and contact types, UFs, CNPJ, CRM, specialties, Brazilian formats.

Imports nothing of SQLAlchemy, openpyxl or xlwings.
"""

from crmxl.domain.account_number import detect_account_number, display_account_number, parse_account_number
from crmxl.domain.cnpj import cnpj_check_digits, cnpj_from_number, format_cnpj, is_valid_cnpj, parse_cnpj
from crmxl.domain.crm import crm_from_number, parse_crm
from crmxl.domain.enums import (
    UFS,
    WITHOUT_PORTFOLIO,
    WITHOUT_PORTFOLIO_PT,
    AccountType,
    ContactType,
    Role,
    is_without_portfolio,
    parse_enum,
    parse_uf,
)
from crmxl.domain.errors import FieldError
from crmxl.domain.formats import format_date, parse_cep, parse_date, parse_decimal, parse_email, parse_phone
from crmxl.domain.specialties import SpecialtyRegistry, default_specialties
from crmxl.domain.text import normalize, suggest

__all__ = [
    "UFS", "WITHOUT_PORTFOLIO", "WITHOUT_PORTFOLIO_PT", "AccountType", "ContactType", "FieldError", "Role",
    "SpecialtyRegistry", "cnpj_check_digits", "cnpj_from_number", "crm_from_number", "default_specialties",
    "detect_account_number", "display_account_number", "format_cnpj", "is_valid_cnpj", "is_without_portfolio",
    "format_date", "normalize", "parse_account_number", "parse_cep", "parse_cnpj", "parse_crm", "parse_date", "parse_decimal",
    "parse_email", "parse_enum", "parse_phone", "parse_uf", "suggest",
]
