"""Planning an import against the demo database (SQLite and PostgreSQL): the diff, moves, contacts, rights."""

from __future__ import annotations

import pickle


from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services.imports import Move, commit_import, plan_as_json, plan_import
from tests.conftest import table_dump
from tests.services.import_files import actor, contacts_of, demo_accounts, first_row, workbook
from tests.validation.builders import cnpj

NEW_CNPJ = cnpj("998877660001")


def plan_rows(db, tmp_path, rows, login="admin", tpl_id="accounts", keys=None, **kwargs):
    tpl = CONTACTS if tpl_id == "contacts" else ACCOUNTS
    path = workbook(tmp_path / f"{tpl_id}.xlsx", rows, keys=keys, tpl=tpl)
    return plan_import(db, actor(db, login), path, tpl_id, **kwargs), first_row(path, tpl)


def codes(plan, row):
    return sorted(f.code for f in plan.result.findings if f.row == row and f.severity == "error")


def test_plan_diff_moves_and_contacts(db, demo_db, tmp_path):
    a, b, c = demo_accounts(demo_db.url, "agent.sp1", 3)
    doctor = contacts_of(demo_db.url, a["account_number"])[0]
    rows = [
        {**a, "name": a["name"] + " Filho", "city": "Campinas", "contact_name": doctor.name,
         "contact_type": "DOCTOR", "qualifications": "cardiologia; Pediatria", "contact_email": "novo@example.com.br"},
        b,
        {**c, "portfolio": "agent.sp2"},
        {"account_number": NEW_CNPJ, "name": "Clínica Nova", "type": "COMPANY", "portfolio": "Without Portfolio",
         "uf": "PR", "contact_name": "Rosa Prado", "contact_type": "OTHERS", "contact_email": "rosa@example.com.br"},
    ]
    before = table_dump(demo_db.url)
    plan, first = plan_rows(db, tmp_path, rows, allow_transfers=True)
    assert table_dump(demo_db.url) == before
    assert not plan.has_errors, plan.result.findings
    assert plan.counts() == {"accounts_create": 1, "accounts_update": 2, "accounts_unchanged": 1,
                             "portfolio_moves": 1, "contacts_create": 1, "contacts_update": 1,
                             "contacts_unchanged": 0}
    update_a, update_c = plan.accounts_update
    assert update_a.changes == {"name": (a["name"], a["name"] + " Filho"), "city": (a["city"], "Campinas")}
    assert (update_a.row, update_a.id, update_a.version) == (first, a["id"], a["version"])
    assert update_c.changes == {"owner": ("agent.sp1", "agent.sp2")}
    assert plan.moves == [Move(first + 2, c["id"], c["account_number"], "agent.sp1", "agent.sp2")]
    assert plan.accounts_unchanged == [b["id"]]
    (contact,) = plan.contacts_update
    assert contact.id == doctor.id
    assert contact.changes["email"] == (doctor.email, "novo@example.com.br")
    assert contact.changes["qualifications"][1] == ("Cardiologia", "Pediatria")
    (create,) = plan.accounts_create
    assert (create.number, create.owner, create.values["uf"], create.values["city"]) == (NEW_CNPJ, None, "PR", None)
    (new_contact,) = plan.contacts_create
    assert (new_contact.identifier, new_contact.account_id, new_contact.name) == (NEW_CNPJ, None, "Rosa Prado")
    assert plan.fingerprint.accounts == {a["id"]: a["version"], c["id"]: c["version"]}
    assert plan.fingerprint.new_numbers == {NEW_CNPJ}
    data = plan_as_json(plan)
    assert data["plan"] == plan.counts() and data["rows"] == 4 and data["valid_rows"] == 4
    assert data["committed"] is False and data["batch_id"] is None


