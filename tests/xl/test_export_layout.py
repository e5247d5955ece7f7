"""The sheet the Export button writes is laid out like the command line's export: number formats on whole
columns (set before the values), widths, header notes and dropdowns, all from the schema."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import select, update

from crmxl.db.models import Account, User
from crmxl.schema import ACCOUNTS, CONTACTS, HIDDEN_FIELDS, Kind, header_key
from crmxl.workbook.templates import build_template
from crmxl.workbook.xlwings_engine import open_book
from crmxl.xl import macros

LAST_ROW = 1_048_576
TEXT = {Kind.ACCOUNT_NUMBER, Kind.IDENTIFIER, Kind.CEP, Kind.PHONE, Kind.PORTFOLIO, Kind.TEXT, Kind.EMAIL,
        Kind.QUALIFICATIONS}  # what a later edit must keep as typed: a CEP 01310100, a phone


def _exported(tmp, tpl, lang, portfolio="agent.sp1"):
    """Press Export in a model workbook of ``tpl``; the saved file's exported sheet, read by openpyxl."""
    path = tmp / f"{tpl.id}-{lang}.xlsx"
    build_template(tpl, path, lang)
    book = open_book(path)
    export = macros.export_accounts if tpl.id == "accounts" else macros.export_contacts
    export(book)  # creates the control sheet
    book.sheets["CRM"].range("B2").value = portfolio
    name = export(book)
    assert name, book.app.impl.alerts[-1]["prompt"]
    book.save()
    return openpyxl.load_workbook(path)[name]


def _columns(sheet, tpl, lang):
    """(letter, schema column) of every exported column that is the template's."""
    by_header = {header_key(c.header(lang)): c for c in tpl.columns}
    found = [(get_column_letter(cell.column), by_header.get(header_key(cell.value))) for cell in sheet[1]]
    return [(letter, col) for letter, col in found if col is not None]


def _column_format(sheet, letter: str) -> str:
    dim = sheet.column_dimensions.get(letter)
    return dim.number_format if dim is not None else "General"


@pytest.mark.parametrize("tpl, lang", [(ACCOUNTS, "en"), (CONTACTS, "pt-BR")])
def test_the_exported_sheet_has_the_templates_formats_widths_and_notes(env, tpl, lang):
    _db, tmp = env
    sheet = _exported(tmp, tpl, lang)
    columns = _columns(sheet, tpl, lang)
    assert len(columns) >= len(tpl.mandatory_fields), [c.value for c in sheet[1]]
    example = "Exemplo" if lang == "pt-BR" else "Example"
    for letter, col in columns:
        wanted = "@" if col.kind in TEXT else "dd/mm/yyyy" if col.kind == Kind.BIRTH_DATE else "General"
        assert _column_format(sheet, letter) == wanted, (letter, col.field)  # rows to come, too
        for row in range(2, min(sheet.max_row, 6) + 1):
            if sheet[f"{letter}{row}"].value is not None:
                assert sheet[f"{letter}{row}"].number_format == wanted, (letter, row)
        assert sheet.column_dimensions[letter].width == col.width, (letter, col.field)
        note = sheet[f"{letter}1"].comment
        assert note is not None and note.text == f"{col.help(lang)}\n{example}: {col.example}", (letter, note)
    keys = [get_column_letter(c.column) for c in sheet[1] if c.value in HIDDEN_FIELDS]
    assert keys and all(sheet.column_dimensions[k].hidden for k in keys)


def test_a_cep_of_digits_stays_text_without_an_apostrophe(env):
    """In a text column the value is written as it is: Excel keeps it as text, without a visible prefix."""
    db, tmp = env
    with db.session() as s:
        owner = s.scalar(select(User.id).where(User.login == "agent.sp1"))
        number = s.scalars(select(Account.number).where(Account.owner_id == owner)).first()
        s.execute(update(Account).where(Account.number == number).values(cep="01310100"))
        s.commit()
    sheet = _exported(tmp, ACCOUNTS, "en")
    letter = {col.field: letter for letter, col in _columns(sheet, ACCOUNTS, "en")}["cep"]
    (cell,) = [c for (c,) in sheet[f"{letter}2:{letter}{sheet.max_row}"] if str(c.value).endswith("1310100")]
    assert cell.value == "01310100" and cell.data_type == "s" and cell.number_format == "@"
    assert not cell.quotePrefix


def _validation(sheet, letter: str):
    found = [dv for dv in sheet.data_validations.dataValidation if f"{letter}2:{letter}{LAST_ROW}" in str(dv.sqref)]
    return found[0] if found else None


@pytest.mark.parametrize("tpl, lang", [(ACCOUNTS, "en"), (CONTACTS, "pt-BR")])
def test_the_exported_sheet_has_dropdowns_for_types_and_ufs(env, tpl, lang):
    from crmxl.domain.enums import UFS, AccountType, ContactType

    _db, tmp = env
    sheet = _exported(tmp, tpl, lang)
    lists = {Kind.ACCOUNT_TYPE: [t.value for t in AccountType], Kind.CONTACT_TYPE: [t.value for t in ContactType],
             Kind.UF: list(UFS)}
    seen = 0
    for letter, col in _columns(sheet, tpl, lang):
        dv = _validation(sheet, letter)
        if col.kind in lists:
            seen += 1
            assert dv is not None and dv.type == "list", (letter, col.field)
            assert dv.formula1 == '"' + ",".join(lists[col.kind]) + '"'
            assert dv.showErrorMessage and dv.errorStyle in (None, "stop") and not dv.showDropDown
        else:
            assert dv is None, (letter, col.field)
    assert seen >= 1
