"""Cell, row and in-file rules (``validate_cells``): each with a failing and a passing cell."""

from __future__ import annotations

import datetime as dt

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
import pytest

from crmxl.domain.text import normalize
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.validation.cells import name_key
from crmxl.validation import validate_cells
from crmxl.workbook.reader import read_table
from tests.validation.builders import account_row, cnpj, contact_row, write_xlsx

GOOD_CNPJ = cnpj("112223330001")


def validate(tmp_path, rows, tpl=ACCOUNTS, lang="en", **kwargs):
    path = write_xlsx(tmp_path / f"{tpl.id}.xlsx", rows, tpl=tpl, lang=lang, **kwargs)
    return validate_cells(read_table(path, tpl), lang=lang)


def at(result, row, column):
    return [f for f in result.findings if (f.row, f.column) == (row, column)]


def codes_at(result, row, column):
    return [f.code for f in at(result, row, column)]


def cells(result, severity="error"):
    return {(f.row, f.column) for f in result.findings if f.severity == severity}


def record(result, row):
    return next(r for r in result.records if r.row == row)


def test_a_correct_row_has_no_findings_and_canonical_values(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ[:2] + "." + GOOD_CNPJ[2:5] + "." + GOOD_CNPJ[5:8] + "/"
                                             + GOOD_CNPJ[8:12] + "-" + GOOD_CNPJ[12:],
                                             contact_name="Dra. Ana", contact_type="doctor",
                                             qualifications="Cardiologia; Pediatria", cep="01310-100",
                                             contact_email="Ana@Example.com.br")])
    assert result.findings == []
    values = record(result, 2).values
    assert values["account_number"] == GOOD_CNPJ
    assert values["type"] == "COMPANY" and values["contact_type"] == "DOCTOR"
    assert values["qualifications"] == ["Cardiologia", "Pediatria"]
    assert values["cep"] in ("01310100", "01310-100")
    assert "phone" not in values and "city" not in values
    assert record(result, 2).valid


def test_mandatory_cells(tmp_path):
    row = account_row(None, "  ", None, None, None, city="Recife")
    result = validate(tmp_path, [row, account_row(GOOD_CNPJ)])
    assert cells(result) == {(2, c) for c in "ABCDE"}
    assert {f.code for f in result.findings} == {"required"}
    assert at(result, 2, "D")[0].message == "Portfolio is mandatory"
    assert not record(result, 2).valid and record(result, 3).valid


def test_mandatory_in_portuguese(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ, portfolio=None)], lang="pt-BR")
    assert [f.message for f in result.findings] == ["Carteira: preenchimento obrigatório"]


def test_contact_type_is_mandatory_when_contact_name_is_filled(tmp_path):
    result = validate(tmp_path, [
        account_row(GOOD_CNPJ, contact_name="Dra. Ana"),
        account_row(cnpj("223334440001"), contact_name="Dra. Ana", contact_type="SECRETARY"),
        account_row(cnpj("334445550001"), contact_type="DOCTOR", contact_email="a@b.com.br"),
    ])
    assert codes_at(result, 2, "G") == ["required_with"]
    assert "Contact Name" in at(result, 2, "G")[0].message
    assert at(result, 3, "G") == []
    assert codes_at(result, 4, "G") == ["contact_data_without_name"]
    assert codes_at(result, 4, "I") == ["contact_data_without_name"]
    assert cells(result) == {(2, "G")}
    assert "contact_type" not in record(result, 4).values


def test_a_contact_name_without_a_contact_type_column(tmp_path):
    """A profile's export may leave Contact Type out: a row naming a contact is then an error on its Contact
    Name cell (the contact could not be created), not a plan the database refuses."""
    header = ["Account Number", "Account Name", "Account Type", "Portfolio", "UF", "Contact Name"]
    rows = [[GOOD_CNPJ, "Clínica X", "COMPANY", "agent.sp1", "SP", "Ana Souza"],
            [cnpj("223334440001"), "Clínica Y", "COMPANY", "agent.sp1", "SP", None]]
    result = validate(tmp_path, rows, header=header)
    assert codes_at(result, 2, "F") == ["required_column_with"] and cells(result) == {(2, "F")}
    assert "no Contact Type column" in at(result, 2, "F")[0].message


