"""End to end in a real browser (Debian's chromium driven by Playwright): the seed's whole flow."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import table_dump

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def _require_browser():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") or os.environ.get("CRMXL_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here but is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture
def server(sqlite_demo_db, tmp_path):
    import uvicorn

    from crmxl.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(database_url=sqlite_demo_db.url, root=tmp_path / "web"), host="127.0.0.1",
                            port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if uv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(timeout=10)


def test_sign_in_upload_warning_report_fix_next_history_undo(server, sqlite_demo_db, tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    before = table_dump(sqlite_demo_db.url)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(accept_downloads=True)
        page.goto(server + "/accounts/import")
        page.fill("input[name=login]", "agent.sp1")
        page.fill("input[name=password]", "crmxl-demo")
        page.screenshot(path=str(ARTIFACTS / "01-sign-in.png"))
        page.click("button[type=submit]")
        page.wait_for_selector("#upload-form")
        assert "agent.sp1" in page.inner_text("#who")

        with page.expect_download() as template:
            page.click("#download-template")
        template_path = tmp_path / "template.xlsx"
        template.value.save_as(template_path)
        book = openpyxl.load_workbook(template_path)
        sheet = book["Accounts"]
        sheet.append(["11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"])
        sheet.append(["12.ABC.345/01DE-35", "Laboratório Novo", "COMPANY", "agent.sp1", "SP", "Rita Alves", "OTHERS"])
        book.save(tmp_path / "filled.xlsx")

        page.set_input_files("#file", str(tmp_path / "filled.xlsx"))
        assert "filled.xlsx" in page.inner_text("#file-info") and "KB" in page.inner_text("#file-info")
        page.screenshot(path=str(ARTIFACTS / "02-upload.png"))
        page.click("#upload")
        page.wait_for_selector("#popup")
        assert "Warning: 1 error in 1 of 2 rows" in page.inner_text("#popup")
        assert "check digits should be 81" in page.inner_text("#summary")
        page.screenshot(path=str(ARTIFACTS / "03-warning.png"), full_page=True)
        page.click("#only-errors")
        assert page.locator("#summary tbody tr").count() == 1
        with page.expect_download() as report:
            page.click("#download-report")
        report_path = tmp_path / "report.xlsx"
        report.value.save_as(report_path)
        marked = openpyxl.load_workbook(report_path)["Accounts"]
        assert "81" in marked["A2"].comment.text and marked["O3"].value == "OK"

        fixed = openpyxl.load_workbook(tmp_path / "filled.xlsx")
        fixed["Accounts"]["A2"] = "11.222.333/0001-81"
        fixed.save(tmp_path / "fixed.xlsx")
        page.goto(server + "/accounts/import")
        page.set_input_files("#file", str(tmp_path / "fixed.xlsx"))
        page.click("#upload")
        page.wait_for_selector("#popup")
        assert "The data is correct." in page.inner_text("#popup")
        page.screenshot(path=str(ARTIFACTS / "04-correct.png"), full_page=True)
        page.click("[data-close=popup]")
        page.click("#next")
        page.wait_for_selector("#undo")
        assert "Imported: batch" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "05-batch.png"), full_page=True)
        page.goto(server + "/history")
        assert "fixed.xlsx" in page.inner_text("#batches")
        page.screenshot(path=str(ARTIFACTS / "06-history.png"))
        page.click("#batches a")
        page.click("#undo")
        page.wait_for_selector(".flash")
        assert "undone" in page.inner_text(".flash")
        page.screenshot(path=str(ARTIFACTS / "07-undone.png"))
        browser.close()
    assert table_dump(sqlite_demo_db.url) == before
