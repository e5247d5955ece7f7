"""The pages speak the web's words: checkboxes and fields, not command-line flags or internal names."""

from __future__ import annotations

import html

from sqlalchemy import select

from crmxl.db.models import Account
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from tests.web.conftest import csrf_of, sign_in, upload, workbook

FLAGS = ("--allow-transfers", "--portfolio", "--without-portfolio", "--skip-invalid")


def _owned_account(url: str) -> list:
    db = Database(url)
    with db.session() as s:
        target = s.scalars(select(Account).where(Account.owner_id.is_not(None)).order_by(Account.id)).first()
        row = [display_account_number(target.number), target.name, target.type, "Without Portfolio", target.uf]
    db.dispose()
    return row


def test_a_transfer_not_allowed_names_the_checkbox_not_a_flag(client, sqlite_demo_db, tmp_path):
    sign_in(client, "admin")
    path = workbook(tmp_path / "move.xlsx", [_owned_account(sqlite_demo_db.url)])
    page = html.unescape(upload(client, path).text)
    assert "portfolio transfers must be allowed" in page
    assert "Allow moving accounts between portfolios" in page and not any(f in page for f in FLAGS)
    client.get("/lang/pt-BR")
    page = html.unescape(upload(client, path).text)
    assert "Permitir transferir contas entre carteiras" in page and not any(f in page for f in FLAGS)


def test_an_export_without_a_portfolio_names_the_checkboxes_not_flags(client):
    sign_in(client, "mgr.south")
    refused = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts"})
    said = html.unescape(refused.text)
    assert refused.status_code == 400 and "Say whose accounts to export" in said
    assert "Portfolios" in said and not any(f in said for f in FLAGS)
    client.get("/lang/pt-BR")
    assert "Sem Carteira" in client.get("/export").text  # the checkbox the message names, in the page's language
    said = html.unescape(client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts"}).text)
    assert "“Carteiras” (Sem Carteira" in said and not any(f in said for f in FLAGS)


def test_the_api_names_its_own_parameters(client, sqlite_demo_db, tmp_path):
    from crmxl.services.users import issue_token

    headers = {"Authorization": f"Bearer {issue_token(Database(sqlite_demo_db.url), None, 'admin')}"}
    path = workbook(tmp_path / "move.xlsx", [_owned_account(sqlite_demo_db.url)])
    with path.open("rb") as handle:
        data = client.post("/api/imports/accounts", headers=headers, files={"file": ("move.xlsx", handle)}).json()
    said = " ".join(f["message"] for f in data["findings"])
    assert "allow_transfers=true" in said and "--allow-transfers" not in said
    refused = client.post("/api/exports/accounts", headers=headers, json={})
    assert refused.status_code == 400 and "without_portfolio" in refused.json()["detail"]
    assert not any(f in refused.json()["detail"] for f in FLAGS)


def test_the_command_line_keeps_its_flags(cli, sqlite_demo_db, tmp_path):
    path = workbook(tmp_path / "move.xlsx", [_owned_account(sqlite_demo_db.url)])
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--as", "admin")
    assert "--allow-transfers" in result.stdout + result.stderr
    result = cli("export", "accounts", "-o", tmp_path / "x.xlsx", "--db", sqlite_demo_db.url, "--as", "admin")
    assert "--without-portfolio" in result.stdout + result.stderr
