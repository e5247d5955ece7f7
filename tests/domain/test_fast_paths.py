"""The fast paths (text already in canonical form) agree with the full parsers, value for value."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmxl.domain.account_number import parse_account_number, well_formed_account_number
from crmxl.domain.cnpj import cnpj_check_digits, format_cnpj, parse_cnpj, well_formed_cnpj
from crmxl.domain.crm import canonical_crm, parse_crm
from crmxl.domain.enums import AccountType
from crmxl.domain.errors import FieldError
from crmxl.domain.formats import (
    CEP_CANONICAL,
    EMAIL_CANONICAL,
    PHONE_CANONICAL,
    parse_cep,
    parse_email,
    parse_phone,
)


def _full(parse, text):
    try:
        return parse(text)
    except FieldError:
        return None


@pytest.mark.parametrize("text, canonical", [
    ("(11) 91234-5678", True), ("(11) 3123-4567", True), ("(10) 91234-5678", False), ("(11) 81234-5678", False),
    ("(11) 0123-4567", False), ("(99) 99999-9999", True), ("11 91234-5678", False), (" (11) 3123-4567", False),
])
def test_phone_canonical_form(text, canonical):
    assert bool(PHONE_CANONICAL.fullmatch(text)) is canonical
    if canonical:
        assert parse_phone(text) == text
        assert parse_phone("".join(ch for ch in text if ch.isdigit())) == text  # the full rules agree


@given(st.from_regex(r"\([0-9][0-9]\) [0-9]{4,5}-[0-9]{4}", fullmatch=True))
@settings(max_examples=300)
def test_phone_fast_path_never_accepts_what_the_rules_refuse(text):
    digits = "".join(ch for ch in text if ch.isdigit())
    assert (PHONE_CANONICAL.fullmatch(text) is not None) == (_full(parse_phone, digits) == text)


@given(st.from_regex(r"[0-9a-zA-Z.\-_]{1,8}@[0-9a-zA-Z.\-]{1,12}", fullmatch=True))
@settings(max_examples=300)
def test_email_fast_path_agrees_with_the_rules(text):
    if EMAIL_CANONICAL.fullmatch(text):
        assert parse_email(text) == text


def test_email_with_upper_case_domain_takes_the_full_rules():
    assert EMAIL_CANONICAL.fullmatch("Ana@Example.COM") is None
    assert parse_email("Ana@Example.COM") == "Ana@example.com"
    assert EMAIL_CANONICAL.fullmatch("ana..b@example.com") is None


def test_cep_canonical_form():
    assert CEP_CANONICAL.fullmatch("01310-100") and parse_cep("01310-100") == "01310-100"
    assert parse_cep("01310100") == "01310-100"


def test_well_formed_cnpj_agrees_with_the_full_rules():
    rng = random.Random(5)
    for i in range(2000):
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if i % 3 == 0 else "0123456789"
        base = "".join(rng.choice(alphabet) for _ in range(12))
        good = base + cnpj_check_digits(base)
        bad = base + f"{(int(good[12:]) + 1 + i % 98) % 100:02d}"
        for number in (good, bad):
            for text in (number, format_cnpj(number)):
                assert well_formed_cnpj(text) == _full(parse_cnpj, text), text
    assert well_formed_cnpj("00.000.000/0000-00") is None
    with pytest.raises(FieldError):
        parse_cnpj("00.000.000/0000-00")


@pytest.mark.parametrize("text, expected", [
    ("123456/SP", "123456/SP"), ("1/AC", "1/AC"), ("0123/SP", None), ("123/XX", None), ("12345678/SP", None),
    ("123456-SP", None),
])
def test_canonical_crm(text, expected):
    assert canonical_crm(text) == expected
    if expected:
        assert parse_crm(text) == expected


def test_well_formed_account_number_follows_the_type():
    cnpj = "11222333000181"
    assert well_formed_account_number(format_cnpj(cnpj), "COMPANY") == cnpj
    assert well_formed_account_number(format_cnpj(cnpj), "MEDICAL") is None
    assert well_formed_account_number("123/SP", "COMPANY") is None
    assert well_formed_account_number("123/SP", "MEDICAL") == parse_account_number("123/SP", AccountType.MEDICAL)
