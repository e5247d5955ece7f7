"""Rules against the database (``check_against``) on plain ``ReferenceData``, and ``resolve_contact``."""

from __future__ import annotations

import pytest

from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.validation import AmbiguousContact, check_against, resolve_contact, validate_cells
from crmxl.validation.model import ExistingAccount, ExistingContact, ReferenceData
from crmxl.workbook.reader import read_table
from tests.validation.builders import account_row, cnpj, contact_row, registry, write_xlsx

CNPJ_A = cnpj("112223330001")
CNPJ_B = cnpj("223334440001")
LOGINS = {"agent.sp1": "agent", "agent.sp2": "agent", "agent.ba1": "agent", "mgr.south": "manager"}


def account(id_, number, type_="COMPANY", owner="agent.sp1", version=1):
    return ExistingAccount(id_, number, type_, owner, version, {"name": f"Account {id_}", "uf": "SP"})


def contact(id_, account_id, identifier, name, version=1, type_="DOCTOR"):
    return ExistingContact(id_, account_id, identifier, name, version, {"type": type_})


def reference(*, allowed=frozenset({"agent.sp1", "agent.sp2"}), without=True, accounts=(), contacts=()):
    by_identifier: dict[str, list[ExistingContact]] = {}
    for c in contacts:
        by_identifier.setdefault(c.identifier, []).append(c)
    return ReferenceData(agent_logins=dict(LOGINS), allowed_portfolios=allowed, may_use_without_portfolio=without,
                         registry=registry(), accounts={a.number: a for a in accounts}, contacts=by_identifier)


def check(tmp_path, rows, ref, tpl=ACCOUNTS, lang="en", allow_transfers=False, **kwargs):
    path = write_xlsx(tmp_path / f"{tpl.id}.xlsx", rows, tpl=tpl, lang=lang, **kwargs)
    result = validate_cells(read_table(path, tpl), lang=lang)
    returned = check_against(result, ref, lang=lang, allow_transfers=allow_transfers)
    assert returned is result
    return result


def at(result, row, column):
    return [f for f in result.findings if (f.row, f.column) == (row, column)]


def codes_at(result, row, column):
    return [f.code for f in at(result, row, column)]


def errors(result):
    return {(f.row, f.column, f.code) for f in result.errors}


def record(result, row):
    return next(r for r in result.records if r.row == row)


def test_portfolio_logins(tmp_path):
    rows = [account_row(CNPJ_A, portfolio="AGENT.SP1"), account_row(CNPJ_B, portfolio="agent.sp9"),
            account_row(cnpj("334445550001"), portfolio="agent.ba1"),
            account_row(cnpj("445556660001"), portfolio="Sem Carteira")]
    result = check(tmp_path, rows, reference())
    assert record(result, 2).values["portfolio"] == "agent.sp1" and record(result, 2).valid
    assert codes_at(result, 3, "D") == ["portfolio_unknown"]
    assert "Did you mean agent.sp1?" in at(result, 3, "D")[0].message or "Did you mean" in at(result, 3, "D")[0].message
    assert codes_at(result, 4, "D") == ["portfolio_not_allowed"]
    assert record(result, 5).valid and record(result, 5).values["portfolio"] is None
    assert {r.row for r in result.records if not r.valid} == {3, 4}


def test_admin_may_use_any_portfolio(tmp_path):
    result = check(tmp_path, [account_row(CNPJ_A, portfolio="agent.ba1")], reference(allowed=None))
    assert result.findings == []


def test_without_portfolio_needs_the_right(tmp_path):
    result = check(tmp_path, [account_row(CNPJ_A, portfolio="Without Portfolio")], reference(without=False))
    assert codes_at(result, 2, "D") == ["without_portfolio_not_allowed"]
    # an account already without one is not the user's to edit: not 'you may not make accounts inactive'
    inactive = reference(without=False, accounts=[account(1, CNPJ_A, owner=None)])
    result = check(tmp_path, [account_row(CNPJ_A, portfolio="Without Portfolio")], inactive)
    assert codes_at(result, 2, "D") == ["account_in_foreign_portfolio"]
    assert "is in the portfolio Without Portfolio" in at(result, 2, "D")[0].message


def test_transfers_need_allow_transfers(tmp_path):
    ref = reference(accounts=[account(1, CNPJ_A, owner="agent.sp1"), account(2, CNPJ_B, owner="agent.sp2")])
    rows = [account_row(CNPJ_A, portfolio="agent.sp2"), account_row(CNPJ_B, portfolio="agent.sp2")]
    result = check(tmp_path, rows, ref)
    assert errors(result) == {(2, "D", "portfolio_transfer")}
    assert "agent.sp1" in at(result, 2, "D")[0].message and "agent.sp2" in at(result, 2, "D")[0].message
    assert check(tmp_path, rows, ref, allow_transfers=True).errors == []


def test_taking_an_account_from_a_foreign_portfolio(tmp_path):
    ref = reference(accounts=[account(1, CNPJ_A, owner="agent.ba1")])
    result = check(tmp_path, [account_row(CNPJ_A, portfolio="agent.sp1")], ref, allow_transfers=True)
    assert codes_at(result, 2, "D") == ["account_in_foreign_portfolio"]


def test_existing_account_with_another_type(tmp_path):
    ref = reference(accounts=[account(1, CNPJ_A, type_="INSURANCE")])
    result = check(tmp_path, [account_row(CNPJ_A, type_="COMPANY")], ref)
    assert codes_at(result, 2, "C") == ["account_type_changed"]
    assert "INSURANCE" in at(result, 2, "C")[0].message
    assert check(tmp_path, [account_row(CNPJ_A, type_="INSURANCE")], ref).errors == []


