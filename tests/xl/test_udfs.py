"""Worksheet functions as plain callables: values, readable errors, names Excel sees, cache refresh."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import select, update

from crmxl.db.models import Account, User
from crmxl.db.session import Database, bump_data_version
from crmxl.xl import udfs
from crmxl.xl.lookups import LookupCache

EXPECTED = {
    "CRM_NUMBER": ["value"],
    "CRM_CNPJ_VALID": ["value"],
    "CRM_CNPJ_FORMAT": ["value"],
    "CRM_SPECIALTY": ["value"],
    "CRM_ACCOUNT": ["number", "field"],
    "CRM_PORTFOLIO_SIZE": ["login", "account_type"],
    "CRM_CONTACT_EXISTS": ["identifier", "name"],
}


@pytest.fixture
def demo(sqlite_demo_db, monkeypatch):
    monkeypatch.setenv("CRMXL_DATABASE_URL", sqlite_demo_db.url)
    db = Database(sqlite_demo_db.url)
    lookups = LookupCache(db, check_interval=0)
    udfs.set_cache(lookups)
    yield db, lookups
    udfs.set_cache(None)


def test_the_names_arguments_and_docs_excel_sees():
    assert {name: list(spec.args) for name, spec in udfs.UDFS.items()} == EXPECTED
    for name, spec in udfs.UDFS.items():
        assert spec.func.__name__ == name
        assert list(inspect.signature(spec.func).parameters) == EXPECTED[name]
        assert spec.help and all(spec.args.values())
        assert getattr(udfs, name) is spec.func


def test_pure_functions_without_a_database():
    assert udfs.CRM_NUMBER("CRM-SP 0123456") == "123456/SP"
    assert udfs.CRM_NUMBER("12.abc.345/01de-35") == "12ABC34501DE35"
    assert udfs.CRM_CNPJ_VALID("11.222.333/0001-81") is True
    assert udfs.CRM_CNPJ_VALID("11.222.333/0001-80") is False
    assert udfs.CRM_CNPJ_VALID(11222333000181.0) is True
    assert udfs.CRM_CNPJ_FORMAT(191.0) == "00.000.000/0001-91"
    assert udfs.CRM_CNPJ_FORMAT("12ABC34501DE35") == "12.ABC.345/01DE-35"


@pytest.mark.parametrize("call, fragment", [
    (lambda: udfs.CRM_NUMBER("123456/XP"), "did you mean"),
    (lambda: udfs.CRM_NUMBER(None), "empty"),
    (lambda: udfs.CRM_CNPJ_FORMAT("11.222.333/0001-80"), "check digits should be 81"),
    (lambda: udfs.CRM_CNPJ_FORMAT([1, 2]), "CNPJ"),
    (lambda: udfs.CRM_NUMBER(object()), "CRM"),
])
def test_bad_arguments_give_readable_error_text(call, fragment):
    result = call()
    assert isinstance(result, str) and result.startswith(udfs.ERROR_PREFIX)
    assert fragment in result
    assert "Traceback" not in result


def test_lookups_against_the_demo_database(demo):
    db, _ = demo
    with db.session() as s:
        account = s.scalars(select(Account).where(Account.owner_id.is_not(None)).order_by(Account.id)).first()
        login = s.get(User, account.owner_id).login
        owned = s.scalars(select(Account.type).where(Account.owner_id == account.owner_id)).all()
        contact = account.contacts[0] if account.contacts else None
    assert udfs.CRM_ACCOUNT(account.number) == account.name
    assert udfs.CRM_ACCOUNT(account.number, "portfolio") == login
    assert udfs.CRM_ACCOUNT(account.number, "UF") == account.uf
    assert udfs.CRM_ACCOUNT(account.number, "colour").startswith("#CRM: unknown field")
    assert udfs.CRM_ACCOUNT("999999/AC").startswith("#CRM: no account")
    assert udfs.CRM_PORTFOLIO_SIZE(login) == len(owned)
    assert udfs.CRM_PORTFOLIO_SIZE(login, "medical") == owned.count("MEDICAL")
    assert udfs.CRM_PORTFOLIO_SIZE("nobody").startswith("#CRM: ")  # no such user, said so
    assert udfs.CRM_PORTFOLIO_SIZE(login, "BOAT").startswith("#CRM:")
    assert udfs.CRM_SPECIALTY("cardiologia ;  CLINICA medica") == "Cardiologia; Clínica Médica"
    assert "did you mean Dermatologia" in udfs.CRM_SPECIALTY("Dermatolgia")
    if contact is not None:
        assert udfs.CRM_CONTACT_EXISTS(account.number) is True
        assert udfs.CRM_CONTACT_EXISTS(account.number, contact.name.upper()) is True
        assert udfs.CRM_CONTACT_EXISTS(account.number, "Somebody Else") is False


def test_cache_refreshes_after_a_commit_and_not_before(demo):
    db, lookups = demo
    with db.session() as s:
        account = s.scalars(select(Account).order_by(Account.id)).first()
    assert udfs.CRM_ACCOUNT(account.number) == account.name
    loads = lookups.loads
    for _ in range(100):
        udfs.CRM_ACCOUNT(account.number)
    assert lookups.loads == loads  # no reload while nothing changed
    with db.transaction() as conn:
        conn.execute(update(Account).where(Account.id == account.id).values(name="Renamed Clinic"))
        bump_data_version(conn)
    assert udfs.CRM_ACCOUNT(account.number) == "Renamed Clinic"
    assert lookups.loads == loads + 1


def test_lookups_show_only_what_the_configured_user_may_see(demo, monkeypatch):
    """The functions answer for the configured login, as every other face does: another portfolio's
    account gives a message, not its phone."""
    db, _ = demo
    with db.session() as s:
        def first_of(login):
            return s.scalars(select(Account).join(User, Account.owner_id == User.id).where(User.login == login)
                             .order_by(Account.id)).first()
        own, foreign = first_of("agent.sp1"), first_of("agent.ba1")
        inactive = s.scalars(select(Account).where(Account.owner_id.is_(None))).first()
    monkeypatch.setenv("CRMXL_LOGIN", "agent.sp1")
    udfs.set_cache(None)  # the functions build their cache from the settings
    assert udfs.CRM_ACCOUNT(own.number, "phone") == own.phone
    for answer in (udfs.CRM_ACCOUNT(foreign.number, "phone"), udfs.CRM_PORTFOLIO_SIZE("agent.ba1"),
                   udfs.CRM_CONTACT_EXISTS(foreign.number)):
        assert answer.startswith("#CRM: ") and "agent.ba1" in answer and foreign.phone not in answer
    if inactive is not None:
        assert udfs.CRM_ACCOUNT(inactive.number).startswith("#CRM: ")  # Without Portfolio: managers only
    monkeypatch.setenv("CRMXL_LOGIN", "mgr.south")
    udfs.set_cache(None)
    assert udfs.CRM_ACCOUNT(own.number, "phone") == own.phone
    assert udfs.CRM_ACCOUNT(foreign.number, "phone").startswith("#CRM: ")
    assert udfs.CRM_PORTFOLIO_SIZE("agent.sp1") > 0


def test_portfolio_size_counts_without_portfolio_and_ignores_the_logins_case(demo, monkeypatch):
    """As CRM_ACCOUNT says 'Without Portfolio' of an inactive account, CRM_PORTFOLIO_SIZE counts them, by
    either label; a login is matched ignoring case, as the Portfolio column's validation does."""
    db, _ = demo
    with db.session() as s:
        inactive = s.scalars(select(Account.type).where(Account.owner_id.is_(None))).all()
        owner = s.scalar(select(User.id).where(User.login == "agent.sp1"))
        owned = s.scalars(select(Account.type).where(Account.owner_id == owner)).all()
    assert inactive and owned
    monkeypatch.setenv("CRMXL_LOGIN", "mgr.south")
    udfs.set_cache(None)
    for label in ("Without Portfolio", "without portfolio", "Sem Carteira", " SEM CARTEIRA "):
        assert udfs.CRM_PORTFOLIO_SIZE(label) == len(inactive), label
    kind = inactive[0]
    assert udfs.CRM_PORTFOLIO_SIZE("Sem Carteira", kind.lower()) == inactive.count(kind)
    assert udfs.CRM_PORTFOLIO_SIZE("AGENT.SP1") == len(owned)
    assert udfs.CRM_PORTFOLIO_SIZE("Agent.Sp1", "MEDICAL") == owned.count("MEDICAL")
    assert udfs.CRM_PORTFOLIO_SIZE("MGR.SOUTH") == udfs.CRM_PORTFOLIO_SIZE("mgr.south")
    assert udfs.CRM_PORTFOLIO_SIZE("AGENT.BA1").startswith("#CRM: ")  # another manager's agent, in any case
    monkeypatch.setenv("CRMXL_LOGIN", "agent.sp1")
    udfs.set_cache(None)
    assert udfs.CRM_PORTFOLIO_SIZE("Agent.SP1") == len(owned)
    assert udfs.CRM_PORTFOLIO_SIZE("Without Portfolio").startswith("#CRM: ")  # managers only, as CRM_ACCOUNT


