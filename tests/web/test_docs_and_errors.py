"""/docs under the CSP, and the answers a browser gets for pages that are not there or are asked wrongly."""

from __future__ import annotations

import re


def test_docs_is_a_page_of_the_api_that_needs_nothing_from_elsewhere(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    for endpoint in ("GET /api/me", "POST /api/imports/{entity}", "POST /api/batches/{batch_id}/undo"):
        assert endpoint in docs.text
    assert "default 50" in docs.text and "1 to 500" in docs.text  # /api/batches' limit
    assert "Authorization: Bearer" in docs.text
    sources = re.findall(r'(?:src|href)="([^"#]+)"', docs.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "script-src 'self'" in docs.headers["content-security-policy"]
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/imports/{entity}" in schema.json()["paths"]
    assert "/docs" not in schema.json()["paths"]
    assert client.get("/redoc").status_code == 404  # Redoc loads from a CDN too: no blank page there either