def test_qualifications_against_the_registry(tmp_path):
    rows = [contact_row(qualifications="cardiologia;  PEDIATRIA"), contact_row("654321/SP", qualifications="Cardiologa")]
    ref = reference(accounts=[account(1, "123456/SP", "MEDICAL"), account(2, "654321/SP", "MEDICAL")])
    result = check(tmp_path, rows, ref, tpl=CONTACTS)
    assert record(result, 2).values["qualifications"] == ["Cardiologia", "Pediatria"]
    assert codes_at(result, 3, "E") == ["qualification_unknown"]
    assert "Did you mean Cardiologia?" in at(result, 3, "E")[0].message
    result_pt = check(tmp_path, rows, ref, tpl=CONTACTS, lang="pt-BR")
    assert "Você quis dizer Cardiologia?" in at(result_pt, 3, "E")[0].message


def test_contact_needs_an_existing_account(tmp_path):
    ref = reference(accounts=[account(1, "123456/SP", "MEDICAL")])
    result = check(tmp_path, [contact_row("123456/SP"), contact_row("654321/SP")], ref, tpl=CONTACTS)
    assert errors(result) == {(3, "A", "account_not_found")}


def test_contact_resolution():
    ana1 = contact(10, 1, "123456/SP", "Dra. Ana Souza")
    ana2 = contact(11, 1, "123456/SP", "dra. ana  souza")
    joao = contact(12, 1, "123456/SP", "Dr. João Lima")
    ref = reference(contacts=[ana1, ana2, joao])
    assert resolve_contact(ref, "123456/SP", "DR. JOAO LIMA") == joao
    assert resolve_contact(ref, "123456/SP", "Dr. Pedro") is None
    assert resolve_contact(ref, "999999/SP", "Dr. João Lima") is None
    with pytest.raises(AmbiguousContact) as info:
        resolve_contact(ref, "123456/SP", "Dra. Ana Souza")
    assert {c.id for c in info.value.candidates} == {10, 11}
    assert resolve_contact(ref, "123456/SP", "Dra. Ana Souza", key_id=11) == ana2


def test_ambiguous_contact_is_an_error_on_the_name(tmp_path):
    ref = reference(accounts=[account(1, "123456/SP", "MEDICAL")],
                    contacts=[contact(10, 1, "123456/SP", "Ana"), contact(11, 1, "123456/SP", "ANA")])
    result = check(tmp_path, [contact_row(name="ana"), contact_row(name="Beto")], ref, tpl=CONTACTS)
    assert errors(result) == {(2, "B", "contact_ambiguous")}
    accounts = check(tmp_path, [account_row("123456/SP", type_="MEDICAL", contact_name="Ana", contact_type="DOCTOR")],
                     ref)
    assert errors(accounts) == {(2, "F", "contact_ambiguous")}


def test_round_trip_conflicts_on_accounts(tmp_path):
    ref = reference(accounts=[account(1, CNPJ_A, version=3), account(2, CNPJ_B, version=5)])
    rows = [account_row(CNPJ_A), account_row(CNPJ_B), account_row(cnpj("334445550001"))]
    result = check(tmp_path, rows, ref, hidden_keys=[(1, 3), (2, 4), (99, 1)])
    assert errors(result) == {(3, "A", "version_conflict"), (4, "A", "export_row_missing")}  # on the key's cell
    assert "4" in next(f.message for f in result.errors if f.row == 3)
    swapped = check(tmp_path, [account_row(CNPJ_A)], ref, hidden_keys=[(2, 5)])
    assert errors(swapped) == {(2, "A", "export_key_mismatch")}


def test_round_trip_conflicts_on_contacts(tmp_path):
    ref = reference(accounts=[account(1, "123456/SP", "MEDICAL")],
                    contacts=[contact(10, 1, "123456/SP", "Ana", version=2), contact(11, 1, "123456/SP", "Ana B")])
    rows = [contact_row(name="Ana renamed"), contact_row(name="Ana B")]
    ok = check(tmp_path, rows, ref, tpl=CONTACTS, hidden_keys=[(10, 2), (11, 1)])
    assert ok.errors == []
    stale = check(tmp_path, rows, ref, tpl=CONTACTS, hidden_keys=[(10, 1), (11, 1)])
    assert errors(stale) == {(2, "C", "version_conflict")}
    assert not record(stale, 2).valid and record(stale, 3).valid


def test_an_exported_contact_renamed_to_another_contacts_name(tmp_path):
    """Renamed to the name of another contact of its account: two contacts would share a name (ambiguous for
    every import after). Allowed when the file renames that other contact as well (a swap)."""
    ref = reference(accounts=[account(1, "123456/SP", "MEDICAL")],
                    contacts=[contact(10, 1, "123456/SP", "Patrícia"), contact(11, 1, "123456/SP", "Helena Ferreira")])
    taken = check(tmp_path, [contact_row(name="HELENA  Ferreira")], ref, tpl=CONTACTS, hidden_keys=[(10, 1)])
    assert errors(taken) == {(2, "B", "contact_name_taken")}
    assert "Helena Ferreira" in taken.errors[0].message
    swap = [contact_row(name="Helena Ferreira"), contact_row(name="Patrícia")]
    assert check(tmp_path, swap, ref, tpl=CONTACTS, hidden_keys=[(10, 1), (11, 1)]).errors == []
    same = check(tmp_path, [contact_row(name="patrícia")], ref, tpl=CONTACTS, hidden_keys=[(10, 1)])
    assert same.errors == []  # only its case changes
