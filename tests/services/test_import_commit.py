"""Committing import plans: one transaction, batches with images, undo, stale plans, skip-invalid."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from crmxl.domain.account_number import display_account_number
from crmxl.errors import Conflict, PermissionDenied
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services import history
from crmxl.services.imports import ImportHasErrors, commit_import, plan_import
from tests.conftest import restored, table_dump
from tests.services.import_files import (
    actor,
    contacts_of,
    demo_accounts,
    execute,
    qualification_names,
    query,
    workbook,
)
from tests.validation.builders import cnpj

NEW_CNPJ = cnpj("998877660001")


def plan_file(db, tmp_path, rows, tpl=ACCOUNTS, login="admin", name=None, **kwargs):
    path = workbook(tmp_path / (name or f"{tpl.id}.xlsx"), rows, tpl=tpl)
    return plan_import(db, actor(db, login), path, tpl.id, **kwargs)


def mixed_rows(url):
    a, b, c = demo_accounts(url, "agent.sp1", 3)
    doctor = contacts_of(url, a["account_number"])[0]
    return [
        {**a, "name": a["name"] + " Neto", "phone": "(11) 3333-4444", "contact_name": doctor.name,
         "contact_type": "DOCTOR", "qualifications": "Cardiologia; Pediatria"},
        b,
        {**c, "portfolio": "Without Portfolio"},
        {"account_number": NEW_CNPJ, "name": "Clínica Nova", "type": "COMPANY", "portfolio": "agent.sp2",
         "uf": "SP", "contact_name": "Rosa Prado", "contact_type": "OTHERS"},
        {"account_number": "4321/SP", "name": "Dra. Nova", "type": "MEDICAL", "portfolio": "agent.sp1", "uf": "SP",
         "contact_name": "Nova Médica", "contact_type": "DOCTOR", "qualifications": "Dermatologia"},
    ]


def test_commit_then_undo_restores_the_database_exactly(db, demo_db, tmp_path):
    before, values = table_dump(demo_db.url), restored(demo_db.url)
    plan = plan_file(db, tmp_path, mixed_rows(demo_db.url), allow_transfers=True)
    assert not plan.has_errors, plan.result.findings
    batch_id = commit_import(db, actor(db), plan)
    after = table_dump(demo_db.url)
    assert after != before
    new = query(demo_db.url, "SELECT a.id, a.owner_id, a.version FROM accounts a WHERE number = :n", n="4321/SP")[0]
    assert new.version == 1
    (doctor,) = contacts_of(demo_db.url, "4321/SP")
    assert qualification_names(demo_db.url, doctor.id) == ["Dermatologia"]
    summary, changes = history.get_batch(db, actor(db), batch_id)
    assert summary.kind == "import_accounts" and summary.file_name == "accounts.xlsx"
    assert summary.counts["accounts_create"] == 2 and summary.counts["portfolio_moves"] == 1
    touched = {(c["entity"], c["action"]) for c in changes}
    assert touched == {("account", "create"), ("account", "update"), ("contact", "create"), ("contact", "update")}
    assert len(changes) == 2 + 2 + 2 + 1
    for change in changes:
        assert (change["before"] is None) == (change["action"] == "create")
        assert change["after"]["version"] == (change["before"] or {"version": 0})["version"] + 1
    moved = next(c for c in changes if c["entity"] == "account" and c["after"]["owner_id"] is None)
    assert moved["before"]["owner_id"] is not None

    undo_id = history.undo(db, actor(db), batch_id)
    assert undo_id > batch_id
    assert restored(demo_db.url) == values
    # every row set back has a version it never had: a workbook exported before the undo is stale
    versions = {(c["entity"], c["entity_id"]): c["after"]["version"] for c in changes if c["before"] is not None}
    now = {(e, i): v for e, i, v in query(demo_db.url, "SELECT 'account', id, version FROM accounts UNION ALL "
                                                       "SELECT 'contact', id, version FROM contacts")}
    assert versions and all(now[key] == version + 1 for key, version in versions.items())


def test_contacts_template_commit_and_undo(db, demo_db, tmp_path):
    a, b = demo_accounts(demo_db.url, "agent.sp1", 2)
    doctor = contacts_of(demo_db.url, a["account_number"])[0]
    rows = [{"account_number": a["account_number"], "identifier": a["account_number"], "name": doctor.name,
             "type": "DOCTOR", "qualifications": "Neurologia", "phone": "+55 11 91234-5678",
             "birth_date": "25/12/1980"},
            {"account_number": b["account_number"], "identifier": b["account_number"], "name": "Lia Secretária",
             "type": "SECRETARY", "email": "lia@example.com.br"}]
    before = restored(demo_db.url)
    plan = plan_file(db, tmp_path, rows, tpl=CONTACTS)
    assert plan.counts()["contacts_update"] == 1 and plan.counts()["contacts_create"] == 1
    batch_id = commit_import(db, actor(db), plan)
    updated = next(c for c in contacts_of(demo_db.url, a["account_number"]) if c.id == doctor.id)
    assert (updated.phone, str(updated.birth_date), updated.version) == ("(11) 91234-5678", "1980-12-25",
                                                                          doctor.version + 1)
    assert qualification_names(demo_db.url, doctor.id) == ["Neurologia"]
    assert "Lia Secretária" in [c.name for c in contacts_of(demo_db.url, b["account_number"])]
    history.undo(db, actor(db), batch_id)
    assert restored(demo_db.url) == before


def test_reimport_is_idempotent(db, demo_db, tmp_path):
    rows = mixed_rows(demo_db.url)
    commit_import(db, actor(db), plan_file(db, tmp_path, rows, allow_transfers=True))
    once = table_dump(demo_db.url)
    again = plan_file(db, tmp_path, rows, allow_transfers=True)
    counts = again.counts()
    assert counts["accounts_create"] == counts["accounts_update"] == counts["portfolio_moves"] == 0
    assert counts["contacts_create"] == counts["contacts_update"] == 0
    assert counts["accounts_unchanged"] == 5 and counts["contacts_unchanged"] == 3
    commit_import(db, actor(db), again)
    assert table_dump(demo_db.url) == once


def test_reimport_of_contacts_with_birth_dates_is_idempotent(db, demo_db, tmp_path):
    """A stored birth date equals the same date in the file (SQLite's driver gives it as text)."""
    a = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    rows = [{"account_number": a["account_number"], "identifier": a["account_number"], "name": "Lia Médica",
             "type": "DOCTOR", "birth_date": "25/12/1980"}]
    commit_import(db, actor(db), plan_file(db, tmp_path, rows, tpl=CONTACTS))
    once = table_dump(demo_db.url)
    again = plan_file(db, tmp_path, rows, tpl=CONTACTS).counts()
    assert (again["contacts_update"], again["contacts_unchanged"]) == (0, 1)
    assert table_dump(demo_db.url) == once


def test_errors_commit_nothing_unless_skip_invalid(db, demo_db, tmp_path):
    rows = mixed_rows(demo_db.url)
    rows[3] = {**rows[3], "uf": "XX"}  # the new company (with its contact) is invalid
    rows[4] = {**rows[4], "qualifications": "Cardiologgia"}
    before = table_dump(demo_db.url)
    plan = plan_file(db, tmp_path, rows, allow_transfers=True)
    assert len(plan.error_rows) == 2 and plan.valid_rows == 3
    with pytest.raises(ImportHasErrors) as caught:
        commit_import(db, actor(db), plan)
    assert caught.value.exit_code == 1
    assert table_dump(demo_db.url) == before

    batch_id = commit_import(db, actor(db), plan, skip_invalid=True)
    summary, changes = history.get_batch(db, actor(db), batch_id)
    assert summary.counts["committed_rows"] + summary.counts["reported_rows"] == summary.counts["rows"] == 5
    assert summary.counts["reported_rows"] == 2
    assert not query(demo_db.url, "SELECT id FROM accounts WHERE number IN (:a, :b)", a=NEW_CNPJ, b="4321/SP")
    assert not contacts_of(demo_db.url, NEW_CNPJ) and not contacts_of(demo_db.url, "4321/SP")
    assert {c["row"] for c in changes} == {r for r in range(2, 7)} - plan.error_rows - {3}  # row 3 unchanged


def test_a_stale_plan_writes_nothing(db, demo_db, tmp_path):
    rows = mixed_rows(demo_db.url)
    plan = plan_file(db, tmp_path, rows, allow_transfers=True)
    execute(demo_db.url, "UPDATE accounts SET city = 'Outra', version = version + 1 WHERE id = :i", i=rows[0]["id"])
    before = table_dump(demo_db.url)
    with pytest.raises(Conflict) as caught:
        commit_import(db, actor(db), plan)
    assert caught.value.code == "plan_stale" and display_account_number(rows[0]["account_number"]) in str(caught.value)
    assert table_dump(demo_db.url) == before


def test_a_plan_whose_new_number_was_taken_is_stale(db, demo_db, tmp_path):
    rows = mixed_rows(demo_db.url)
    plan = plan_file(db, tmp_path, rows, allow_transfers=True)
    commit_import(db, actor(db), plan_file(db, tmp_path, [rows[3]], name="other.xlsx"))
    before = table_dump(demo_db.url)
    with pytest.raises(Conflict, match="changed since the plan"):
        commit_import(db, actor(db), plan)
    assert table_dump(demo_db.url) == before


def test_only_the_planner_commits_the_plan(db, demo_db, tmp_path):
    plan = plan_file(db, tmp_path, mixed_rows(demo_db.url)[:2])
    with pytest.raises(PermissionDenied):
        commit_import(db, actor(db, "mgr.south"), plan)


def test_undo_refuses_when_a_row_changed_again(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    first = commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Santos"}]))
    commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Sorocaba"}], name="second.xlsx"))
    before = table_dump(demo_db.url)
    with pytest.raises(Conflict) as caught:
        history.undo(db, actor(db), first)
    assert caught.value.code == "undo_conflict"
    assert table_dump(demo_db.url) == before


def test_export_round_trip_conflict_is_reported_not_overwritten(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    path = workbook(tmp_path / "export.xlsx", [{**a, "city": "Santos"}], keys=[(a["id"], a["version"])])
    execute(demo_db.url, "UPDATE accounts SET name = 'Mudou', version = version + 1 WHERE id = :i", i=a["id"])
    plan = plan_import(db, actor(db), path, "accounts")
    assert [f.code for f in plan.result.errors] == ["version_conflict"]
    assert plan.accounts_update == []
    commit_import(db, actor(db), plan, skip_invalid=True)
    assert demo_accounts(demo_db.url, "agent.sp1", 1)[0]["name"] == "Mudou"


def test_a_workbook_exported_before_an_undo_is_stale_after_it(db, demo_db, tmp_path):
    """Change (v+1), export, undo, change again: the export's version must not match the new change."""
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    first = commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Campinas"}], name="1.xlsx"))
    exported = workbook(tmp_path / "export.xlsx", [{**a, "city": "Campinas"}], keys=[(a["id"], a["version"] + 1)])
    history.undo(db, actor(db), first)
    commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Santos"}], name="2.xlsx"))
    plan = plan_import(db, actor(db), exported, "accounts")
    assert [f.code for f in plan.result.errors] == ["version_conflict"] and plan.accounts_update == []


def test_batches_undone_newest_first_all_go(db, demo_db, tmp_path):
    """An undo gives a row a new version; the batch before it still finds the row as it left it."""
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    values = restored(demo_db.url)
    first = commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Campinas"}], name="1.xlsx"))
    second = commit_import(db, actor(db), plan_file(db, tmp_path, [{**a, "city": "Santos"}], name="2.xlsx"))
    history.undo(db, actor(db), second)
    history.undo(db, actor(db), first)
    assert restored(demo_db.url) == values
    assert demo_accounts(demo_db.url, "agent.sp1", 1)[0]["version"] == a["version"] + 4


def test_an_id_freed_by_an_undo_is_not_given_to_another_row(db, demo_db, tmp_path):
    """An exported contact whose creation was undone is gone: a contact created since gets another id, so
    the old export names no row (and does not overwrite the new contact)."""
    a = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    row = {"account_number": a["account_number"], "identifier": a["account_number"], "type": "SECRETARY"}
    first = commit_import(db, actor(db), plan_file(db, tmp_path, [{**row, "name": "Maria Secretária"}], tpl=CONTACTS,
                                                   name="1.xlsx"))
    (maria,) = [c for c in contacts_of(demo_db.url, a["account_number"]) if c.name == "Maria Secretária"]
    exported = workbook(tmp_path / "export.xlsx", [{**row, "name": "Maria Secretária"}], tpl=CONTACTS,
                        keys=[(maria.id, maria.version)])
    history.undo(db, actor(db), first)
    commit_import(db, actor(db), plan_file(db, tmp_path, [{**row, "name": "João Outro"}], tpl=CONTACTS, name="2.xlsx"))
    (joao,) = [c for c in contacts_of(demo_db.url, a["account_number"]) if c.name == "João Outro"]
    assert joao.id > maria.id
    plan = plan_import(db, actor(db), exported, "contacts")
    assert [f.code for f in plan.result.errors] == ["export_row_missing"] and plan.contacts_update == []


def test_a_plan_the_database_refuses_is_not_called_stale(db, demo_db, tmp_path):
    """A value the database refuses (here a contact without a type, which validation no longer lets through)
    is an error of the plan, not "another batch changed the rows": planning again would not help."""
    a = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    plan = plan_file(db, tmp_path, [{"account_number": a["account_number"], "identifier": a["account_number"],
                                     "name": "Sem Tipo", "type": "OTHERS"}], tpl=CONTACTS)
    plan.contacts_create[0].values["type"] = None
    before = table_dump(demo_db.url)
    with pytest.raises(IntegrityError):
        commit_import(db, actor(db), plan)
    assert table_dump(demo_db.url) == before


def test_a_doctor_who_becomes_a_secretary_loses_the_specialties(db, demo_db, tmp_path):
    a = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    doctor = next(c for c in contacts_of(demo_db.url, a["account_number"]) if c.type == "DOCTOR")
    assert qualification_names(demo_db.url, doctor.id)
    plan = plan_file(db, tmp_path, [{"account_number": a["account_number"], "identifier": a["account_number"],
                                     "name": doctor.name, "type": "SECRETARY"}], tpl=CONTACTS)
    (update,) = plan.contacts_update
    assert update.changes["type"] == ("DOCTOR", "SECRETARY") and update.changes["qualifications"][1] == ()
    (said,) = [f for f in plan.result.findings if f.code == "specialties_dropped"]  # not in silence
    assert (said.severity, said.field) == ("warning", "type") and doctor.name in said.message
    assert qualification_names(demo_db.url, doctor.id)[0] in said.message
    commit_import(db, actor(db), plan)
    assert qualification_names(demo_db.url, doctor.id) == []


def test_a_contact_found_by_a_name_spelled_otherwise_takes_that_spelling(db, demo_db, tmp_path):
    """The name picks the contact ignoring case and accents; a spelling fixed in the file is applied, not
    dropped in silence."""
    a = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    contact = contacts_of(demo_db.url, a["account_number"])[0]
    fixed = contact.name.upper()
    plan = plan_file(db, tmp_path, [{"account_number": a["account_number"], "identifier": a["account_number"],
                                     "name": fixed, "type": contact.type}], tpl=CONTACTS)
    (update,) = plan.contacts_update
    assert update.id == contact.id and update.changes["name"] == (contact.name, fixed) and not plan.contacts_create
    commit_import(db, actor(db), plan)
    assert [c.name for c in contacts_of(demo_db.url, a["account_number"]) if c.id == contact.id] == [fixed]
