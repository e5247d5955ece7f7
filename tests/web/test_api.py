"""The JSON API under /api/: token authentication, imports, exports, batches, undo, lists, roles."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from crmxl.db.models import User
from crmxl.db.session import Database
from crmxl.domain.text import sorted_names
from crmxl.services.users import issue_token
from tests.conftest import table_dump
from tests.web.conftest import workbook

GOOD = ["11.222.333/0001-81", "Clínica Certa", "COMPANY", "agent.sp1", "SP"]


def _token(url: str, login: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(Database(url), None, login)}"}


def test_tokens_are_needed_and_stored_hashed(client, sqlite_demo_db):
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    headers = _token(sqlite_demo_db.url, "mgr.south")
    me = client.get("/api/me", headers=headers).json()
    assert me["login"] == "mgr.south" and "agent.sp1" in me["portfolios"]
    with Database(sqlite_demo_db.url).session() as s:
        stored = s.scalar(select(User.api_token_hash).where(User.login == "mgr.south"))
    assert stored and headers["Authorization"].split()[1] not in stored and len(stored) == 64


def test_import_dry_run_commit_batches_undo(client, sqlite_demo_db, tmp_path):
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    before = table_dump(sqlite_demo_db.url)
    path = workbook(tmp_path / "a.xlsx", [GOOD])
    dry = client.post("/api/imports/accounts", headers=headers, files={"file": ("a.xlsx", path.read_bytes())}).json()
    assert dry["file"] == "a.xlsx" and dry["rows"] == 1 and dry["committed"] is False
    assert dry["plan"]["accounts_create"] == 1 and [f["code"] for f in dry["findings"]] == ["template_unstamped"]
    assert "of a.xlsx has no crmxl template stamp" in dry["findings"][0]["message"]  # the user's name, not ours
    done = client.post("/api/imports/accounts?commit=true", headers=headers,
                       files={"file": ("a.xlsx", path.read_bytes())}).json()
    assert done["committed"] is True and done["batch_id"]
    batches = client.get("/api/batches", headers=headers).json()
    assert batches[0]["id"] == done["batch_id"]
    detail = client.get(f"/api/batches/{done['batch_id']}", headers=headers).json()
    assert detail["changes"][0]["action"] == "create"
    assert client.post(f"/api/batches/{done['batch_id']}/undo", headers=headers).json()["undone"] == done["batch_id"]
    assert table_dump(sqlite_demo_db.url) == before


def test_import_with_errors_is_not_committed(client, sqlite_demo_db, tmp_path):
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    path = workbook(tmp_path / "b.xlsx", [[*GOOD[:3], "agent.sp2", "SP"]])
    result = client.post("/api/imports/accounts?commit=true", headers=headers,
                         files={"file": ("b.xlsx", path.read_bytes())}).json()
    assert result["committed"] is False
    assert [(f["column"], f["code"]) for f in result["findings"] if f["severity"] == "error"] == [("D", "portfolio_not_allowed")]


def test_export_roles_profiles_lists(client, sqlite_demo_db):
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    response = client.post("/api/exports/accounts", headers=headers, json={"portfolios": ["agent.sp1"]})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Accounts"]
    assert sheet.max_row > 100
    assert client.post("/api/exports/accounts", headers=headers, json={"portfolios": ["agent.sp2"]}).status_code == 403
    assert client.post("/api/exports/accounts", headers=headers, json={"without_portfolio": True}).status_code == 403
    assert client.post("/api/exports/accounts", headers=headers, json={}).status_code == 400
    listed = {p["name"]: p for p in client.get("/api/profiles", headers=headers).json()}
    assert listed["Default accounts"]["created_by"] == "system" and listed["Default accounts"]["may_change"] is False
    lists = client.get("/api/lists", headers=headers).json()
    assert lists["logins"] == ["agent.sp1"] and len(lists["qualifications"]) == 55
    assert lists["qualifications"] == sorted_names(lists["qualifications"])  # not the database's collation
    assert lists["qualifications"].index("Cirurgia da Mão") < lists["qualifications"].index("Cirurgia Vascular")
    assert lists["without_portfolio"] is False  # an agent may not make accounts inactive
    other = _token(sqlite_demo_db.url, "agent.ba1")
    assert client.post("/api/batches/999/undo", headers=other).status_code == 404


def test_an_export_in_a_language_written_loosely(client, sqlite_demo_db):
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    for lang, sheet in (("pt", "Contas"), ("pt_br", "Contas"), ("PT-BR", "Contas"), ("xx", "Accounts")):
        response = client.post("/api/exports/accounts", headers=headers,
                               json={"portfolios": ["agent.sp1"], "lang": lang})
        assert response.status_code == 200, (lang, response.text)
        assert sheet in openpyxl.load_workbook(io.BytesIO(response.content)).sheetnames


def test_the_batch_list_takes_a_sane_limit(client, sqlite_demo_db):
    headers = _token(sqlite_demo_db.url, "admin")
    assert client.get("/api/batches?limit=-1", headers=headers).status_code == 422
    assert client.get("/api/batches?limit=501", headers=headers).status_code == 422
    assert client.get("/api/batches?limit=1", headers=headers).status_code == 200


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/me", "/api/imports/{entity}", "/api/exports/{entity}", "/api/batches/{batch_id}/undo"} <= set(paths)
    assert all(path.startswith("/api/") for path in paths), sorted(p for p in paths if not p.startswith("/api/"))


def test_the_docs_page_lists_the_api_only(client):
    docs = client.get("/docs").text
    assert "GET /api/batches" in docs
    for page in ("/login", "/history", "/{entity}/import", "/imports/{token}/report", "/export"):
        assert f" {page}</code>" not in docs, page


def test_a_batch_number_out_of_range_is_no_server_error(client, sqlite_demo_db):
    headers = _token(sqlite_demo_db.url, "admin")
    for response in (client.get("/api/batches/99999999999999999999", headers=headers),
                     client.post("/api/batches/99999999999999999999/undo", headers=headers)):
        assert response.status_code == 422, response.text
