"""The pages speak the web's words: checkboxes and fields, not command-line flags or internal names."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select, text

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


def _text(response) -> str:
    """The page's text as a person reads it (no tags, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_history_and_batch_pages_show_labels_logins_and_values_as_written(client, sqlite_demo_db, tmp_path):
    from crmxl.services.access import actor_for
    from crmxl.services.transfer import commit_transfer, plan_transfer

    db = Database(sqlite_demo_db.url)
    with db.session() as session:
        admin = actor_for(session, "admin")
    moved = commit_transfer(db, admin, plan_transfer(db, admin, "agent.sp1", "agent.sp2", types=["INSURANCE"]))
    with db.engine.connect() as conn:
        doctor = conn.execute(text("SELECT identifier, name FROM contacts WHERE type = 'DOCTOR' AND birth_date IS NULL "
                                   "ORDER BY id LIMIT 1")).one()
    db.dispose()
    path = workbook(tmp_path / "c.xlsx", [[doctor.identifier, doctor.name, doctor.identifier, "DOCTOR",
                                           "Pediatria; Cardiologia", "dr@example.com", None, dt.date(1980, 3, 5)]],
                    sheet="Contacts")
    sign_in(client, "admin")
    review = upload(client, path, entity="contacts")
    token = re.search(r"/imports/([0-9a-f]+)", str(review.url)).group(1)
    done = client.post(f"/imports/{token}/next", data={"csrf": csrf_of(client, f"/imports/{token}")})
    contacts_batch = int(str(done.url).rsplit("/", 1)[1])

    transfer = _text(client.get(f"/history/{moved}"))
    assert "Portfolio: agent.sp1 → agent.sp2" in transfer and "owner_id" not in transfer
    assert "Portfolio transfer" in transfer and "portfolio_moves" not in transfer
    contact = _text(client.get(f"/history/{contacts_batch}"))
    assert "Cardiologia; Pediatria" in contact and "['" not in contact
    assert "Birth Date: → 05/03/1980" in contact and "1980-03-05" not in contact
    assert "→ dr@example.com" in contact and "None" not in contact
    assert "Contacts import" in contact and "import_contacts" not in contact and "contacts_update" not in contact
    listed = _text(client.get("/history"))
    assert "Contacts import" in listed and "Portfolio transfer" in listed and "Contacts updated" in listed
    assert "import_contacts" not in listed and "contacts_update" not in listed and "portfolio_moves" not in listed
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", listed) and not re.search(r"\d{4}-\d\d-\d\d", listed)
    client.get("/lang/pt-BR")
    listed = _text(client.get("/history"))
    assert "Importação de contatos" in listed and "Contatos atualizados" in listed
    assert "Carteira: agent.sp1 → agent.sp2" in _text(client.get(f"/history/{moved}"))


def test_the_review_page_shows_labels_and_cells_as_written(client, sqlite_demo_db, tmp_path):
    row = _owned_account(sqlite_demo_db.url)
    sign_in(client, "admin")
    path = workbook(tmp_path / "a.xlsx", [[123456, "Dr X", "MEDICAL", "agent.sp1", "SP"],
                                          [row[0], "Renamed", row[2], "agent.sp2", row[4]]])
    page = _text(upload(client, path, allow_transfers="true"))
    assert "Accounts to create 1" in page and "Portfolio transfers 1" in page
    assert "accounts create" not in page and "accounts_create" not in page
    assert "123456.0" not in page and "2 123456 Dr X" in page
    assert "Account Name: " in page and "Portfolio: agent.sp1 → agent.sp2" in page
    client.get("/lang/pt-BR")
    page = _text(upload(client, path, allow_transfers="true"))
    assert "Contas a criar 1" in page and "Nome da Conta: " in page and "Carteira: agent.sp1 → agent.sp2" in page


def test_the_profiles_tab_shows_columns_and_filters_by_their_labels(client):
    sign_in(client, "mgr.south")
    client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "SP firms",
                                   "entity": "accounts", "column": ["name", "uf"],
                                   "portfolio": ["agent.sp1", "__without__"], "type": "COMPANY", "ufs": "SP"})
    page = _text(client.get("/export?tab=profiles"))
    row = page[page.index("SP firms"):][:300]
    assert "Accounts" in row and "Account Name" in row and "account_number" not in row
    assert "Portfolios: agent.sp1; Without Portfolio" in row and "Account types: COMPANY" in row
    assert "['" not in row and "without_portfolio" not in row and "True" not in row
    client.get("/lang/pt-BR")
    page = _text(client.get("/export?tab=profiles"))
    row = page[page.index("SP firms"):][:300]
    assert "Contas" in row and "Nome da Conta" in row and "Carteiras: agent.sp1; Sem Carteira" in row


def test_an_undo_batch_page_says_restored_in_the_page_language(client, sqlite_demo_db):
    from crmxl.services import history
    from crmxl.services.access import actor_for
    from crmxl.services.transfer import commit_transfer, plan_transfer

    db = Database(sqlite_demo_db.url)
    with db.session() as session:
        admin = actor_for(session, "admin")
    moved = commit_transfer(db, admin, plan_transfer(db, admin, "agent.sp1", "agent.sp2", types=["INSURANCE"]))
    undo = history.undo(db, admin, moved)
    db.dispose()
    sign_in(client, "admin")
    page = _text(client.get(f"/history/{undo}"))
    assert "Restored" in page and not re.search(r"\brestore\b", page)
    client.get("/lang/pt-BR")
    page = _text(client.get(f"/history/{undo}"))
    assert "Restauração" in page and not re.search(r"\brestore\b", page) and "Restored" not in page


def test_the_header_names_the_role_in_the_page_language(client):
    sign_in(client, "agent.sp1")
    who = lambda: _text(client.get("/history")).split(" Sair")[0].split(" Sign out")[0]  # noqa: E731
    assert "(agent.sp1, agent)" in who()
    client.get("/lang/pt-BR")
    assert "(agent.sp1, agente)" in who()
    sign_in(client, "mgr.south")
    assert "(mgr.south, gerente)" in who()
    sign_in(client, "admin")
    assert "(admin, administrador)" in who()
