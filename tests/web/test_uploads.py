"""An upload's life on the server: its annotated report under any file name, and how long its plan is kept."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select, update

from crmxl.db.models import Account
from crmxl.db.session import Database, bump_data_version
from crmxl.domain.account_number import display_account_number
from tests.web.conftest import csrf_of, sign_in, upload, workbook

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


class Clock:
    """time.time() moved by hand: the store's ages and the session cookie's follow it."""

    def __init__(self, monkeypatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, minutes: float) -> None:
        self.now += minutes * 60


def _edit_of_an_account(url: str) -> tuple[list, str]:
    db = Database(url)
    with db.session() as s:
        target = s.scalars(select(Account).where(Account.owner_id.is_not(None)).order_by(Account.id)).first()
        row = [display_account_number(target.number), "Renamed Late", target.type, target.owner.login, target.uf]
        number = target.number
    db.dispose()
    return row, number


def _change_behind_the_plan(url: str, number: str) -> None:
    db = Database(url)
    with db.transaction() as conn:
        conn.execute(update(Account).where(Account.number == number).values(version=Account.version + 1))
        bump_data_version(conn)
    db.dispose()


def _token(response) -> str:
    return re.search(r"/imports/([0-9a-f]+)", str(response.url)).group(1)


def test_a_replanned_upload_lives_from_its_last_plan_or_use_not_from_the_first_upload(
        client, sqlite_demo_db, tmp_path, monkeypatch):
    clock = Clock(monkeypatch)
    row, number = _edit_of_an_account(sqlite_demo_db.url)
    path = workbook(tmp_path / "late.xlsx", [row])
    sign_in(client, "admin")
    first = _token(upload(client, path))
    clock.advance(50)
    _change_behind_the_plan(sqlite_demo_db.url, number)
    again = client.post(f"/imports/{first}/next", data={"csrf": csrf_of(client, f"/imports/{first}")})
    assert "changed since this plan" in again.text
    second = _token(again)
    clock.advance(15)  # 65 minutes after the upload, 15 after the new plan; another upload clears old files
    upload(client, workbook(tmp_path / "other.xlsx", [GOOD]))
    assert client.get(f"/imports/{second}").status_code == 200
    _change_behind_the_plan(sqlite_demo_db.url, number)
    again = client.post(f"/imports/{second}/next", data={"csrf": csrf_of(client, f"/imports/{second}")})
    assert "changed since this plan" in again.text, again.text[-600:]  # planned again from the file, still kept
    third = _token(again)
    clock.advance(50)
    assert client.get(f"/imports/{third}").status_code == 200  # a use: the hour starts again
    clock.advance(50)
    upload(client, workbook(tmp_path / "other.xlsx", [GOOD]))
    done = client.post(f"/imports/{third}/next", data={"csrf": csrf_of(client, f"/imports/{third}")})
    assert "Imported: batch" in done.text


def test_an_upload_still_expires_after_an_idle_hour_and_at_most_a_working_day_after_it_came(
        client, tmp_path, monkeypatch):
    clock = Clock(monkeypatch)
    sign_in(client, "agent.sp1")
    idle = _token(upload(client, workbook(tmp_path / "idle.xlsx", [GOOD])))
    used = _token(upload(client, workbook(tmp_path / "used.xlsx", [GOOD])))
    clock.advance(30)
    assert client.get(f"/imports/{used}").status_code == 200
    clock.advance(31)
    assert client.get(f"/imports/{idle}").status_code == 404
    for _ in range(9):  # looked at every 50 minutes: kept, but not for ever
        assert client.get(f"/imports/{used}").status_code == 200
        clock.advance(50)
    sign_in(client, "agent.sp1")  # the session, too, lasts a working day
    gone = client.get(f"/imports/{used}")
    assert gone.status_code == 404, (str(gone.url), gone.text[-400:])
