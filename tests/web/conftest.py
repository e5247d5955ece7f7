from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from crmxl.web.app import create_app

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def web(sqlite_demo_db, tmp_path):
    app = create_app(database_url=sqlite_demo_db.url, root=tmp_path / "web")
    app.state.web.root = tmp_path / "web"
    return app


@pytest.fixture
def client(web):
    return TestClient(web, follow_redirects=True)


def csrf_of(client: TestClient, page: str = "/login") -> str:
    return CSRF.search(client.get(page).text).group(1)


def sign_in(client: TestClient, login: str, password: str = "crmxl-demo"):
    return client.post("/login", data={"login": login, "password": password, "csrf": csrf_of(client)})


def workbook(path: Path, rows: list[list], sheet: str = "Accounts") -> Path:
    from crmxl.schema import TEMPLATES

    tpl = TEMPLATES["accounts" if sheet == "Accounts" else "contacts"]
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([c.header("en") for c in tpl.columns])
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def upload(client: TestClient, path: Path, entity: str = "accounts", csrf: str | None = None, **extra):
    token = csrf if csrf is not None else csrf_of(client, f"/{entity}/import")
    with path.open("rb") as handle:
        return client.post(f"/{entity}/import", data={"csrf": token, **extra},
                           files={"file": (path.name, handle, "application/octet-stream")})
