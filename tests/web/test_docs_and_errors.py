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


def _is_error_page(response, status: int, fragment: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    assert 'id="error-message"' in response.text and fragment in response.text, response.text[-600:]
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_page_urls_answer_the_html_error_page_in_the_users_language(client):
    from tests.web.conftest import sign_in

    _is_error_page(client.get("/no/such/page"), 404, "/no/such/page")  # before signing in too
    sign_in(client, "agent.sp1")
    _is_error_page(client.get("/acounts/imports"), 404, "/acounts/imports")
    wrong_method = client.get("/logout")
    _is_error_page(wrong_method, 405, "GET")
    assert wrong_method.headers["allow"] == "POST"
    _is_error_page(client.get("/history?before=abc"), 422, "the Older link")
    _is_error_page(client.get("/history/0"), 422, "the batch number")
    _is_error_page(client.get("/imports/abc?page=two"), 422, "the page number")
    client.get("/lang/pt-BR")
    _is_error_page(client.get("/acounts/imports"), 404, "Não existe")
    _is_error_page(client.get("/logout"), 405, "GET")
    assert 'lang="pt-BR"' in client.get("/history?before=abc").text


def test_a_bad_value_on_a_page_is_named_in_the_pages_words_not_the_codes(client):
    from tests.web.conftest import sign_in

    sign_in(client, "agent.sp1")
    for url, words, code in (("/history/0", "the batch number", "batch_id"),
                             ("/imports/abc?page=two", "the page number", "page"),
                             ("/imports/abc?errors=x", "“Only rows with errors”", "errors"),
                             ("/history?after=-1", "the Newer link", "after"),
                             ("/history?before=0", "the Older link", "before")):
        response = client.get(url)
        _is_error_page(response, 422, words)
        message = re.search(r'id="error-message"[^>]*>(.*?)<', response.text, re.S).group(1)
        assert message.split(" given for ", 1)[1].split(": open", 1)[0] == words, (code, message)
    client.get("/lang/pt-BR")
    _is_error_page(client.get("/history/0"), 422, "o número do lote")
    _is_error_page(client.get("/imports/abc?page=two"), 422, "o número da página")
    _is_error_page(client.get("/history?before=0"), 422, "o link Mais antigos")


def test_api_urls_keep_answering_json(client, sqlite_demo_db):
    for response, status in ((client.get("/api/nope"), 404), (client.get("/api/batches/1/undo"), 405),
                             (client.post("/api/me"), 405)):
        assert response.status_code == status and response.headers["content-type"] == "application/json"
        assert "detail" in response.json()
    from tests.web.test_api import _token

    bad = client.get("/api/batches?limit=0", headers=_token(sqlite_demo_db.url, "agent.sp1"))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/json"
    assert bad.json()["detail"][0]["loc"] == ["query", "limit"]


def test_an_upload_over_the_limit_without_a_length_gets_the_same_413(sqlite_demo_db, tmp_path):
    from fastapi.testclient import TestClient

    from crmxl.web.app import create_app
    from tests.web.conftest import csrf_of, sign_in
    from tests.web.test_api import _token

    client = TestClient(create_app(database_url=sqlite_demo_db.url, upload_limit=20_000, root=tmp_path / "w"))
    sign_in(client, "agent.sp1")
    boundary = "crmxl-test-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf_of(client, "/accounts/import")}'
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"x" * 60_000 + f"\r\n--{boundary}--\r\n".encode()
    kind = {"content-type": f"multipart/form-data; boundary={boundary}"}

    def chunked():  # no Content-Length: the size is known only while the body streams in
        for start in range(0, len(body), 8192):
            yield body[start:start + 8192]

    for url, headers in (("/accounts/import", kind), ("/api/imports/accounts", {**kind, **_token(sqlite_demo_db.url, "agent.sp1")})):
        declared = client.post(url, content=body, headers=headers)
        streamed = client.post(url, content=chunked(), headers=headers)
        assert declared.status_code == 413 and "upload limit" in declared.text
        assert streamed.status_code == 413, (url, streamed.status_code, streamed.text[-300:])
        assert streamed.text == declared.text and streamed.headers["content-type"] == declared.headers["content-type"]
    assert not any((tmp_path / "w" / "uploads").iterdir())
