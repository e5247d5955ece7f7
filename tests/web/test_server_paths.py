"""A file the server cannot write (a full disk): the web user is told in their language, never shown a server path."""

from __future__ import annotations

import errno
import logging

import pytest

from tests.web.conftest import sign_in, upload, workbook
from tests.web.test_api import _token

GOOD = ["11.222.333/0001-81", "Clínica Certa", "COMPANY", "agent.sp1", "SP"]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def full_disk(monkeypatch):
    import crmxl.workbook.layout
    import crmxl.workbook.report

    monkeypatch.setattr(crmxl.workbook.report, "write_report", _disk_full)
    monkeypatch.setattr(crmxl.workbook.layout, "write_model_workbook", _disk_full)


def _no_path(text: str) -> None:
    assert "crmxl-" not in text and "/tmp" not in text and "report.xlsx" not in text, text[-800:]


@pytest.mark.parametrize("lang, words", [("en", "The annotated workbook could not be made"),
                                         ("pt-BR", "Não foi possível gerar a planilha anotada")])
def test_a_report_that_cannot_be_written_says_so_without_the_servers_path(client, tmp_path, full_disk, caplog,
                                                                          lang, words):
    sign_in(client, "agent.sp1")
    client.get(f"/lang/{lang}")
    review = upload(client, workbook(tmp_path / "a.xlsx", [GOOD]))
    with caplog.at_level(logging.ERROR, logger="crmxl.web"):
        report = client.get(str(review.url).rstrip("/") + "/report")
    assert report.status_code == 500 and report.headers["content-type"].startswith("text/html")
    assert words in report.text
    _no_path(report.text)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "crmxl-report-" in logged and "No space left on device" in logged  # the path is in the server's log


def test_an_export_that_cannot_be_written_says_so_without_the_servers_path(client, sqlite_demo_db, full_disk, caplog):
    from tests.web.conftest import csrf_of

    sign_in(client, "agent.sp1")
    with caplog.at_level(logging.ERROR, logger="crmxl.web"):
        page = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts",
                                            "portfolio": "agent.sp1"})
        api = client.post("/api/exports/accounts", headers=_token(sqlite_demo_db.url, "agent.sp1"),
                          json={"portfolios": ["agent.sp1"]})
    assert page.status_code == 500 and "The export could not be made" in page.text
    assert api.status_code == 500 and "The export could not be made" in api.json()["detail"]
    _no_path(page.text)
    _no_path(api.text)
    assert "crmxl-export-" in " ".join(r.getMessage() for r in caplog.records)
