"""Enumerations, the specialties registry and the Brazilian cell formats."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmxl.domain import (
    AccountType,
    ContactType,
    FieldError,
    SpecialtyRegistry,
    default_specialties,
    format_date,
    is_without_portfolio,
    normalize,
    parse_cep,
    parse_date,
    parse_decimal,
    parse_email,
    parse_enum,
    parse_phone,
    parse_uf,
)

SPECIALTIES = default_specialties()
REGISTRY = SpecialtyRegistry(SPECIALTIES)


def code_of(call) -> str:
    with pytest.raises(FieldError) as info:
        call()
    return info.value.code


def test_registry_holds_the_55_specialties():
    assert len(SPECIALTIES) == 55 == len(set(SPECIALTIES))
    assert "Cardiologia" in SPECIALTIES and "Medicina de Família e Comunidade" in SPECIALTIES


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@pytest.mark.parametrize("name", SPECIALTIES)
def test_every_specialty_matches_ignoring_case_accents_and_spaces(name):
    assert REGISTRY.match(name) == name
    assert REGISTRY.match(name.upper()) == name
    assert REGISTRY.match("  " + _strip_accents(name).lower().replace(" ", "   ") + " ") == name


@pytest.mark.parametrize("typo, expected", [
    ("Cardiolgia", "Cardiologia"), ("Dermatolojia", "Dermatologia"), ("Pediatra", "Pediatria"),
    ("Ortopedia", "Ortopedia e Traumatologia"), ("neurologia", "Neurologia"),
    # the name that begins with it, or holds its words, before a spelling that is only close
    ("Ginecologia", "Ginecologia e Obstetrícia"), ("Endocrinologia", "Endocrinologia e Metabologia"),
    ("Medicina Laboratorial", "Patologia Clínica/Medicina Laboratorial"),
    ("Patologia Clinica", "Patologia Clínica/Medicina Laboratorial"), ("Cardiologia / Pediatria", "Cardiologia; Pediatria"),
])
def test_near_misses_get_a_suggestion(typo, expected):
    if REGISTRY.match(typo):
        assert REGISTRY.match(typo) == expected
    else:
        assert REGISTRY.suggest(typo) == expected


def test_a_name_that_begins_many_gets_no_guess():
    assert REGISTRY.suggest("Cirurgia") is None  # Cirurgia Geral, Cirurgia Plástica, ...: not Neurocirurgia


def test_spaces_around_a_slash_do_not_matter_and_commas_get_the_separator_suggested():
    assert REGISTRY.match("patologia clinica / medicina laboratorial") == "Patologia Clínica/Medicina Laboratorial"
    assert REGISTRY.match("Cardiologia, Pediatria") is None
    assert REGISTRY.suggest("cardiologia, pediatria") == "Cardiologia; Pediatria"


def test_parse_list_splits_dedups_and_reports_unknowns():
    names, errors = REGISTRY.parse_list("cardiologia; ; CARDIOLOGIA ;Clinica Medica; Xyzzy; Dermatolgia")
    assert names == ["Cardiologia", "Clínica Médica"]
    assert [e.params["value"] for e in errors] == ["Xyzzy", "Dermatolgia"]
    assert errors[0].params["suggestion"] is None
    assert "did you mean Dermatologia?" in str(errors[1])
    assert "você quis dizer Dermatologia?" in errors[1].render("pt-BR")


def test_enums_accept_english_and_portuguese_and_suggest():
    assert parse_enum(AccountType, " medical ") == AccountType.MEDICAL
    assert parse_enum(AccountType, "Convênio") == AccountType.INSURANCE
    assert parse_enum(ContactType, "SECRETÁRIA") == ContactType.SECRETARY
    with pytest.raises(FieldError) as info:
        parse_enum(ContactType, "DOCTR")
    assert info.value.code == "enum_invalid" and info.value.params["suggestion"] == "DOCTOR"
    assert parse_uf(" sp ") == "SP"
    assert code_of(lambda: parse_uf("XP")) == "uf_invalid"
    assert all(is_without_portfolio(v) for v in ("Without Portfolio", "without  portfolio", "SEM CARTEIRA"))
    assert not is_without_portfolio("agent.sp1")


@pytest.mark.parametrize("value, expected", [
    ("(11) 91234-5678", "(11) 91234-5678"), ("+55 11 91234-5678", "(11) 91234-5678"),
    ("11912345678", "(11) 91234-5678"), (11912345678.0, "(11) 91234-5678"), ("(21) 3123-4567", "(21) 3123-4567"),
    ("0 11 3123 4567", "(11) 3123-4567"), ("0800 123 4567", "0800 123 4567"), ("0800-1234567", "0800 123 4567"),
    ("4004-1234", "4004-1234"), ("3003 1234", "3003-1234"),
])
def test_phones(value, expected):
    assert parse_phone(value) == expected


@pytest.mark.parametrize("value", [
    "12345", "(11) 81234-5678", "(10) 91234-5678", "+1 212 555 0100", "abc",
    # never cut down to the digits it holds: an extension, a letter, a name, a number too short
    "3123-4567 ramal 11", "3123-4567 r.21", "(11) 9123A-5678", "(11) 91234-567", "(11) 91234-5678 Ana",
    "CEL 11 9 8765 4321 WhatsApp", "(11) 1234-5678", "(11) 9123-4567", "(11) 7123-4567", "0800 123 456",
])
def test_bad_phones(value):
    assert code_of(lambda: parse_phone(value)) == "phone_invalid"


def test_cep_email_date_decimal():
    assert parse_cep("01310-100") == parse_cep("01310100") == parse_cep(1310100.0) == "01310-100"
    assert parse_cep("01.310-100") == parse_cep("01310 100") == "01310-100"
    for bad in ("1310-10", "00000-000", "00999-999", "1310100.5", "01310-1000", "01310_100", 1, 1310, 131010):
        assert code_of(lambda b=bad: parse_cep(b)) == "cep_invalid", bad
    assert parse_email("Ana.Souza@Example.COM.br") == "Ana.Souza@example.com.br"
    assert parse_email("ana@Exámple.com.br") == "ana@exámple.com.br"  # a domain in another script
    for bad in ("ana", "ana@", "ana@example", "a b@example.com", "ana@@example.com", ".ana@example.com",
                "ana.@example.com", "a@b@example.com"):
        assert code_of(lambda b=bad: parse_email(b)) == "email_invalid"
    assert parse_date("25/12/1980") == dt.date(1980, 12, 25)
    assert parse_date("5/1/1980") == dt.date(1980, 1, 5)
    assert parse_date(dt.datetime(1980, 12, 25, 0, 0)) == dt.date(1980, 12, 25)
    for bad in ("31/02/2020", "12/25/1980", "1980-12-25", "25-12-1980"):
        assert code_of(lambda b=bad: parse_date(b)) == "date_invalid"
    assert parse_decimal("1.234,56") == Decimal("1234.56")
    assert parse_decimal("10,5") == Decimal("10.5")
    assert code_of(lambda: parse_decimal("1,234.56")) == "decimal_invalid"


@given(st.dates())
def test_dates_round_trip_in_brazilian_order(day):
    assert parse_date(format_date(day)) == day  # years before 1000 too (strftime writes 80 for the year 80)


@given(st.text())
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)