@pytest.mark.parametrize("type_,number", [
    ("MEDICAL", "123456/SP"), ("MEDICAL", "CRM-SP 123456"), ("MEDICAL", "crm/sp 123456"), ("MEDICAL", "SP123456"),
    ("COMPANY", GOOD_CNPJ), ("INSURANCE", GOOD_CNPJ), ("company", GOOD_CNPJ),
])
def test_account_number_matching_the_type(tmp_path, type_, number):
    result = validate(tmp_path, [account_row(number, type_=type_)])
    assert result.errors == []
    expected = "123456/SP" if type_ == "MEDICAL" else GOOD_CNPJ
    assert record(result, 2).values["account_number"] == expected


def test_alphanumeric_cnpj(tmp_path):
    number = cnpj("12ABC34501DE")
    result = validate(tmp_path, [account_row(number.lower())])
    assert result.errors == []
    assert record(result, 2).values["account_number"] == number


@pytest.mark.parametrize("type_,number", [("MEDICAL", GOOD_CNPJ), ("COMPANY", "123456/SP"), ("INSURANCE", "123456/SP")])
def test_account_number_of_the_other_kind(tmp_path, type_, number):
    result = validate(tmp_path, [account_row(number, type_=type_)])
    assert codes_at(result, 2, "A") == ["account_number_type_mismatch"]
    assert type_ in at(result, 2, "A")[0].message


def test_cnpj_check_digits_message_shows_the_expected_digits(tmp_path):
    wrong = GOOD_CNPJ[:12] + ("00" if GOOD_CNPJ[12:] != "00" else "11")
    result = validate(tmp_path, [account_row(wrong), account_row(GOOD_CNPJ)])
    assert cells(result) == {(2, "A")}
    assert GOOD_CNPJ[12:] in at(result, 2, "A")[0].message


def test_crm_without_uf_takes_the_rows_uf(tmp_path):
    result = validate(tmp_path, [account_row("123456", type_="MEDICAL", uf="PR")])
    assert result.errors == []
    assert codes_at(result, 2, "A") == ["crm_uf_from_row"]
    assert record(result, 2).values["account_number"] == "123456/PR"


def test_numbers_typed_as_numbers_are_restored_with_a_warning(tmp_path):
    short = cnpj("012223330001")  # a leading zero Excel drops
    path = write_xlsx(tmp_path / "a.xlsx", [account_row(), account_row(type_="MEDICAL", uf="RJ"),
                                            account_row(cep="x")])
    book = openpyxl.load_workbook(path)
    ws = book["Accounts"]
    ws["A2"] = int(short)
    ws["A3"] = 654321
    ws["A4"] = int(GOOD_CNPJ)
    ws["L4"] = 1310100  # CEP 01310-100 typed as a number
    book.save(path)
    result = validate_cells(read_table(path, ACCOUNTS))
    assert result.errors == []
    assert codes_at(result, 2, "A") == ["cnpj_restored_from_number"]
    assert record(result, 2).values["account_number"] == short
    assert codes_at(result, 3, "A") == ["crm_restored_from_number"]
    assert record(result, 3).values["account_number"] == "654321/RJ"
    assert codes_at(result, 4, "A") == []
    assert codes_at(result, 4, "L") == ["cep_restored_from_number"]
    ws["L4"] = 1310  # a number that would need four zeros is no CEP, not 00001-310
    book.save(path)
    result = validate_cells(read_table(path, ACCOUNTS))
    assert codes_at(result, 4, "L") == ["cep_invalid"] and record(result, 4).values.get("cep") is None


