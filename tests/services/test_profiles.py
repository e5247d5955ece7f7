"""Export profiles: stored, checked, audited, and driving the export (SQLite and PostgreSQL)."""

from __future__ import annotations

import openpyxl
import pytest
from sqlalchemy import select

from crmxl.db.models import Account, AuditEvent, User
from crmxl.db.session import Database
from crmxl.errors import Conflict, NotFound, PermissionDenied, UnusableInput
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services.access import actor_for
from crmxl.services.exporting import export
from crmxl.services.profiles import (
    Filters,
    add_profile,
    default_profile,
    delete_profile,
    edit_profile,
    get_profile,
    list_profiles,
)


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


def test_a_default_profile_per_entity_after_init(empty_db):
    db = Database(empty_db.url)
    defaults = [p for p in list_profiles(db) if p.is_default]
    assert {p.entity: p.columns for p in defaults} == {"accounts": ACCOUNTS.fields, "contacts": CONTACTS.fields}
    assert default_profile(db, "contacts").columns == CONTACTS.fields
    assert all(p.filters == Filters() for p in defaults)


def test_add_puts_the_templates_order_adds_the_mandatory_columns_and_normalises_filters(demo_db):
    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    added = add_profile(db, manager, "  SP doctors ", "accounts", ["city", "uf", "name", "uf"],
                        Filters(portfolios=("agent.sp1",), types=("medico",), ufs=("sp",), active=True))
    assert added.name == "SP doctors"  # with the mandatory (red) columns it lacks, its file imports back
    assert added.columns == ("account_number", "name", "type", "portfolio", "uf", "city")  # the template's order
    contacts = add_profile(db, manager, "Contact e-mails", "accounts", ["contact_email", "qualifications"])
    assert contacts.columns == (*ACCOUNTS.mandatory_fields, "contact_name", "contact_type", "qualifications",
                                "contact_email")  # which contact a row shows, and its type, with them
    assert added.filters == Filters(("agent.sp1",), False, ("MEDICAL",), True, ("SP",))
    assert get_profile(db, "SP doctors") == added
    contacts = add_profile(db, manager, "Contacts by e-mail", "contacts", ["email", "name"])
    assert contacts.columns == ("account_number", "name", "identifier", "type", "email")


@pytest.mark.parametrize(("args", "code"), [
    (("Default accounts", "accounts"), "profile_exists"),
    (("x", "accounts", ["name", "colour"]), "profile_column_unknown"),
    (("x", "contacts", ["city"]), "profile_column_unknown"),
    (("x", "accounts", None, Filters(portfolios=("agent.sp1", "nobody"))), "profile_login_unknown"),
    (("x", "accounts", None, Filters(types=("DOCTORS",))), "profile_filter_invalid"),
    (("x", "accounts", None, Filters(ufs=("XX",))), "profile_filter_invalid"),
    (("x", "leads"), "profile_entity_unknown"),
    (("  ", "accounts"), "profile_name_empty"),
])
def test_bad_input_is_refused_with_a_clear_message(demo_db, args, code):
    db = Database(demo_db.url)
    before = list_profiles(db)
    with pytest.raises((Conflict, UnusableInput)) as caught:
        add_profile(db, _actor(db, "admin"), *args)
    assert caught.value.code == code
    assert list_profiles(db) == before
    if code == "profile_column_unknown":
        assert "colour" in str(caught.value) or "city" in str(caught.value)
    if code == "profile_login_unknown":
        assert "nobody" in str(caught.value) and "agent.sp1" not in str(caught.value)


def test_edit_rename_delete_and_their_audit_trail(demo_db):
    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    add_profile(db, manager, "A", "accounts", ["name"], Filters(portfolios=("agent.sp1",)))
    add_profile(db, manager, "B", "accounts")
    with pytest.raises(Conflict):
        edit_profile(db, manager, "A", new_name="B")
    with pytest.raises(UnusableInput):
        edit_profile(db, manager, "A", new_name=" ")
    with pytest.raises(UnusableInput):
        edit_profile(db, manager, "A", columns=["colour"])
    edited = edit_profile(db, manager, "A", new_name="A2", columns=["phone", "name"])
    assert edited.columns == ("account_number", "name", "type", "portfolio", "uf", "phone")
    assert edited.filters.portfolios == ("agent.sp1",)
    assert get_profile(db, "A2") == edited
    with pytest.raises(NotFound):
        get_profile(db, "A")
    delete_profile(db, manager, "A2")
    with pytest.raises(NotFound):
        delete_profile(db, manager, "A2")
    with pytest.raises(Conflict):
        delete_profile(db, manager, "Default accounts")
    with db.session() as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.target).where(AuditEvent.user_login == "mgr.south")
                           .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("profile_add", "profile:A"), ("profile_add", "profile:B"),
                                          ("profile_edit", "profile:A"), ("profile_delete", "profile:A2")]


