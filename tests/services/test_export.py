"""Export through the service: filters, rights, layout, round trips with the import (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import delete, func, insert, select, update

from crmxl.db.models import Account, Contact, ExportProfile, Qualification, User, contact_qualifications
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.errors import NotFound, PermissionDenied, UnusableInput
from crmxl.schema import STAMP_SHEET
from crmxl.services.access import actor_for
from crmxl.services.exporting import export
from crmxl.services.imports import plan_import


def _actor(db, login):
    with db.session() as s:
        return actor_for(s, login)


def _owned(db, login, **where):
    with db.session() as s:
        owner = s.scalar(select(User.id).where(User.login == login))
        query = select(Account).where(Account.owner_id == owner)
        for key, value in where.items():
            query = query.where(getattr(Account, key) == value)
        return s.scalars(query.order_by(Account.id)).all()


def _rows(path, sheet="Accounts"):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_each_filter(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    sp1 = _owned(db, "agent.sp1")
    result = export(db, admin, "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    assert result.rows == len(sp1) and result.profile == "Default accounts"
    sheet = _rows(tmp_path / "a.xlsx")
    assert [r[0] for r in sheet[1:]] == [display_account_number(a.number) for a in sp1]
    key, version = sheet[0].index("crmxl:id"), sheet[0].index("crmxl:version")
    assert [(int(r[key]), int(r[version])) for r in sheet[1:]] == [(a.id, a.version) for a in sp1]
    two = export(db, admin, "accounts", tmp_path / "two.xlsx", portfolios=["agent.sp1", "agent.pe1"])
    assert two.rows == len(sp1) + len(_owned(db, "agent.pe1"))
    medical = export(db, admin, "accounts", tmp_path / "m.xlsx", portfolios=["agent.sp1"], types=["MEDICAL"])
    assert medical.rows == len([a for a in sp1 if a.type == "MEDICAL"]) > 0
    with db.session() as s:
        inactive = s.scalar(select(func.count()).select_from(Account).where(Account.owner_id.is_(None)))
        inactive_sp = s.scalar(select(func.count()).select_from(Account)
                               .where(Account.owner_id.is_(None), Account.uf == "SP"))
    assert 0 < inactive_sp < inactive
    assert export(db, admin, "accounts", tmp_path / "w.xlsx", without_portfolio=True).rows == inactive
    assert export(db, admin, "accounts", tmp_path / "w2.xlsx", without_portfolio=True, ufs=["sp"]).rows == inactive_sp
    assert {r[3] for r in _rows(tmp_path / "w.xlsx")[1:]} == {"Without Portfolio"}
    both = dict(portfolios=["agent.sp1"], without_portfolio=True)
    assert export(db, admin, "accounts", tmp_path / "b.xlsx", **both).rows == len(sp1) + inactive
    assert export(db, admin, "accounts", tmp_path / "b1.xlsx", **both, active=True).rows == len(sp1)
    assert export(db, admin, "accounts", tmp_path / "b2.xlsx", **both, active=False).rows == inactive
    with db.session() as s:
        contacts = s.scalar(select(func.count()).select_from(Contact).join(Account).join(User)
                            .where(User.login == "agent.sp1"))
    assert export(db, admin, "contacts", tmp_path / "c.xlsx", portfolios=["agent.sp1"]).rows == contacts


def test_rights_and_bad_requests(demo_db, tmp_path):
    db = Database(demo_db.url)
    agent = _actor(db, "agent.sp1")
    assert export(db, agent, "accounts", tmp_path / "own.xlsx", portfolios=["agent.sp1"]).rows > 0
    with pytest.raises(PermissionDenied):
        export(db, agent, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp2"])
    with pytest.raises(PermissionDenied):
        export(db, agent, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp1"], without_portfolio=True)
    manager = _actor(db, "mgr.south")
    assert export(db, manager, "accounts", tmp_path / "m.xlsx", portfolios=["agent.sp2", "agent.rs1"]).rows > 0
    assert export(db, manager, "accounts", tmp_path / "w.xlsx", without_portfolio=True).rows > 0
    with pytest.raises(PermissionDenied):
        export(db, manager, "accounts", tmp_path / "x.xlsx", portfolios=["agent.ba1"])
    with pytest.raises(UnusableInput) as caught:
        export(db, manager, "accounts", tmp_path / "x.xlsx")
    assert caught.value.code == "export_needs_portfolio"
    admin = _actor(db, "admin")
    with pytest.raises(NotFound) as caught:
        export(db, admin, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp1", "agent.nobody"])
    assert "agent.nobody" in str(caught.value)
    for bad in (dict(types=["DOCTORS"]), dict(ufs=["XX"]), dict(fmt="ods")):
        with pytest.raises(UnusableInput):
            export(db, admin, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp1"], **bad)
    with pytest.raises(UnusableInput):
        export(db, admin, "leads", tmp_path / "x.xlsx", portfolios=["agent.sp1"])
    assert not (tmp_path / "x.xlsx").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_model_layout_with_hidden_keys_and_a_stamp(demo_db, tmp_path):
    db = Database(demo_db.url)
    export(db, _actor(db, "admin"), "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    sheet = book["Accounts"]
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*"]
    # the row's key and version, and those of the contact its contact columns show
    assert headers[-4:] == ["crmxl:id", "crmxl:version", "crmxl:contact_id", "crmxl:contact_version"]
    hidden = {i for d in sheet.column_dimensions.values() if d.hidden for i in range(d.min, d.max + 1)}
    assert hidden == {c.column for c in sheet[1][-4:]}
    assert book[STAMP_SHEET].sheet_state == "veryHidden"
    assert [book[STAMP_SHEET]["A1"].value, book[STAMP_SHEET]["B1"].value] == ["template", "accounts"]
    assert sheet.data_validations.dataValidation  # the dropdowns
    offered = {row[3].value for row in book["Lists"].iter_rows(min_row=2)}  # the Portfolio column
    assert {"agent.sp1", "agent.ba1", "mgr.south", "mgr.north"} <= offered  # managers may hold portfolios too
    assert "admin" not in offered


def test_contact_columns_show_the_first_contact_whatever_its_id(demo_db, tmp_path):
    """An account whose only contact was created last still shows it, and the accounts after it keep theirs."""
    db = Database(demo_db.url)
    sp1 = _owned(db, "agent.sp1")
    first = sp1[0]
    with db.transaction() as conn:
        old = conn.execute(select(Contact.id).where(Contact.account_id == first.id)).scalars().all()
        conn.execute(delete(contact_qualifications).where(contact_qualifications.c.contact_id.in_(old)))
        conn.execute(delete(Contact).where(Contact.id.in_(old)))
        new_id = conn.execute(insert(Contact).values(account_id=first.id, identifier=first.number, name="Late",
                                                     type="DOCTOR")).inserted_primary_key[0]
        quals = conn.execute(select(Qualification.id).order_by(Qualification.id).limit(2)).scalars().all()
        conn.execute(insert(contact_qualifications), [{"contact_id": new_id, "qualification_id": q} for q in quals])
    with db.session() as s:
        expected = []
        for account in s.scalars(select(Account).where(Account.id.in_([a.id for a in sp1])).order_by(Account.id)):
            contact = min(account.contacts, key=lambda c: c.id, default=None)
            expected.append((contact.name, {q.name for q in contact.qualifications}) if contact else ("", set()))
    export(db, _actor(db, "admin"), "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    got = [(r[5], set(filter(None, r[7].split("; ")))) for r in _rows(tmp_path / "a.xlsx")[1:]]
    assert got == expected
    assert got[0][0] == "Late" and len(got[0][1]) == 2
    assert sum(1 for _, q in got if q) > 1


def test_contacts_show_display_forms_qualifications_and_dates(demo_db, tmp_path):
    db = Database(demo_db.url)
    with db.transaction() as conn:
        contact = conn.execute(select(Contact).join(Account).where(Account.type == "COMPANY")
                               .order_by(Contact.id).limit(1)).first()
        conn.execute(update(Contact).where(Contact.id == contact.id).values(birth_date=dt.date(1980, 12, 25)))
        owner = conn.execute(select(User.login).join(Account, Account.owner_id == User.id)
                             .where(Account.id == contact.account_id)).scalar()
        doctor = conn.execute(select(Contact.id, func.count()).join(contact_qualifications)
                              .join(Account).where(Account.owner_id.is_not(None)).group_by(Contact.id)
                              .having(func.count() > 1).limit(1)).first()
        doctor_owner = conn.execute(select(User.login).join(Account, Account.owner_id == User.id).join(Contact)
                                    .where(Contact.id == doctor.id)).scalar()
    with db.session() as s:
        doctor_quals = {q.name for q in s.get(Contact, doctor.id).qualifications}
    export(db, _actor(db, "admin"), "contacts", tmp_path / "c.xlsx", portfolios=[owner, doctor_owner])
    rows = {int(r[-2]): r for r in _rows(tmp_path / "c.xlsx", "Contacts")[1:]}
    row = rows[contact.id]
    assert row[0] == row[2] == display_account_number(contact.identifier)
    assert "/" in row[0] and "." in row[0] and "-" in row[0]  # the formatted CNPJ
    assert row[7] == dt.date(1980, 12, 25)  # a real date cell
    assert set(rows[doctor.id][4].split("; ")) == doctor_quals and len(doctor_quals) > 1


def test_portuguese_export_says_sem_carteira(demo_db, tmp_path):
    db = Database(demo_db.url)
    export(db, _actor(db, "admin"), "accounts", tmp_path / "a.xlsx", without_portfolio=True, lang="pt-BR")
    rows = _rows(tmp_path / "a.xlsx", "Contas")
    assert rows[0][3] == "Carteira*" and {r[3] for r in rows[1:]} == {"Sem Carteira"}


def test_progress_reports_the_total(demo_db, tmp_path):
    db = Database(demo_db.url)
    seen = []
    result = export(db, _actor(db, "admin"), "accounts", tmp_path / "a.xlsx", without_portfolio=True,
                    progress=lambda stage, done, total=None: seen.append((stage, done, total)))
    assert seen[0] == ("export", 0, result.rows) and seen[-1] == ("export", result.rows, result.rows)
    assert {total for _, _, total in seen} == {result.rows}


def test_export_then_import_without_edits_plans_nothing(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    for entity in ("accounts", "contacts"):
        for lang in ("en", "pt-BR"):
            path = tmp_path / f"{entity}-{lang}.xlsx"
            export(db, admin, entity, path, portfolios=["agent.pe1"], without_portfolio=True, lang=lang)
            plan = plan_import(db, admin, path, entity, lang=lang)
            counts = plan.counts()
            assert not plan.result.errors, plan.result.errors[:3]
            assert {k: v for k, v in counts.items() if not k.endswith("unchanged") and v} == {}
            assert counts[f"{entity}_unchanged"] > 0


def test_edit_a_name_and_a_portfolio_plans_one_update_and_one_move(demo_db, tmp_path):
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    path = tmp_path / "a.xlsx"
    export(db, admin, "accounts", path, portfolios=["agent.sp1"])
    book = openpyxl.load_workbook(path)
    sheet = book["Accounts"]
    sheet["B2"] = "Renamed Clinic"
    sheet["D3"] = "agent.sp2"
    book.save(path)
    plan = plan_import(db, admin, path, "accounts", allow_transfers=True)
    counts = plan.counts()
    # the move is an update of the owner: two rows change, one of them changes portfolio
    assert counts["accounts_update"] == 2 and counts["portfolio_moves"] == 1
    assert counts["accounts_create"] == counts["contacts_create"] == counts["contacts_update"] == 0
    assert [list(u.changes) for u in plan.accounts_update] == [["name"], ["owner"]]
    blocked = plan_import(db, admin, path, "accounts")
    assert [f.code for f in blocked.result.errors] == ["portfolio_transfer"]


def test_formula_looking_values_stay_text(demo_db, tmp_path):
    db = Database(demo_db.url)
    sp1 = _owned(db, "agent.sp1")
    hostile = {sp1[0].id: '=HYPERLINK("http://x","y")', sp1[1].id: "+1+2", sp1[2].id: "-3", sp1[3].id: "@SUM(A1)"}
    with db.transaction() as conn:
        for account_id, name in hostile.items():
            conn.execute(update(Account).where(Account.id == account_id).values(name=name, city=name))
    admin = _actor(db, "admin")
    export(db, admin, "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["Accounts"]
    for row in range(2, 6):
        for column in ("B", "J"):
            cell = sheet[f"{column}{row}"]
            assert cell.value == list(hostile.values())[row - 2] and cell.data_type == "s"
    export(db, admin, "accounts", tmp_path / "a.csv", portfolios=["agent.sp1"], fmt="csv")
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader((tmp_path / "a.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert [r[1] for r in rows[1:5]] == ["'" + name for name in hostile.values()]
    assert rows[5][1] == sp1[4].name
    with db.transaction() as conn:  # a name that really begins with an apostrophe keeps it through a CSV
        conn.execute(update(Account).where(Account.id == sp1[4].id).values(name="'-Apostrophe", city="'abc"))
    export(db, admin, "accounts", tmp_path / "b.csv", portfolios=["agent.sp1"], fmt="csv")
    rows = list(csv.reader((tmp_path / "b.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[5][1] == "''-Apostrophe"
    again = plan_import(db, admin, tmp_path / "b.csv", "accounts")
    assert again.counts()["accounts_update"] == 0 and again.counts()["accounts_unchanged"] == len(sp1)


def test_csv_has_the_template_headers_and_text_values(demo_db, tmp_path):
    db = Database(demo_db.url)
    export(db, _actor(db, "admin"), "contacts", tmp_path / "c.csv", portfolios=["agent.sp1"], fmt="csv",
           lang="pt-BR")
    rows = list(csv.reader((tmp_path / "c.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Número da Conta*", "Nome do Contato*", "Identificador*", "Tipo*", "Qualificações",
                       "E-mail", "Telefone", "Data de Nascimento", "crmxl:id", "crmxl:version"]
    assert all(len(r) == 10 for r in rows)
    xlsx = export(db, _actor(db, "admin"), "contacts", tmp_path / "c.xlsx", portfolios=["agent.sp1"])
    assert len(rows) - 1 == xlsx.rows


def _contact_row(path, number):
    """(worksheet row, header -> column index) of the account ``number`` in an accounts export."""
    sheet = openpyxl.load_workbook(path)["Accounts"]
    headers = {c.value: c.column for c in sheet[1]}
    row = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == display_account_number(number))
    return row, headers


def test_an_accounts_export_carries_its_contacts_key(demo_db, tmp_path):
    """The contact columns of an accounts export are checked like a contacts export: a contact changed since
    is a conflict (not overwritten with the export's old values), and a new name renames that contact."""
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    with db.session() as s:
        account = s.scalars(select(Account).join(User, Account.owner_id == User.id)
                            .where(User.login == "agent.sp1", Account.contacts.any()).order_by(Account.id)).first()
        first = min(account.contacts, key=lambda c: c.id)
        count = len(account.contacts)
    export(db, admin, "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    row, headers = _contact_row(tmp_path / "a.xlsx", account.number)
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    sheet = book["Accounts"]
    assert (sheet.cell(row, headers["crmxl:contact_id"]).value, sheet.cell(row, headers["crmxl:contact_version"]).value) \
        == (first.id, first.version)
    sheet.cell(row, headers["Contact Name"]).value = first.name + " Renamed"
    book.save(tmp_path / "renamed.xlsx")
    plan = plan_import(db, admin, tmp_path / "renamed.xlsx", "accounts")
    assert not plan.has_errors and plan.contacts_create == []
    (rename,) = plan.contacts_update
    assert (rename.id, rename.changes["name"]) == (first.id, (first.name, first.name + " Renamed"))
    with db.transaction() as conn:  # the contact changes after the export
        conn.execute(update(Contact).where(Contact.id == first.id).values(email="novo@example.com.br",
                                                                          version=Contact.version + 1))
    stale = plan_import(db, admin, tmp_path / "a.xlsx", "accounts")
    conflict = [f for f in stale.result.errors if f.code == "version_conflict"]
    assert [(f.row, f.field) for f in conflict] == [(row, "contact_name")] and stale.contacts_update == []
    with db.session() as s:
        assert len(s.get(Account, account.id).contacts) == count
    db.dispose()


def test_a_profile_saved_without_the_contacts_name_still_exports_a_file_that_imports_back(demo_db, tmp_path):
    """A profile stored with contact columns but no Contact Name (or no Contact Type) exported a file whose
    contact edits were dropped in silence (or that no longer imported at all): the export adds them."""
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    with db.transaction() as conn:  # as an older crmxl stored it
        conn.execute(insert(ExportProfile.__table__).values(
            name="old", entity="accounts", columns=["account_number", "name", "contact_email"], filters={},
            is_default=False, created_by="admin", created_at=dt.datetime(2026, 1, 1), updated_at=dt.datetime(2026, 1, 1)))
    result = export(db, admin, "accounts", tmp_path / "old.xlsx", profile="old", portfolios=["agent.sp1"])
    assert result.columns == ("account_number", "name", "type", "portfolio", "uf", "contact_name", "contact_type",
                              "contact_email")
    unchanged = plan_import(db, admin, tmp_path / "old.xlsx", "accounts")
    assert not unchanged.has_errors and unchanged.counts()["contacts_update"] == 0
    book = openpyxl.load_workbook(tmp_path / "old.xlsx")
    sheet = book["Accounts"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, header.index("Contact Name") + 1).value)
    sheet.cell(row, header.index("Contact Email") + 1).value = "novo@example.com.br"
    book.save(tmp_path / "edited.xlsx")
    plan = plan_import(db, admin, tmp_path / "edited.xlsx", "accounts")
    (update_,) = plan.contacts_update
    assert update_.changes == {"email": (update_.changes["email"][0], "novo@example.com.br")}


def test_a_contact_with_every_specialty_comes_back_unchanged(demo_db, tmp_path):
    """Typed 'A;B;...' the cell fit the old 500-character limit; exported 'A; B; ...' it no longer did."""
    from crmxl.domain.specialties import default_specialties
    from crmxl.schema import CONTACTS
    from crmxl.services.imports import commit_import
    from tests.services.import_files import demo_accounts, workbook

    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    doctor = demo_accounts(demo_db.url, "agent.sp1", 1)[0]
    every = ";".join(default_specialties())
    path = workbook(tmp_path / "c.xlsx", [{"account_number": doctor["account_number"], "name": "Dra. Todas",
                                           "identifier": doctor["account_number"], "type": "DOCTOR",
                                           "qualifications": every}], tpl=CONTACTS)
    plan = plan_import(db, admin, path, "contacts")
    assert not plan.has_errors and commit_import(db, admin, plan) is not None
    export(db, admin, "contacts", tmp_path / "e.xlsx", portfolios=["agent.sp1"])
    again = plan_import(db, admin, tmp_path / "e.xlsx", "contacts")
    assert not again.has_errors and again.counts()["contacts_update"] == 0


def test_contact_keys_left_behind_by_a_partial_sort_are_named_as_such(demo_db, tmp_path):
    """Sorting only the visible columns leaves the hidden keys on other rows: the contact exists, it is another
    account's; the message said it no longer existed, and added a bogus 'name taken'."""
    db = Database(demo_db.url)
    admin = _actor(db, "admin")
    export(db, admin, "accounts", tmp_path / "a.xlsx", portfolios=["agent.sp1"])
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    sheet = book["Accounts"]
    header = [c.value for c in sheet[1]]
    key, version, name = (header.index(h) + 1 for h in ("crmxl:contact_id", "crmxl:contact_version", "Contact Name"))
    first, second = [r for r in range(2, sheet.max_row + 1) if sheet.cell(r, name).value][:2]
    for column in (key, version):  # the keys of two rows swapped, as a sort of columns A:N leaves them
        a, b = sheet.cell(first, column).value, sheet.cell(second, column).value
        sheet.cell(first, column).value, sheet.cell(second, column).value = b, a
    book.save(tmp_path / "sorted.xlsx")
    plan = plan_import(db, admin, tmp_path / "sorted.xlsx", "accounts")
    found = {(f.row, f.code) for f in plan.result.errors}
    assert found == {(first, "export_key_mismatch"), (second, "export_key_mismatch")}
    message = next(f.message for f in plan.result.errors if f.row == first)
    assert sheet.cell(second, 1).value in message  # the other account, written as in the file
