"""Permissions live in the service layer: an agent works only in their portfolio, a manager only in their
agents'; every face (service call, CLI --as, the web API with a token, the Excel macros' settings) is refused
the same way, and nothing is written."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from crmxl.db.session import Database
from crmxl.errors import PermissionDenied
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services.access import actor_for
from crmxl.services.exporting import export
from crmxl.services.history import get_batch, undo
from crmxl.services.importing.model import AccountCreate
from crmxl.services.imports import commit_import, plan_import
from crmxl.services.profiles import add_profile
from crmxl.services.transfer import commit_transfer, plan_transfer
from crmxl.services.users import issue_token
from tests.conftest import table_dump
from tests.services.import_files import demo_accounts, workbook

# a refusal: "may not ...", or a login not among the actor's said in words that tell nothing of other logins
REFUSED = re.compile(r"may not|no portfolio \S+ among those")

SP1_OWN = "agent.sp1"  # mgr.south's agents: agent.sp1, agent.sp2, ...; mgr.north's: agent.ba1, ...
# (actor, a portfolio they may not touch)
OUTSIDE = [("agent.sp1", "agent.sp2"), ("agent.sp1", "agent.ba1"), ("mgr.south", "agent.ba1"),
           ("mgr.north", "agent.sp1")]


def _actor(db: Database, login: str):
    with db.session() as s:
        return actor_for(s, login)


def _foreign_rows(url: str, owner: str) -> list[dict]:
    """Rows that would touch ``owner``'s portfolio: an edit of one of their accounts, a new account for them."""
    edit = {**demo_accounts(url, owner, limit=1)[0], "city": "Outra"}
    new = {"account_number": "45.997.418/0001-53", "name": "Nova", "type": "COMPANY", "portfolio": owner, "uf": "SP"}
    return [edit, new]


def _admin_batch(db: Database, owner: str) -> int:
    """A batch touching ``owner``'s accounts: their insurers moved to Without Portfolio."""
    admin = _actor(db, "admin")
    plan = plan_transfer(db, admin, owner, None, types=["INSURANCE"])
    return commit_transfer(db, admin, plan)


@pytest.mark.parametrize(("login", "foreign"), OUTSIDE)
def test_the_services_refuse_every_operation_outside_the_portfolio(demo_db, tmp_path, login, foreign):
    db = Database(demo_db.url)
    actor = _actor(db, login)
    batch = _admin_batch(db, foreign)
    before = table_dump(demo_db.url)
    # import: every foreign row is an error; a plan forged to skip the check is refused at commit
    plan = plan_import(db, actor, workbook(tmp_path / "f.xlsx", _foreign_rows(demo_db.url, foreign)), "accounts")
    assert plan.error_rows == {2, 3} and {f.code for f in plan.result.errors} <= {
        "account_in_foreign_portfolio", "portfolio_not_allowed"}
    assert commit_import(db, actor, plan, skip_invalid=True) is None
    forged = dataclasses.replace(plan, accounts_create=[AccountCreate(3, "45997418000153", foreign, {
        "type": "COMPANY", "name": "Nova", "uf": "SP", "city": None, "address": None, "cep": None, "phone": None,
        "email": None})])
    forged.result.findings.clear()
    with pytest.raises(PermissionDenied):
        commit_import(db, actor, forged)
    # export, transfer (from and to), undo of a batch in that portfolio, batch details
    with pytest.raises(PermissionDenied):
        export(db, actor, "accounts", tmp_path / "x.xlsx", portfolios=[foreign])
    assert not (tmp_path / "x.xlsx").exists()
    own = login if login.startswith("agent.") else sorted(actor.portfolios - {login})[0]
    for source, target in ((foreign, own), (own, foreign)):
        with pytest.raises(PermissionDenied):
            commit_transfer(db, actor, plan_transfer(db, actor, source, target))
    with pytest.raises(PermissionDenied):
        undo(db, actor, batch)
    with pytest.raises(PermissionDenied):
        get_batch(db, actor, batch)
    if login.startswith("agent."):
        with pytest.raises(PermissionDenied):
            add_profile(db, actor, "mine", "accounts")
    assert table_dump(demo_db.url) == before
    db.dispose()


def test_a_manager_works_within_their_agents_portfolios(demo_db, tmp_path):
    db = Database(demo_db.url)
    manager = _actor(db, "mgr.south")
    plan = plan_import(db, manager, workbook(tmp_path / "f.xlsx", _foreign_rows(demo_db.url, "agent.sp2")),
                       "accounts")
    assert not plan.has_errors and commit_import(db, manager, plan)
    assert export(db, manager, "accounts", tmp_path / "x.xlsx", portfolios=["agent.sp2"]).rows > 0
    batch = commit_transfer(db, manager, plan_transfer(db, manager, "agent.sp1", "agent.sp2", types=["INSURANCE"]))
    assert undo(db, manager, batch)
    db.dispose()