def test_portfolio_size_of_a_login_that_is_no_user_or_of_an_empty_cell(demo, monkeypatch):
    """An unknown login is no permission problem; an empty cell asks for a login, in the sheet's language."""
    monkeypatch.setenv("CRMXL_LOGIN", "admin")
    udfs.set_cache(None)
    assert udfs.CRM_PORTFOLIO_SIZE("nobody") == "#CRM: There is no user with the login nobody."
    monkeypatch.setenv("CRMXL_LOGIN", "mgr.south")
    udfs.set_cache(None)
    unknown, foreign = udfs.CRM_PORTFOLIO_SIZE("nobody"), udfs.CRM_PORTFOLIO_SIZE("agent.ba1")
    assert "may not" not in unknown and "nobody" in unknown
    assert foreign == unknown.replace("nobody", "agent.ba1")  # a manager learns nothing of other logins
    empty = udfs.CRM_PORTFOLIO_SIZE("")
    assert empty == "#CRM: Give a login, or Without Portfolio for the accounts without one."
    monkeypatch.setenv("CRMXL_LANG", "pt-BR")
    udfs.set_cache(None)
    empty = udfs.CRM_PORTFOLIO_SIZE(None)
    assert empty.startswith("#CRM: Informe um login") and "Sem Carteira" in empty and "Without" not in empty
