"""The History page: every batch reachable through older/newer links, and a from/to date filter."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import insert

from crmxl.db.models import ImportBatch
from crmxl.db.session import Database
from tests.web.conftest import sign_in

LINK = re.compile(r'<a href="(/history\?[^"]+)"[^>]*id="(older|newer)"')


def _batches(url: str, count: int, start: dt.datetime, login: str = "agent.sp1") -> list[int]:
    """``count`` transfer batches of ``login``, one every 6 hours from ``start``; their ids."""
    db = Database(url)
    rows = [{"kind": "transfer", "user_login": login, "created_at": start + dt.timedelta(hours=6 * i),
             "file_name": None, "counts": {"moved": 1}, "status": "committed"} for i in range(count)]
    with db.engine.begin() as conn:
        conn.execute(insert(ImportBatch.__table__), rows)
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM import_batches ORDER BY id")]
    db.dispose()
    return ids


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/history/(\d+)">', page)]


def _links(page: str) -> dict[str, str]:
    return {kind: href.replace("&amp;", "&") for href, kind in LINK.findall(page)}


def test_every_batch_is_reachable_through_older_and_newer_links(client, sqlite_demo_db):
    ids = _batches(sqlite_demo_db.url, 230, dt.datetime(2025, 1, 1))
    sign_in(client, "agent.sp1")
    page = client.get("/history").text
    seen, pages = _ids(page), [page]
    assert seen and seen == sorted(seen, reverse=True) and seen[0] == ids[-1]
    assert "newer" not in _links(page)
    while "older" in _links(page):
        page = client.get(_links(page)["older"]).text
        pages.append(page)
        seen += _ids(page)
    assert seen == sorted(ids, reverse=True)  # all of them, once each, newest first
    assert len(pages) > 2
    back = client.get(_links(pages[-1])["newer"]).text
    assert _ids(back) == _ids(pages[-2])
    first = pages[0]
    while "newer" in _links(page):
        page = client.get(_links(page)["newer"]).text
    assert _ids(page) == _ids(first)


def test_the_history_page_filters_by_date_inclusive(client, sqlite_demo_db):
    _batches(sqlite_demo_db.url, 40, dt.datetime(2025, 3, 1))  # 4 a day, 1 to 10 March
    sign_in(client, "agent.sp1")
    page = client.get("/history?from=2025-03-03&to=2025-03-04").text
    assert len(_ids(page)) == 8
    assert 'name="from" value="2025-03-03"' in page and 'name="to" value="2025-03-04"' in page
    assert len(_ids(client.get("/history?from=2025-03-09").text)) == 8
    assert len(_ids(client.get("/history?to=2025-03-01").text)) == 4
    assert len(_ids(client.get("/history?from=&to=").text)) == 40


def test_the_date_filter_is_kept_while_paging(client, sqlite_demo_db):
    _batches(sqlite_demo_db.url, 200, dt.datetime(2025, 1, 1))  # 4 a day, 1 January to 19 February
    sign_in(client, "agent.sp1")
    page = client.get("/history?from=2025-01-02&to=2025-01-31").text
    seen = _ids(page)
    while "older" in _links(page):
        assert "from=2025-01-02" in _links(page)["older"] and "to=2025-01-31" in _links(page)["older"]
        page = client.get(_links(page)["older"]).text
        seen += _ids(page)
    assert len(seen) == 30 * 4 and len(set(seen)) == len(seen)


def test_a_bad_date_on_the_history_page_is_said_clearly(client, sqlite_demo_db):
    sign_in(client, "agent.sp1")
    bad = client.get("/history?from=2025-13-01")
    assert bad.status_code == 400 and "2025-13-01" in bad.text and "YYYY-MM-DD" in bad.text
    assert 'name="from"' in bad.text  # the form, to correct it
    reversed_ = client.get("/history?from=2025-02-01&to=2025-01-01")
    assert reversed_.status_code == 400 and "after" in reversed_.text


def test_older_and_newer_at_once_on_the_history_page_is_said_clearly_in_the_users_language(client, sqlite_demo_db):
    ids = _batches(sqlite_demo_db.url, 8, dt.datetime(2025, 1, 1))
    sign_in(client, "agent.sp1")
    both = client.get(f"/history?before={ids[4]}&after={ids[0]}")
    assert both.status_code == 400 and "one at a time" in both.text, both.text
    assert f"/history/{ids[1]}" not in both.text  # no batches from outside a window
    client.get("/lang/pt-BR")
    pt = client.get(f"/history?before={ids[4]}&after={ids[0]}")
    assert pt.status_code == 400 and "um de cada vez" in pt.text
