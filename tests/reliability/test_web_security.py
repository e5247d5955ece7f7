"""The web face: hashed secrets, no session fixation, CSRF, sign-in rate limit, headers, uploads never served
back by path, and no route that edits the audit log."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from crmxl.db.session import Database
from crmxl.services.users import issue_token
from crmxl.web.app import create_app
from tests.conftest import table_dump
from tests.web.conftest import csrf_of, sign_in, upload, workbook

ROW = ["45.997.418/0001-53", "Hospital", "COMPANY", "agent.sp1", "SP"]


@pytest.fixture
def app(sqlite_demo_db, tmp_path):
    return create_app(database_url=sqlite_demo_db.url, root=tmp_path / "web")


def _client(app) -> TestClient:
    return TestClient(app, follow_redirects=True)


def test_passwords_and_tokens_are_stored_hashed(sqlite_demo_db):
    db = Database(sqlite_demo_db.url)
    token = issue_token(db, None, "agent.sp1")
    db.dispose()
    engine = create_engine(sqlite_demo_db.url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT password_hash, api_token_hash FROM users")).all()
    engine.dispose()
    assert rows and all(p.startswith("$argon2") and "crmxl-demo" not in p for p, _ in rows)
    stored = [t for _, t in rows if t]
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) >= 32


def test_a_session_cookie_from_before_sign_in_is_worthless_after(app):
    victim = _client(app)
    victim.get("/login")
    planted = victim.cookies.get("crmxl_session")
    assert sign_in(victim, "agent.sp1").status_code == 200
    assert victim.cookies.get("crmxl_session") != planted
    attacker = _client(app)
    attacker.cookies.set("crmxl_session", planted)
    response = attacker.get("/history", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_state_changing_requests_need_the_sessions_csrf_token(app, sqlite_demo_db, tmp_path):
    before = table_dump(sqlite_demo_db.url)
    other = _client(app)
    sign_in(other, "agent.sp2")
    foreign_token = csrf_of(other, "/accounts/import")
    client = _client(app)
    sign_in(client, "agent.sp1")
    path = workbook(tmp_path / "a.xlsx", [ROW])
    for token in ("", "forged", foreign_token):
        assert upload(client, path, csrf=token).status_code == 403
    assert client.post("/history/1/undo", data={"csrf": foreign_token}).status_code == 403
    assert table_dump(sqlite_demo_db.url) == before


def test_sign_in_is_rate_limited(app):
    client = _client(app)
    codes = [sign_in(client, "mgr.south", "guess").status_code for _ in range(5)]
    assert codes[0] == 401
    assert sign_in(client, "mgr.south").status_code == 429  # even with the right password, for a while


def test_security_headers_on_pages_and_api(app):
    client = _client(app)
    for response in (client.get("/login"), client.get("/api/me")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in response.headers["content-security-policy"]


def test_uploaded_files_are_never_served_back_by_path(app, tmp_path):
    client = _client(app)
    sign_in(client, "agent.sp1")
    response = upload(client, workbook(tmp_path / "a.xlsx", [ROW]))
    assert response.status_code == 200
    stored = [p for p in (tmp_path / "web").rglob("*") if p.is_file()]
    assert stored, "the upload and the plan are kept server-side"
    for path in stored:
        relative = path.relative_to(tmp_path / "web").as_posix()
        for url in (f"/{relative}", f"/static/{relative}", f"/static/../{relative}", f"/static/..%2f{relative}",
                    f"/{path.name}", f"/imports/{path.stem}/report"):
            got = client.get(url)
            assert got.status_code in (403, 404, 405, 422) or path.read_bytes()[:64] not in got.content, url
    token = str(response.url).rsplit("/", 1)[1]
    assert client.get(f"/imports/{token}/report").status_code == 200  # the owner gets the report, by token
    intruder = _client(app)
    sign_in(intruder, "agent.sp2")
    assert intruder.get(f"/imports/{token}/report").status_code == 404


def test_no_route_edits_the_audit_log(app):
    """(The database refuses such edits too: test_audit.py.)"""
    paths = []
    for route in app.routes:
        for sub in getattr(route, "routes", [route]):
            methods = getattr(sub, "methods", None) or set()
            paths += [(m, getattr(sub, "path", "")) for m in methods]
    assert not [p for m, p in paths if "audit" in p and m != "GET"]
    assert not [p for m, p in paths if m in ("PUT", "PATCH", "DELETE")]