def test_empty_cell_keeps_the_value_unless_the_row_came_from_an_export(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    mandatory = {k: a[k] for k in ("account_number", "name", "type", "portfolio", "uf")}
    plan, _ = plan_rows(db, tmp_path, [mandatory])
    assert plan.counts()["accounts_unchanged"] == 1 and not plan.accounts_update
    plan, _ = plan_rows(db, tmp_path, [{**mandatory, "city": a["city"]}], keys=[(a["id"], a["version"])])
    (update,) = plan.accounts_update
    assert update.changes == {"address": (a["address"], None), "cep": (a["cep"], None),
                              "phone": (a["phone"], None), "email": (a["email"], None)}


def test_transfer_needs_allow_transfers(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    plan, first = plan_rows(db, tmp_path, [{**a, "portfolio": "agent.sp2"}])
    assert codes(plan, first) == ["portfolio_transfer"]
    assert plan.moves == [] and plan.counts()["accounts_update"] == 0
    plan, _ = plan_rows(db, tmp_path, [{**a, "portfolio": "agent.sp2"}], allow_transfers=True)
    assert len(plan.moves) == 1 and not plan.has_errors


def test_agent_rights(db, demo_db, tmp_path):
    (own,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    (foreign,) = demo_accounts(demo_db.url, "agent.ba1", 1)
    rows = [{**own, "city": "Santos"}, {**foreign, "city": "Ilhéus"},
            {"account_number": NEW_CNPJ, "name": "X", "type": "COMPANY", "portfolio": "agent.sp2", "uf": "SP"},
            {**own, "account_number": cnpj("887766550001"), "type": "COMPANY", "portfolio": "agent.sp1"}]
    plan, first = plan_rows(db, tmp_path, rows, login="agent.sp1")
    assert codes(plan, first) == []
    assert codes(plan, first + 1) == ["portfolio_not_allowed"]
    assert codes(plan, first + 2) == ["portfolio_not_allowed"]
    assert codes(plan, first + 3) == []
    assert plan.counts()["accounts_update"] == 1 and plan.counts()["accounts_create"] == 1


def test_contacts_of_a_foreign_account_are_refused(db, demo_db, tmp_path):
    (own,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    (foreign,) = demo_accounts(demo_db.url, "agent.ba1", 1)
    rows = [{"account_number": acc["account_number"], "identifier": acc["account_number"], "name": "Nova Pessoa",
             "type": "SECRETARY"} for acc in (own, foreign)]
    plan, first = plan_rows(db, tmp_path, rows, login="agent.sp1", tpl_id="contacts")
    assert codes(plan, first) == []
    assert codes(plan, first + 1) == ["account_in_foreign_portfolio"]
    assert [c.identifier for c in plan.contacts_create] == [own["account_number"]]
    plan, _ = plan_rows(db, tmp_path, rows, login="mgr.north", tpl_id="contacts")
    assert codes(plan, first) == ["account_in_foreign_portfolio"] and codes(plan, first + 1) == []


def test_two_rows_may_not_update_the_same_contact(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    doctor = contacts_of(demo_db.url, a["account_number"])[0]
    rows = [{"account_number": a["account_number"], "identifier": a["account_number"], "name": doctor.name,
             "type": "DOCTOR"},
            {"account_number": a["account_number"], "identifier": a["account_number"], "name": "Outro Nome",
             "type": "DOCTOR"}]
    plan, first = plan_rows(db, tmp_path, rows, tpl_id="contacts", keys=[("", ""), (doctor.id, doctor.version)])
    assert codes(plan, first) == [] and codes(plan, first + 1) == ["duplicate_contact"]


def test_plan_is_picklable_and_commits_after_a_round_trip(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    plan, _ = plan_rows(db, tmp_path, [{**a, "city": "Jundiaí"}])
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.counts() == plan.counts() and copy.fingerprint == plan.fingerprint
    assert copy.fingerprint.digest == plan.fingerprint.digest
    commit_import(db, actor(db), copy)
    assert demo_accounts(demo_db.url, "agent.sp1", 1)[0]["city"] == "Jundiaí"


def test_change_lines_words_the_first_changes_in_row_order_and_counts_the_rest(db, demo_db, tmp_path):
    from crmxl.services.imports import change_lines

    rows = [{"account_number": cnpj(f"7766{i:04d}0001"), "name": f"New {i}", "type": "COMPANY",
             "portfolio": "agent.sp1", "uf": "SP", "contact_name": f"Contact {i}", "contact_type": "OTHERS"}
            for i in range(6)]
    plan, first = plan_rows(db, tmp_path, rows)
    lines = change_lines(plan, limit=5)
    assert len(lines) == 6 and "7" in lines[-1][0]  # 12 changes: 5 worded, "7 more"
    assert [label.split()[0] for label, _ in lines[:5]] == [label.split()[0] for label, _ in change_lines(plan)[:5]]
    every = change_lines(plan, limit=None)
    assert len(every) == 12
    assert every[0][1] == "agent.sp1" and every[1][1] == "Contact 0"  # row 1: its account, then its contact
    assert str(first) in every[0][0] and str(first + 5) in every[-1][0]


def test_change_lines_show_account_numbers_formatted(db, demo_db, tmp_path):
    from crmxl.domain.account_number import display_account_number
    from crmxl.services.imports import change_lines

    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    number = cnpj("776612340001")
    rows = [{"account_number": number, "name": "New", "type": "COMPANY", "portfolio": "agent.sp1", "uf": "SP",
             "contact_name": "Contact", "contact_type": "OTHERS"}, {**a, "city": "Jundiaí"}]
    plan, _ = plan_rows(db, tmp_path, rows)
    shown = " ".join(label for label, _ in change_lines(plan, limit=None))
    assert display_account_number(number) in shown and f" {number}" not in shown, shown
    old = a["account_number"]
    assert f"update account {display_account_number(old)}" in shown, shown
    assert display_account_number(number) != number