@pytest.mark.parametrize("column,field,bad,good,code", [
    ("C", "type_", "MEDICL", "medical", "account_type_invalid"),
    ("E", "uf", "PS", "sp", "uf_invalid"),
    ("G", "contact_type", "DOCTER", "doctor", "contact_type_invalid"),
])
def test_enumerations_case_insensitive_with_a_suggestion(tmp_path, column, field, bad, good, code):
    def row(number, value):
        values = {"type_": "MEDICAL", **({"contact_name": "Ana"} if field == "contact_type" else {}), field: value}
        return account_row(number, **values)

    number = "123456/SP"
    result = validate(tmp_path, [row(number, bad), row("654321/SP", good)])
    assert codes_at(result, 2, column) == [code]
    assert "Did you mean" in at(result, 2, column)[0].message
    assert cells(result) == {(2, column)}
    result_pt = validate(tmp_path, [row(number, bad)], lang="pt-BR")
    assert "Você quis dizer" in at(result_pt, 2, column)[0].message


def test_enumeration_far_miss_has_no_suggestion(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ, type_="XYZXYZXYZ")])
    assert codes_at(result, 2, "C") == ["account_type_invalid"]
    assert "Did you mean" not in at(result, 2, "C")[0].message


@pytest.mark.parametrize("text", ["Without Portfolio", "without portfolio", "Sem Carteira", " SEM CARTEIRA "])
def test_without_portfolio(tmp_path, text):
    result = validate(tmp_path, [account_row(GOOD_CNPJ, portfolio=text)])
    assert result.errors == []
    assert record(result, 2).values["portfolio"] is None


@pytest.mark.parametrize("column,field,good,bad", [
    ("N", "email", "contato@example.com.br", "contato@"),
    ("M", "phone", "(11) 91234-5678", "12"),
    ("L", "cep", "01310-100", "0131"),
])
def test_email_phone_cep(tmp_path, column, field, good, bad):
    result = validate(tmp_path, [account_row(GOOD_CNPJ, **{field: bad}),
                                 account_row(cnpj("223334440001"), **{field: good})])
    assert cells(result) == {(2, column)}
    assert field not in record(result, 2).values and field in record(result, 3).values


