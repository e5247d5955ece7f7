"""The review page of a large upload: as quick as a small one's, and nothing shown is lost."""

from __future__ import annotations

import csv
import re

from crmxl.benchmark import generate_rows
from crmxl.schema import TEMPLATES
from tests.web.conftest import sign_in, upload

ROW = re.compile(r'<tr class="(bad|warn|)"><td>(\d+)</td>')


def _csv(path, rows, extra_headers=()):
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow([c.header("en") for c in TEMPLATES["accounts"].columns] + list(extra_headers))
        out.writerows([[v if v is not None else "" for v in row] + ["x"] * len(extra_headers) for row in rows])
    return path


def test_the_review_page_of_a_large_upload_does_not_read_the_whole_plan_again(client, web, tmp_path):
    """Each page of the review is served from its small view: the plan (~40 MB pickled at 100,000 rows, seconds
    to load) is not read again, so the pages still show with the plan's file made unreadable."""
    rows, bad = generate_rows(20_000, [])
    sign_in(client, "admin")
    first = upload(client, _csv(tmp_path / "big.csv", rows))
    assert first.status_code == 200 and "Page 1 of 400" in first.text
    review = str(first.url).split("?")[0]
    plans = list(web.state.web.store.plans.glob("*[!w].pkl"))
    assert len(plans) == 1 and plans[0].stat().st_size > 1_000_000
    plans[0].write_bytes(b"not a plan")
    pages = [client.get(f"{review}?errors=1&page={n}") for n in range(1, 4)]
    assert all(p.status_code == 200 and "Page" in p.text for p in pages)
    errors_only = client.get(f"{review}?errors=1").text
    total = int(re.search(r"Page 1 of (\d+)", errors_only).group(1))
    listed = [int(r) for n in range(1, total + 1)
              for kind, r in ROW.findall(client.get(f"{review}?errors=1&page={n}").text) if kind == "bad"]
    assert len(listed) == len(set(listed)) == bad  # every row with an error, once
    assert f"errors in {bad} of 20000 rows" in errors_only


def test_a_long_list_of_sheet_warnings_is_cut_and_says_how_many_more(client, tmp_path):
    rows, _ = generate_rows(3, [])
    sign_in(client, "admin")
    page = upload(client, _csv(tmp_path / "wide.csv", rows, [f"Colour {i}" for i in range(70)])).text
    listed = re.search(r'<ul id="sheet-warnings">(.*?)</ul>', page, re.S).group(1)
    assert listed.count("<li>") == 21 and "Colour 0" in listed and "Colour 69" not in listed
    assert "and 50 more" in page and "annotated workbook" in page
