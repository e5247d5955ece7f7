"""/api/batches: the History page's paging (before/after a batch id) and from/to days (UTC, both included)."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.test_api import _token
from tests.web.test_history_page import _batches

NEXT = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def _links(response) -> dict[str, str]:
    return {rel: url for url, rel in NEXT.findall(response.headers.get("link", ""))}


def test_the_batch_list_pages_through_every_batch_with_link_headers(client, sqlite_demo_db):
    ids = _batches(sqlite_demo_db.url, 23, dt.datetime(2025, 1, 1))
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    response = client.get("/api/batches?limit=10", headers=headers)
    assert response.status_code == 200 and isinstance(response.json(), list)  # still a list, as before
    seen, pages = [b["id"] for b in response.json()], [response]
    assert seen[0] == ids[-1] and "prev" not in _links(response)
    while "next" in _links(response):
        response = client.get(_links(response)["next"], headers=headers)
        pages.append(response)
        seen += [b["id"] for b in response.json()]
    assert seen == sorted(ids, reverse=True) and len(pages) == 3
    back = client.get(_links(pages[-1])["prev"], headers=headers)
    assert back.json() == pages[-2].json()
    before = client.get(f"/api/batches?limit=5&before={ids[10]}", headers=headers).json()
    assert [b["id"] for b in before] == ids[5:10][::-1]
    after = client.get(f"/api/batches?limit=5&after={ids[10]}", headers=headers).json()
    assert [b["id"] for b in after] == ids[11:16][::-1]


def test_the_batch_list_filters_by_days_inclusive_and_keeps_them_in_its_links(client, sqlite_demo_db):
    _batches(sqlite_demo_db.url, 40, dt.datetime(2025, 3, 1))  # 4 a day, 1 to 10 March
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    days = client.get("/api/batches?from=2025-03-03&to=2025-03-04", headers=headers).json()
    assert len(days) == 8 and {b["created_at"][:10] for b in days} == {"2025-03-03", "2025-03-04"}
    assert len(client.get("/api/batches?from=2025-03-09", headers=headers).json()) == 8
    assert len(client.get("/api/batches?to=2025-03-01", headers=headers).json()) == 4
    first = client.get("/api/batches?from=2025-03-02&to=2025-03-05&limit=10", headers=headers)
    link = _links(first)["next"]
    assert "from=2025-03-02" in link and "to=2025-03-05" in link and "limit=10" in link
    assert len(client.get(link, headers=headers).json()) == 6


def test_a_bad_date_or_a_reversed_range_is_a_clear_422(client, sqlite_demo_db):
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    bad = client.get("/api/batches?from=2025-13-01", headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/json"
    [error] = bad.json()["detail"]
    assert error["loc"] == ["query", "from"] and "YYYY-MM-DD" in error["msg"] and "2025-13-01" in error["msg"]
    reversed_ = client.get("/api/batches?from=2025-02-01&to=2025-01-01", headers=headers)
    assert reversed_.status_code == 422
    [error] = reversed_.json()["detail"]
    assert error["loc"] == ["query", "to"] and "2025-02-01" in error["msg"] and "after" in error["msg"]
    assert client.get("/api/batches?before=0", headers=headers).status_code == 422


def test_the_paging_and_days_are_in_the_schema_and_on_the_docs_page(client):
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/batches"]["get"]
    assert {"limit", "before", "after", "from", "to"} <= {p["name"] for p in op["parameters"]}
    assert "Link" in op["responses"]["200"]["headers"]
    docs = client.get("/docs").text
    section = docs[docs.index('id="GET-/api/batches"'):]
    section = section[:section.index("</section>")]
    assert all(f"<code>{name}</code>" in section for name in ("before", "after", "from", "to"))
    assert "YYYY-MM-DD" in section and "Link" in section


def test_the_batch_list_filters_by_user_and_kind_as_crmxl_history_does(client, sqlite_demo_db):
    sp1 = _batches(sqlite_demo_db.url, 3, dt.datetime(2025, 5, 1))
    sp2 = _batches(sqlite_demo_db.url, 2, dt.datetime(2025, 5, 1), login="agent.sp2")[-2:]  # (every id is given)
    headers = _token(sqlite_demo_db.url, "admin")
    mine = client.get("/api/batches?user=AGENT.SP2&kind=transfer&limit=1", headers=headers)
    assert [b["id"] for b in mine.json()] == [sp2[-1]] and "user=AGENT.SP2" in _links(mine)["next"]
    assert [b["id"] for b in client.get(_links(mine)["next"], headers=headers).json()] == [sp2[0]]
    assert set(sp1).isdisjoint(b["id"] for b in client.get("/api/batches?user=agent.sp2", headers=headers).json())
    assert client.get("/api/batches?kind=undo", headers=headers).json() == []
    unknown = client.get("/api/batches?user=nobody", headers=headers)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "user"]
    assert "nobody" in unknown.json()["detail"][0]["msg"]
    assert client.get("/api/batches?kind=imports", headers=headers).status_code == 422


def test_before_and_after_together_are_a_422_naming_both(client, sqlite_demo_db):
    ids = _batches(sqlite_demo_db.url, 8, dt.datetime(2025, 1, 1))
    headers = _token(sqlite_demo_db.url, "agent.sp1")
    both = client.get(f"/api/batches?before={ids[4]}&after={ids[0]}&limit=2", headers=headers)
    assert both.status_code == 422 and "link" not in both.headers, both.text
    detail = both.json()["detail"][0]
    assert detail["loc"] == ["query", "after"] and "before" in detail["msg"] and "after" in detail["msg"]
    assert "one at a time" in detail["msg"]
    assert client.get(f"/api/batches?after={ids[0]}&limit=2", headers=headers).status_code == 200