def test_dates(tmp_path):
    rows = [contact_row(birth_date=dt.date(1980, 12, 25)), contact_row("654321/SP", birth_date="25/12/1980"),
            contact_row("111111/SP", birth_date="31/02/1980"), contact_row("222222/SP", birth_date="ontem")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert record(result, 2).values["birth_date"] == dt.date(1980, 12, 25)
    assert record(result, 3).values["birth_date"] == dt.date(1980, 12, 25)
    assert cells(result) == {(4, "H"), (5, "H")}


def test_a_birth_date_is_from_1900_to_today(tmp_path):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    rows = [contact_row(birth_date="01/01/1900"), contact_row("654321/SP", birth_date="31/12/1899"),
            contact_row("111111/SP", birth_date=dt.datetime(2090, 1, 1)), contact_row("222222/SP", birth_date=tomorrow),
            contact_row("333333/SP", birth_date="01/01/0001")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert record(result, 2).values["birth_date"] == dt.date(1900, 1, 1)
    assert [codes_at(result, row, "H") for row in (3, 4, 5, 6)] == [
        ["birth_date_too_early"], ["birth_date_in_future"], ["birth_date_in_future"], ["birth_date_too_early"]]
    assert "01/01/0001 is before 01/01/1900" in next(f.message for f in result.errors if f.row == 6)


def test_identifier_repeats_the_account_number(tmp_path):
    rows = [contact_row("123456/SP", identifier="CRM-SP 123456"), contact_row("654321/SP", identifier="654322/SP")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert cells(result) == {(3, "C")}
    assert codes_at(result, 3, "C") == ["identifier_mismatch"]
    assert record(result, 2).values["identifier"] == "123456/SP"


def test_qualifications_only_on_doctors(tmp_path):
    rows = [contact_row(type_="SECRETARY", qualifications="Cardiologia"),
            contact_row("654321/SP", qualifications="Cardiologia")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert codes_at(result, 2, "E") == ["qualifications_not_doctor"]
    assert at(result, 2, "E")[0].severity == "warning"
    assert "qualifications" not in record(result, 2).values
    assert record(result, 3).values["qualifications"] == ["Cardiologia"]
    assert result.errors == []


def test_too_long(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ, name="x" * 201), account_row(cnpj("223334440001"),
                                                                                     name="x" * 200)])
    assert codes_at(result, 2, "B") == ["too_long"]
    assert cells(result) == {(2, "B")}


def test_a_well_formed_email_too_long_for_the_database(tmp_path):
    long = "a" * 240 + "@example.com.br"  # 255 characters fit, 256 do not
    result = validate(tmp_path, [account_row(GOOD_CNPJ, email=long + "x"), account_row(cnpj("223334440001"), email=long)])
    assert codes_at(result, 2, "N") == ["too_long"] and cells(result) == {(2, "N")}
    assert record(result, 3).values["email"] == long


def test_duplicate_accounts_point_at_the_first(tmp_path):
    rows = [account_row(GOOD_CNPJ), account_row(cnpj("223334440001")),
            account_row(GOOD_CNPJ[:2] + "." + GOOD_CNPJ[2:5] + "." + GOOD_CNPJ[5:8] + "/" + GOOD_CNPJ[8:12] + "-"
                        + GOOD_CNPJ[12:]), account_row(GOOD_CNPJ)]
    result = validate(tmp_path, rows)
    assert cells(result) == {(4, "A"), (5, "A")}
    assert all("row 2" in f.message for f in result.errors)
    assert [r.valid for r in result.records] == [True, True, False, False]


def test_duplicate_contacts_same_identifier_and_normalised_name(tmp_path):
    rows = [contact_row(name="Dr. João Lima"), contact_row(name="dr.  joao lima"), contact_row(name="Dra. Ana"),
            contact_row("654321/SP", name="Dr. João Lima")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert cells(result) == {(2, "B"), (3, "B")}  # spelled otherwise: which one to take would be a guess
    assert codes_at(result, 3, "B") == ["duplicate_contact"] and codes_at(result, 2, "B") == ["duplicate_differs"]
    assert "row 2" in at(result, 3, "B")[0].message and "Row 3" in at(result, 2, "B")[0].message


def test_the_first_of_duplicate_rows_with_other_values_is_an_error_too(tmp_path):
    rows = [account_row(GOOD_CNPJ, name="Primeiro Nome"), account_row(GOOD_CNPJ, name="Nome Corrigido"),
            account_row(cnpj("223334440001")), account_row(cnpj("223334440001"))]
    result = validate(tmp_path, rows)
    assert cells(result) == {(2, "A"), (3, "A"), (5, "A")}  # rows 4 and 5 are the same: row 4 is kept
    assert [r.valid for r in result.records] == [False, False, True, False]


def test_blank_rows_are_not_counted(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ), [None] * 14, ["  "] * 14, account_row(cnpj("223334440001"))])
    assert result.rows == 2 and result.errors == []


def test_export_keys(tmp_path):
    result = validate(tmp_path, [account_row(GOOD_CNPJ), account_row(cnpj("223334440001")), account_row("1/SP",
                                                                                                      type_="MEDICAL")],
                      hidden_keys=[(17, 3), ("17.5", "x"), (None, None)])
    assert (record(result, 2).key_id, record(result, 2).key_version) == (17, 3)
    assert [f.code for f in result.findings if f.row == 3] == ["export_key_invalid"]
    assert codes_at(result, 3, "O") == ["export_key_invalid"]  # the hidden crmxl:id cell at fault, named
    assert record(result, 4).key_id is None


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_fast_name_key_equals_normalize_on_ascii(name):
    assert name_key(name) == normalize(name)


@given(st.text())
def test_name_key_equals_normalize(name):
    assert name_key(name) == normalize(name)


def test_a_date_cell_in_a_text_column_is_stored_as_its_text_with_a_warning(tmp_path):
    rows = [contact_row(name=dt.datetime(2020, 1, 1)), contact_row("654321/SP", name="Dra. Ana")]
    result = validate(tmp_path, rows, tpl=CONTACTS)
    assert codes_at(result, 2, "B") == ["date_in_text"] and record(result, 2).values["name"] == "01/01/2020"
    assert "'01/01/2020'" in at(result, 2, "B")[0].message and result.errors == []
