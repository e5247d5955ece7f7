"""Every finding code has an English and a Brazilian Portuguese message with the same placeholders."""

from __future__ import annotations

import string

import pytest

from crmxl import i18n
from crmxl.validation.messages import FINDINGS
from crmxl.workbook import reader_messages  # noqa: F401  (registers)
from crmxl.workbook import report_summary  # noqa: F401  (registers)

READER_CODES = ["file_not_found", "file_unreadable", "empty_file", "not_a_spreadsheet", "corrupted_file",
                "corrupted_sheet", "csv_unreadable", "file_encrypted", "old_xls_format", "ods_format", "xlsb_format",
                "no_data_sheet", "missing_columns", "wrong_template", "unknown_template",
                "template_version_unsupported", "template_version_newer", "template_version_missing", "report_sheet_missing", "csv_unclosed_quote", "several_data_sheets", "header_not_found",
                "file_is_a_folder", "out_is_a_file"]
DOMAIN_CODES = ["cnpj_checksum", "cnpj_length", "cnpj_characters", "crm_missing_uf", "crm_too_long", "crm_format",
                "crm_unknown_uf", "account_number_type_mismatch", "uf_invalid", "phone_invalid", "cep_invalid",
                "email_invalid", "date_invalid", "qualification_unknown"]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", sorted(FINDINGS) + READER_CODES + DOMAIN_CODES)
def test_both_languages_with_the_same_placeholders(code):
    assert i18n.has_message(code), code
    texts = i18n._CATALOG[code]
    assert texts.get("pt-BR"), code
    assert placeholders(texts["en"]) == placeholders(texts["pt-BR"]), code
    assert texts["en"] != texts["pt-BR"], code
