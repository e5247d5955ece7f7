"""What pages show in a real browser under the app's Content-Security-Policy (Debian's chromium, Playwright)."""

from __future__ import annotations

from tests.web.test_browser import ARGS, CHROMIUM, _require_browser, server  # noqa: F401  (the live server)


def _open(url: str):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = browser.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("requestfailed", lambda r: refused.append(f"failed: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return playwright, browser, page, refused


def test_the_api_docs_page_shows_the_api_offline_under_the_csp(server):  # noqa: F811
    _require_browser()
    playwright, browser, page, refused = _open(server + "/docs")
    try:
        shown = page.inner_text("body")
        for endpoint in ("/api/me", "/api/imports/{entity}", "/api/batches/{batch_id}/undo", "/api/lists"):
            assert endpoint in shown, shown[:500]
        assert "Authorization: Bearer" in shown and "/openapi.json" in shown
        assert not refused, refused
    finally:
        browser.close()
        playwright.stop()
