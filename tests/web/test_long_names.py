"""An uploaded file's name longer than the batch's column: kept cut to it, extension visible, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from crmxl.db.models import ImportBatch
from crmxl.db.session import Database
from crmxl.services.users import issue_token
from crmxl.web.app import create_app
from tests.web.conftest import csrf_of, sign_in, workbook

GOOD = ["11.222.333/0001-81", "Clínica Certa", "COMPANY", "agent.sp1", "SP"]
LONG = "relatório de contas " * 15 + "fim.xlsx"  # 308 characters


@pytest.fixture
def api(demo_db, tmp_path):
    client = TestClient(create_app(database_url=demo_db.url, root=tmp_path / "web"), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {issue_token(Database(demo_db.url), None, 'agent.sp1')}"}
    return client, headers


def _stored_names(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = list(conn.execute(select(ImportBatch.file_name).order_by(ImportBatch.id)).scalars())
    engine.dispose()
    return names


def test_a_long_file_name_is_kept_cut_to_its_column(api, demo_db, tmp_path):
    client, headers = api
    path = workbook(tmp_path / "a.xlsx", [GOOD])
    done = client.post("/api/imports/accounts?commit=true", headers=headers,
                       files={"file": (LONG, path.read_bytes())})
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["committed"] is True and answer["file"] == LONG  # the answer names the file as uploaded
    stored = _stored_names(demo_db.url)[-1]
    assert len(stored) == ImportBatch.__table__.c.file_name.type.length
    assert stored.startswith("relatório de contas") and stored.endswith("fim.xlsx") and "…" in stored
    listed = client.get("/api/batches", headers=headers).json()
    assert listed[0]["file_name"] == stored
    assert client.post(f"/api/batches/{answer['batch_id']}/undo", headers=headers).status_code == 200


def test_a_value_the_database_refuses_is_no_server_error(api, demo_db, tmp_path, monkeypatch):
    """Should a value too long still reach PostgreSQL, the API says the database refused it (400), not a 500."""
    from crmxl.services import limits

    monkeypatch.setattr(limits, "length_of", lambda column: 10_000)
    client, headers = api
    path = workbook(tmp_path / "a.xlsx", [GOOD])
    done = client.post("/api/imports/accounts?commit=true", headers=headers,
                       files={"file": (LONG, path.read_bytes())})
    if demo_db.backend == "sqlite":
        assert done.status_code == 200
        return
    assert done.status_code == 400, done.text
    assert "refused" in done.json()["detail"] and "Unexpected" not in done.text


def test_a_profile_name_too_long_is_the_pages_error(demo_db, tmp_path):
    client = TestClient(create_app(database_url=demo_db.url, root=tmp_path / "web"), follow_redirects=True,
                        raise_server_exceptions=False)
    sign_in(client, "mgr.south")
    saved = client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "P" * 120,
                                           "entity": "accounts"})
    assert saved.status_code == 400, saved.text
    assert "at most 100 characters" in saved.text and "120" in saved.text
    assert "P" * 120 not in client.get("/export?tab=profiles").text