def test_the_command_line_as_an_agent(cli, sqlite_demo_db, tmp_path):
    url = sqlite_demo_db.url
    db = Database(url)
    batch = _admin_batch(db, "agent.ba1")
    db.dispose()
    before = table_dump(url)
    path = workbook(tmp_path / "f.xlsx", _foreign_rows(url, "agent.ba1"))
    as_agent = ("--db", url, "--as", SP1_OWN)
    result = cli("import", "accounts", path, "--commit", "--skip-invalid", "--json", *as_agent)
    assert result.exit_code == 1 and '"committed": false' in result.stdout
    for args in (("export", "accounts", "--portfolio", "agent.ba1", "-o", tmp_path / "x.xlsx"),
                 ("transfer", "--from", "agent.ba1", "--to", SP1_OWN, "--commit"),
                 ("transfer", "--from", SP1_OWN, "--to", "agent.ba1", "--commit"),
                 ("undo", batch)):
        result = cli(*args, *as_agent)
        assert result.exit_code == 2 and REFUSED.search(result.stderr), (args, result)
        assert "Traceback" not in result.stderr
    assert table_dump(url) == before


def test_the_web_api_with_an_agents_token(sqlite_demo_db, tmp_path):
    url = sqlite_demo_db.url
    db = Database(url)
    batch = _admin_batch(db, "agent.ba1")
    token = issue_token(db, None, SP1_OWN)
    db.dispose()
    before = table_dump(url)
    from crmxl.web.app import create_app

    client = TestClient(create_app(database_url=url, root=tmp_path / "web"))
    auth = {"Authorization": f"Bearer {token}"}
    path = workbook(tmp_path / "f.xlsx", _foreign_rows(url, "agent.ba1"))
    with path.open("rb") as handle:
        data = client.post("/api/imports/accounts?commit=true&skip_invalid=true", headers=auth,
                           files={"file": ("f.xlsx", handle)}).json()
    assert data["committed"] is False and data["reported_rows"] == 2
    assert client.post("/api/exports/accounts", headers=auth, json={"portfolios": ["agent.ba1"]}).status_code == 403
    assert client.get(f"/api/batches/{batch}", headers=auth).status_code == 403
    assert client.post(f"/api/batches/{batch}/undo", headers=auth).status_code == 403
    assert client.get("/api/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert table_dump(url) == before


def test_the_excel_macros_act_as_the_configured_login(sqlite_demo_db, tmp_path, monkeypatch):
    from crmxl.workbook.xlwings_engine import open_book
    from crmxl.xl import macros

    url = sqlite_demo_db.url
    monkeypatch.setenv("CRMXL_DATABASE_URL", url)
    monkeypatch.setenv("CRMXL_LOGIN", SP1_OWN)
    before = table_dump(url)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    sheet.append([c.header("en") for c in ACCOUNTS.columns])
    for row in _foreign_rows(url, "agent.ba1"):
        sheet.append([row.get(f) for f in ACCOUNTS.fields])
    control = book.create_sheet("CRM")
    control.append(["Profile / Perfil", None])
    control.append(["Portfolio / Carteira", "agent.ba1"])
    control.append(["Account type / Tipo de conta", None])
    book.save(tmp_path / "x.xlsx")
    live = open_book(Path(tmp_path / "x.xlsx"))
    live.app.impl.answers = ["yes"]
    assert macros.import_sheet(live) is None
    assert "errors" in live.app.impl.alerts[-1]["prompt"]
    assert macros.export_accounts(live) is None
    assert REFUSED.search(live.app.impl.alerts[-1]["prompt"])
    assert table_dump(url) == before


def test_a_contacts_batch_is_undone_only_by_who_may_touch_its_accounts(cli, sqlite_demo_db, tmp_path):
    """A batch of contacts only: another agent may not undo it (they may not even see it), and its own author
    may not either once the account went to a portfolio they may not touch."""
    url = sqlite_demo_db.url
    number = demo_accounts(url, SP1_OWN, limit=1)[0]["account_number"]
    path = workbook(tmp_path / "c.xlsx", [{"account_number": number, "name": "Nova Secretária", "identifier": number,
                                           "type": "SECRETARY"}], tpl=CONTACTS)
    result = cli("import", "contacts", path, "--commit", "--json", "--db", url, "--as", SP1_OWN)
    assert result.exit_code == 0, result
    batch = json.loads(result.stdout)["batch_id"]
    before = table_dump(url)
    refused = cli("undo", batch, "--db", url, "--as", "agent.ba1")
    assert refused.exit_code == 2 and "may not see batch" in refused.stderr, refused
    assert table_dump(url) == before
    moved = cli("transfer", "--from", SP1_OWN, "--to", "agent.ba1", "--commit", "--db", url)
    assert moved.exit_code == 0, moved
    before = table_dump(url)
    refused = cli("undo", batch, "--db", url, "--as", SP1_OWN)
    assert refused.exit_code == 2 and "agent.ba1" in refused.stderr, refused
    assert table_dump(url) == before
