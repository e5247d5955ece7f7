"""An upload's life on the server: its annotated report under any file name, and how long its plan is kept."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import openpyxl
import pytest

from tests.web.conftest import sign_in, upload, workbook

GOOD = ["11.222.333/0001-81", "Clínica Certa", "COMPANY", "agent.sp1", "SP"]


def _names(disposition: str) -> tuple[str, str]:
    """The plain (ASCII) file name and the RFC 5987 one of a Content-Disposition header."""
    plain = re.search(r'filename="([^"]*)"', disposition).group(1)
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition, re.IGNORECASE).group(1)
    return plain, unquote(encoded, errors="strict")


@pytest.mark.parametrize("stem", ["x" * 250, "Relatório de visitas — São Paulo, março " * 6 + "ção",
                                  "Q1; Ana's list, 100%"])
def test_the_annotated_report_downloads_whatever_the_file_name(client, tmp_path, stem):
    sign_in(client, "agent.sp1")
    source = workbook(tmp_path / "upload.xlsx", [GOOD])
    with source.open("rb") as handle:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/accounts/import").text).group(1)
        review = client.post("/accounts/import", data={"csrf": token},
                             files={"file": (f"{stem}.xlsx", handle, "application/octet-stream")})
    assert review.status_code == 200, review.text[-500:]
    report = client.get(str(review.url).rstrip("/") + "/report")
    assert report.status_code == 200, report.text[-500:]
    assert openpyxl.load_workbook(io.BytesIO(report.content))["Accounts"]["A1"].value == "Account Number*"
    disposition = report.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.isascii()
    plain, full = _names(disposition)
    assert full.endswith("-report.xlsx") and full.startswith(stem[:40]) and len(full) <= 160
    assert plain.endswith("-report.xlsx") and len(plain) <= 160 and re.fullmatch(r"[A-Za-z0-9 ._()-]+", plain)
