"""CNPJ, CRM and account numbers: every accepted spelling, every rejection, and properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.br import cnpj as stdnum_cnpj

from crmxl.domain import (
    UFS,
    AccountType,
    FieldError,
    cnpj_check_digits,
    cnpj_from_number,
    detect_account_number,
    display_account_number,
    format_cnpj,
    is_valid_cnpj,
    parse_account_number,
    parse_cnpj,
    parse_crm,
)

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def code_of(call) -> str:
    with pytest.raises(FieldError) as info:
        call()
    return info.value.code


@st.composite
def cnpjs(draw, alphanumeric: bool | None = None):
    alpha = draw(st.booleans()) if alphanumeric is None else alphanumeric
    base = draw(st.text(alphabet=ALNUM if alpha else "0123456789", min_size=12, max_size=12))
    if base == base[0] * 12:
        base = "1" + base[1:] if base[0] != "1" else "2" + base[1:]
    return base + cnpj_check_digits(base)


@pytest.mark.parametrize("text, compact", [
    ("11.222.333/0001-81", "11222333000181"),
    ("11222333000181", "11222333000181"),
    (" 11 222 333 0001 81 ", "11222333000181"),
    ("12.ABC.345/01DE-35", "12ABC34501DE35"),
    ("12.abc.345/01de-35", "12ABC34501DE35"),
])
def test_cnpj_spellings(text, compact):
    assert parse_cnpj(text) == compact


@pytest.mark.parametrize("text, code", [
    ("", "cnpj_empty"),
    ("11.222.333/0001-8", "cnpj_length"),
    ("11.222.333/0001-8A", "cnpj_characters"),
    ("11.2#2.333/0001-81", "cnpj_characters"),
    ("11.222.333/0001-80", "cnpj_checksum"),
    ("00000000000000", "cnpj_invalid"),
])
def test_cnpj_rejections(text, code):
    assert code_of(lambda: parse_cnpj(text)) == code


@pytest.mark.parametrize("text, character", [("12.ABC.345/01DÉ-35", "É"), ("11.222.333/0001-8l", "l"),
                                             ("11.2#2.333/0001-81", "#")])
def test_a_bad_cnpj_character_is_named_as_typed(text, character):
    with pytest.raises(FieldError) as info:
        parse_cnpj(text)
    assert info.value.params["character"] == character


def test_cnpj_checksum_message_names_the_expected_digits_in_both_languages():
    with pytest.raises(FieldError) as info:
        parse_cnpj("11222333000180")
    assert str(info.value) == "CNPJ 11.222.333/0001-80: check digits should be 81"
    assert info.value.render("pt-BR") == "CNPJ 11.222.333/0001-80: os dígitos verificadores deveriam ser 81"


def test_cnpj_from_an_excel_number_gets_its_zeros_back():
    assert cnpj_from_number(191.0) == "00000000000191"
    assert is_valid_cnpj(cnpj_from_number(191))
    assert code_of(lambda: cnpj_from_number(1.5)) == "cnpj_number_not_integer"
    assert code_of(lambda: cnpj_from_number(10**15)) == "cnpj_length"


@given(cnpjs())
def test_cnpj_format_parse_round_trip(number):
    assert parse_cnpj(format_cnpj(number)) == number
    assert parse_cnpj(format_cnpj(number).lower()) == number
    assert stdnum_cnpj.is_valid(number)


@given(cnpjs(), st.integers(min_value=0, max_value=13), st.sampled_from("0123456789"))
def test_one_changed_digit_is_caught(number, position, replacement):
    # The algorithm's limits: mod 11 cannot see a letter swapped for a character 11 codes away ('9' -> 'D'),
    # and remainders 0 and 1 both give the check digit 0, so now and then a change keeps both digits
    # (e.g. 96512269418600 -> 06512269418600). python-stdnum, the reference, agrees on every case.
    assume(number[position].isdigit())
    changed = number[:position] + replacement + number[position + 1:]
    if changed == number:
        return
    assert is_valid_cnpj(changed) == stdnum_cnpj.is_valid(changed)
    if not _remainder_collapse(changed):
        assert not is_valid_cnpj(changed)


def _remainder_collapse(number: str) -> bool:
    """True when a check digit of ``number`` is 0 from a remainder of 1 (the other remainder that gives 0)."""
    values = [ord(c) - 48 for c in number]
    first = sum(v * w for v, w in zip(values[:12], (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))) % 11
    second = sum(v * w for v, w in zip(values[:13], (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2))) % 11
    return first in (0, 1) or second in (0, 1)


def test_a_change_the_remainder_rule_cannot_see():
    assert is_valid_cnpj("96512269418600") and is_valid_cnpj("06512269418600")


@pytest.mark.parametrize("text", [
    "123456/SP", "123456-SP", "123456 SP", "123456sp", "CRM-SP 123456", "CRM/SP 123456", "CRM SP 123456",
    "crm-sp 123456", "SP123456", "SP-123456", "0123456/SP", "  123456 / sp  ",
])
def test_crm_spellings(text):
    assert parse_crm(text) == "123456/SP"


@pytest.mark.parametrize("text, code", [
    ("", "crm_empty"),
    ("CRM/SP", "crm_no_digits"),
    ("12345678/SP", "crm_too_long"),
    ("123456/XX", "crm_unknown_uf"),
    ("123456", "crm_missing_uf"),
    ("12-34-56/SP", "crm_format"),
    ("000/SP", "crm_zero"),
])
def test_crm_rejections(text, code):
    assert code_of(lambda: parse_crm(text)) == code


def test_crm_digits_only_take_the_row_uf_and_unknown_uf_gets_a_suggestion():
    assert parse_crm("98765", default_uf="rj") == "98765/RJ"
    with pytest.raises(FieldError) as info:
        parse_crm("123456/SO")
    assert "did you mean" in str(info.value)


@settings(max_examples=300)
@given(st.integers(min_value=1, max_value=9_999_999), st.sampled_from(UFS),
       st.sampled_from(["{n}/{uf}", "{n}-{uf}", "CRM-{uf} {n}", "CRM/{uf} {n}", "{uf}{n}", "{n} {uf}"]),
       st.booleans())
def test_crm_every_uf_and_spelling_round_trips(number, uf, spelling, lower):
    text = spelling.format(n=number, uf=uf)
    canonical = parse_crm(text.lower() if lower else text)
    assert canonical == f"{number}/{uf}"
    assert parse_crm(canonical) == canonical


def test_account_numbers_follow_the_account_type():
    assert parse_account_number("CRM/SP 123", AccountType.MEDICAL) == "123/SP"
    assert parse_account_number("11.222.333/0001-81", AccountType.COMPANY) == "11222333000181"
    assert parse_account_number("11.222.333/0001-81", AccountType.INSURANCE) == "11222333000181"
    assert code_of(lambda: parse_account_number("11.222.333/0001-81", AccountType.MEDICAL)) == \
        "account_number_type_mismatch"
    assert code_of(lambda: parse_account_number("123456/SP", AccountType.COMPANY)) == "account_number_type_mismatch"
    assert code_of(lambda: parse_account_number("11.222.333/0001-80", AccountType.COMPANY)) == "cnpj_checksum"


def test_detect_and_display():
    assert detect_account_number("SP 123") == ("CRM", "123/SP")
    assert detect_account_number("12.abc.345/01de-35") == ("CNPJ", "12ABC34501DE35")
    assert code_of(lambda: detect_account_number("11.222.333/0001-80")) == "cnpj_checksum"
    # a valid alphanumeric CNPJ whose first letters are a UF is not a CRM with zeros in front
    number = "SP0000012345" + cnpj_check_digits("SP0000012345")
    assert detect_account_number(number) == ("CNPJ", number)
    assert detect_account_number("SP0000012345") == ("CRM", "12345/SP")
    assert display_account_number("12ABC34501DE35") == "12.ABC.345/01DE-35"
    assert display_account_number("123/SP") == "123/SP"