def test_a_profile_is_changed_by_its_author_or_an_admin(demo_db):
    """Profiles are shared (every user may export with any), but another manager may not edit or delete
    one, nor a manager the default profiles."""
    db = Database(demo_db.url)
    south, north, admin = (_actor(db, login) for login in ("mgr.south", "mgr.north", "admin"))
    add_profile(db, south, "South", "accounts", ["name"])
    for change, owner in ((lambda: edit_profile(db, north, "South", columns=["uf"]), "mgr.south"),
                          (lambda: delete_profile(db, north, "South"), "mgr.south"),
                          (lambda: edit_profile(db, south, "Default accounts", columns=["name"]), "system")):
        with pytest.raises(PermissionDenied) as caught:
            change()
        assert caught.value.code == "profile_not_yours" and f"it is {owner}'s" in caught.value.render("en")
    assert get_profile(db, "South").columns == ("account_number", "name", "type", "portfolio", "uf")
    assert edit_profile(db, south, "South", columns=["city"]).columns == (*ACCOUNTS.mandatory_fields, "city")
    assert edit_profile(db, admin, "South", new_name="South 2").created_by == "mgr.south"
    delete_profile(db, admin, "South 2")
    assert "South 2" not in {p.name for p in list_profiles(db)}


def test_agents_may_not_change_profiles(demo_db):
    db = Database(demo_db.url)
    agent = _actor(db, "agent.sp1")
    with pytest.raises(PermissionDenied):
        add_profile(db, agent, "mine", "accounts")
    with pytest.raises(PermissionDenied):
        edit_profile(db, agent, "Default accounts", columns=["name"])
    with pytest.raises(PermissionDenied):
        delete_profile(db, agent, "Default contacts")
    assert "mine" not in {p.name for p in list_profiles(db)}


def test_a_profile_drives_the_export_and_the_command_line_overrides_it(demo_db, tmp_path):
    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    add_profile(db, manager, "SP doctors", "accounts", ["city", "name"],
                Filters(portfolios=("agent.sp1",), types=("MEDICAL",)))
    result = export(db, manager, "accounts", tmp_path / "p.xlsx", profile="SP doctors")
    sheet = openpyxl.load_workbook(tmp_path / "p.xlsx")["Accounts"]
    assert [c.value for c in sheet[1]] == ["Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*",
                                           "City", "crmxl:id", "crmxl:version"]
    expected = _owned(db, "agent.sp1", type="MEDICAL")
    assert result.rows == len(expected) > 0
    assert [r[6].value for r in sheet.iter_rows(min_row=2)] == [a.id for a in expected]
    # a portfolio given replaces the profile's; the profile's type filter still applies
    other = export(db, manager, "accounts", tmp_path / "o.xlsx", profile="SP doctors", portfolios=["agent.sp2"])
    assert other.rows == len(_owned(db, "agent.sp2", type="MEDICAL"))
    # a type given replaces the profile's
    companies = export(db, manager, "accounts", tmp_path / "c.xlsx", profile="SP doctors", types=["COMPANY"])
    assert companies.rows == len(_owned(db, "agent.sp1", type="COMPANY"))
    # the profile's portfolios are checked against whoever uses it
    with pytest.raises(PermissionDenied):
        export(db, _actor(db, "agent.sp2"), "accounts", tmp_path / "x.xlsx", profile="SP doctors")
    with pytest.raises(UnusableInput):
        export(db, manager, "contacts", tmp_path / "x.xlsx", profile="SP doctors")
    with pytest.raises(NotFound):
        export(db, manager, "accounts", tmp_path / "x.xlsx", profile="nobody's", portfolios=["agent.sp1"])
    assert not (tmp_path / "x.xlsx").exists()
