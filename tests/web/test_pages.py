"""The wizard's pages through FastAPI's TestClient: the seed's flow, roles, CSRF, limits, bad files."""

from __future__ import annotations

import html
import io
import re
import zipfile

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from crmxl.db.models import Account, ImportBatch
from crmxl.db.session import Database, bump_data_version
from crmxl.web.app import create_app
from tests.conftest import table_dump
from tests.web.conftest import csrf_of, sign_in, upload, workbook

BAD = ["11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"]
GOOD = ["11.222.333/0001-81", "Clínica Certa", "COMPANY", "agent.sp1", "SP"]


def test_pages_need_a_signed_in_user(client):
    for page in ("/", "/accounts/import", "/export", "/history", "/templates/accounts.xlsx"):
        response = client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"


def test_sign_in_wrong_password_rate_limit_and_csrf(client):
    assert sign_in(client, "agent.sp1", "wrong").status_code == 401
    assert client.post("/login", data={"login": "agent.sp1", "password": "crmxl-demo"}).status_code == 403
    for _ in range(4):
        sign_in(client, "agent.sp1", "wrong")
    blocked = sign_in(client, "agent.sp1", "crmxl-demo")
    assert blocked.status_code == 429 and "Too many" in blocked.text


def test_a_new_session_on_sign_in(client):
    client.get("/login")
    before = client.cookies.get("crmxl_session")
    assert sign_in(client, "agent.sp1").status_code == 200
    after = client.cookies.get("crmxl_session")
    assert before and after and before != after
    assert "agent.sp1" in client.get("/accounts/import").text


def test_signing_out_ends_the_session_even_for_a_copy_of_its_cookie(client):
    sign_in(client, "agent.sp1")
    copied = client.cookies.get("crmxl_session")
    client.post("/logout", data={"csrf": csrf_of(client, "/history")})
    client.cookies.set("crmxl_session", copied)
    response = client.get("/history", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_portuguese_user_gets_portuguese_pages_after_signing_in(client, sqlite_demo_db):
    from sqlalchemy import create_engine

    engine = create_engine(sqlite_demo_db.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET lang = 'pt-BR' WHERE login = 'agent.sp2'"))
    engine.dispose()
    sign_in(client, "agent.sp2")
    assert "Importar" in client.get("/accounts/import").text


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_seed_flow_upload_warning_report_fix_next_history_undo(client, sqlite_demo_db, tmp_path):
    before = table_dump(sqlite_demo_db.url)
    sign_in(client, "agent.sp1")
    template = client.get("/templates/accounts.xlsx")
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(template.content))["Accounts"]["A1"].value == "Account Number*"

    review = upload(client, workbook(tmp_path / "mine.xlsx", [BAD, GOOD]))
    assert review.status_code == 200 and "/imports/" in str(review.url)
    assert "Warning: 1 error in 1 of 2 rows" in review.text
    assert "check digits should be 81" in review.text and 'id="next"' not in review.text
    only = client.get(str(review.url) + "?errors=1")
    assert only.text.count("<tr class=") == 1
    report = client.get(str(review.url).rstrip("/") + "/report")
    sheet = openpyxl.load_workbook(io.BytesIO(report.content))["Accounts"]
    assert sheet["A2"].fill.fgColor.rgb.endswith("FF7C80") and "81" in sheet["A2"].comment.text
    assert sheet["O1"].value == "Errors" and sheet["O3"].value == "OK"

    fixed = upload(client, workbook(tmp_path / "fixed.xlsx", [GOOD]))
    assert "The data is correct." in fixed.text and 'id="next"' in fixed.text
    token = re.search(r"/imports/([0-9a-f]+)", str(fixed.url)).group(1)
    done = client.post(f"/imports/{token}/next", data={"csrf": csrf_of(client, f"/imports/{token}")})
    assert "Imported: batch" in done.text and "/history/" in str(done.url)
    assert "create" in done.text
    history = client.get("/history")
    assert "fixed.xlsx" in history.text
    batch_id = int(str(done.url).rsplit("/", 1)[1])
    undone = client.post(f"/history/{batch_id}/undo", data={"csrf": csrf_of(client, f"/history/{batch_id}")})
    assert f"Batch {batch_id} undone" in undone.text
    assert table_dump(sqlite_demo_db.url) == before
    assert client.get(f"/imports/{token}").status_code == 404  # used: the plan and upload are gone


def test_a_stale_plan_is_planned_again_not_applied(client, sqlite_demo_db, tmp_path):
    db = Database(sqlite_demo_db.url)
    with db.session() as s:
        account = s.scalars(select(Account).where(Account.number == "11222333000181")).first()
    sign_in(client, "admin")
    with db.session() as s:
        target = s.scalars(select(Account).where(Account.owner_id.is_not(None)).order_by(Account.id)).first()
        number, name_, type_, uf = target.number, target.name, target.type, target.uf
    from crmxl.domain.account_number import display_account_number

    review = upload(client, workbook(tmp_path / "edit.xlsx", [[display_account_number(number), "New Name", type_,
                                                               "Without Portfolio", uf]]), allow_transfers="true")
    assert "The data is correct." in review.text, review.text[:2000]
    with db.transaction() as conn:
        conn.execute(update(Account).where(Account.number == number).values(version=Account.version + 1))
        bump_data_version(conn)
    token = re.search(r"/imports/([0-9a-f]+)", str(review.url)).group(1)
    again = client.post(f"/imports/{token}/next", data={"csrf": csrf_of(client, f"/imports/{token}")})
    assert "changed since this plan" in again.text and token not in str(again.url)
    with db.session() as s:
        assert s.scalar(select(Account.name).where(Account.number == number)) == name_
    assert account is None or account.number


def test_role_violations_are_refused_server_side(client, sqlite_demo_db, tmp_path):
    sign_in(client, "agent.sp1")
    other = upload(client, workbook(tmp_path / "x.xlsx", [[*GOOD[:3], "agent.sp2", "SP"]]))
    assert "Warning" in other.text and "agent.sp2" in other.text
    exported = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts",
                                            "portfolio": "agent.sp2"})
    assert exported.status_code == 403
    db = Database(sqlite_demo_db.url)
    with db.transaction() as conn:
        conn.execute(ImportBatch.__table__.insert().values(kind="transfer", user_login="agent.ba1", counts={},
                                                           status="committed"))
        batch_id = conn.execute(select(ImportBatch.__table__.c.id)).scalars().all()[-1]
    assert client.get(f"/history/{batch_id}").status_code == 403
    assert client.post(f"/history/{batch_id}/undo", data={"csrf": csrf_of(client, "/history")}).status_code == 403
    assert client.post("/profiles", data={"csrf": csrf_of(client, "/export"), "name": "p",
                                          "entity": "accounts"}).status_code == 403


def test_csrf_failures(client, tmp_path):
    sign_in(client, "agent.sp1")
    assert upload(client, workbook(tmp_path / "a.xlsx", [GOOD]), csrf="forged").status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/history/1/undo", data={"csrf": "nope"}).status_code == 403


def test_upload_limit_gives_a_clear_413(sqlite_demo_db, tmp_path):
    client = TestClient(create_app(database_url=sqlite_demo_db.url, upload_limit=20_000, root=tmp_path / "w"))
    sign_in(client, "agent.sp1")
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * 50_000)
    response = upload(client, big)
    assert response.status_code == 413 and "upload limit" in response.text
    assert not any((tmp_path / "w" / "uploads").iterdir())


def test_bad_files_get_a_clear_message_never_a_500(client, tmp_path):
    sign_in(client, "agent.sp1")
    cases = {}
    (tmp_path / "text.xlsx").write_text("not a workbook")
    cases["text.xlsx"] = "not"
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    cases["old.xls"] = "only Excel workbooks"
    good = workbook(tmp_path / "g.xlsx", [GOOD]).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    cases["cut.xlsx"] = "cut.xlsx"
    newer = bytearray(good)  # a zip feature Python does not implement: zipfile raises NotImplementedError
    newer[newer.find(b"PK\x01\x02") + 6] = 64
    (tmp_path / "newer.xlsx").write_bytes(newer)
    cases["newer.xlsx"] = "damaged"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, zipfile.ZipFile(io.BytesIO(good)) as source:
        for item in source.namelist():
            archive.writestr(item, source.read(item))
        archive.writestr("xl/vbaProject.bin", b"\x00" * 10)
    (tmp_path / "macro.xlsx").write_bytes(buffer.getvalue())
    cases["macro.xlsx"] = "macro"
    (tmp_path / "m.xlsm").write_bytes(good)
    cases["m.xlsm"] = "macro"
    from pathlib import Path

    encrypted = Path(__file__).parents[1] / "validation" / "data"
    for item in encrypted.glob("*encrypted*"):
        (tmp_path / "enc.xlsx").write_bytes(item.read_bytes())
        cases["enc.xlsx"] = "password"
    for name, fragment in cases.items():
        response = upload(client, tmp_path / name)
        assert response.status_code == 400, (name, response.status_code)
        assert fragment.lower() in response.text.lower(), (name, response.text[-800:])
        assert "Traceback" not in response.text


def test_export_with_a_profile_created_on_the_gear_tab(client):
    sign_in(client, "mgr.south")
    create = client.get("/export?tab=create")
    assert "Create Export Profile" in create.text and 'value="__without__"' in create.text
    saved = client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "SP companies",
                                           "entity": "accounts", "column": ["name", "uf"], "portfolio": "agent.sp1",
                                           "type": "COMPANY"})
    assert "Profile saved." in saved.text and "SP companies" in saved.text
    download = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts",
                                            "profile": "SP companies"})
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(download.content))["Accounts"]
    assert [c.value for c in sheet[1]][:5] == ["Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*"]
    assert all(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    csv_file = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "contacts",
                                            "portfolio": ["agent.sp2", "__without__"], "format": "csv"})
    assert csv_file.content.startswith(b"\xef\xbb\xbf") and b"Identifier*" in csv_file.content


def test_a_sheet_without_rows_is_not_called_correct(client, tmp_path):
    sign_in(client, "agent.sp1")
    page = upload(client, workbook(tmp_path / "empty.xlsx", []))
    assert "The sheet has no rows: there is nothing to import." in page.text and "The data is correct" not in page.text


def test_warnings_are_shown_not_called_correct(client, tmp_path):
    """A warning says what will happen (a hidden row imported, an unknown column left out): the pop-up said
    'The data is correct' and every row OK."""
    sign_in(client, "agent.sp1")
    path = workbook(tmp_path / "w.xlsx", [GOOD])
    book = openpyxl.load_workbook(path)
    book.active["P1"] = "Colour"  # an unknown column: a warning on the sheet
    book.active["P2"] = "blue"
    book.active.row_dimensions[2].hidden = True  # a hidden row: a warning on the row
    book.save(path)
    page = upload(client, path).text
    assert "The data is correct, with 2 warnings" in page and "Colour" in page
    assert "⚠" in page and "is hidden" in page


def test_a_second_next_on_a_committed_plan_says_so_without_a_server_path(client, tmp_path):
    sign_in(client, "agent.sp1")
    page = upload(client, workbook(tmp_path / "g.xlsx", [GOOD]))
    token = re.search(r"/imports/([0-9a-f]+)/next", page.text).group(1)
    csrf = csrf_of(client, f"/imports/{token}")
    web = client.app.state.web
    pending = web.store.load(token, "agent.sp1")  # the second click's copy, loaded before the first commits
    first = client.post(f"/imports/{token}/next", data={"csrf": csrf})
    assert "committed" in first.text.lower()
    load, web.store.load = web.store.load, lambda *_: pending  # as loaded before the first click dropped it
    second = client.post(f"/imports/{token}/next", data={"csrf": csrf})
    web.store.load = load
    assert second.status_code == 200 and "committed already" in second.text and "uploads" not in second.text
    long_token = client.get("/imports/" + "a" * 5000)
    assert long_token.status_code in (400, 404) and "Traceback" not in long_token.text


def test_only_a_profiles_author_or_an_admin_may_delete_it(client):
    sign_in(client, "mgr.south")
    client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "South names",
                                   "entity": "accounts", "column": ["name"]})
    assert 'name="name" value="South names"' in client.get("/export?tab=profiles").text  # its delete button
    client.post("/logout", data={"csrf": csrf_of(client, "/export")})
    sign_in(client, "mgr.north")
    page = client.get("/export?tab=profiles").text
    assert "South names" in page and 'name="name" value="South names"' not in page
    refused = client.post("/profiles/delete", data={"csrf": csrf_of(client, "/export"), "name": "South names"})
    assert refused.status_code == 403 and "it is mgr.south's" in html.unescape(refused.text)
    assert "South names" in client.get("/export?tab=profiles").text


def test_a_batch_page_names_portfolios_and_specialties(client, sqlite_demo_db, tmp_path):
    """The images keep ids (what an undo writes back); the page shows the logins and the specialties' names."""

    from crmxl.services.access import actor_for
    from crmxl.services.transfer import commit_transfer, plan_transfer

    db = Database(sqlite_demo_db.url)
    with db.session() as session:
        admin = actor_for(session, "admin")
    batch = commit_transfer(db, admin, plan_transfer(db, admin, "agent.sp1", "agent.sp2", types=["INSURANCE"]))
    with db.engine.connect() as conn:
        doctor = conn.execute(text("SELECT identifier, name FROM contacts WHERE type = 'DOCTOR' ORDER BY id LIMIT 1")).one()
    path = workbook(tmp_path / "c.xlsx", [[doctor.identifier, doctor.name, doctor.identifier, "DOCTOR", "Pediatria"]],
                    sheet="Contacts")
    sign_in(client, "admin")
    review = upload(client, path, entity="contacts")
    token = re.search(r"/imports/([0-9a-f]+)", str(review.url)).group(1)
    client.post(f"/imports/{token}/next", data={"csrf": csrf_of(client, f"/imports/{token}")})
    with db.engine.connect() as conn:
        contacts_batch = conn.execute(select(ImportBatch.__table__.c.id)).scalars().all()[-1]
    moved = html.unescape(client.get(f"/history/{batch}").text)
    assert "Portfolio: agent.sp1 → agent.sp2" in moved
    specialties = html.unescape(client.get(f"/history/{contacts_batch}").text)
    assert "→ Pediatria" in specialties
    db.dispose()


def test_agents_are_not_offered_a_profile_form_they_may_not_submit(client):
    """Only managers and admins create export profiles (as on the command line): an agent was shown the form,
    then refused."""
    sign_in(client, "agent.sp1")
    for page in ("/export", "/export?tab=create", "/export?tab=profiles"):
        text = client.get(page).text
        assert "Create Export Profile" not in text and 'action="/profiles"' not in text, page
    assert 'id="export-form"' in client.get("/export?tab=create").text


def test_a_profile_name_with_accents_is_one_name_in_any_case_on_the_export_page(client):
    sign_in(client, "mgr.south")
    form = {"entity": "accounts", "column": ["name", "uf"], "portfolio": "agent.sp1"}
    saved = client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "Éden", **form})
    assert "Profile saved." in saved.text
    twin = client.post("/profiles", data={"csrf": csrf_of(client, "/export?tab=create"), "name": "éden", **form})
    assert "exists already" in html.unescape(twin.text) and "Profile saved." not in twin.text
    download = client.post("/export", data={"csrf": csrf_of(client, "/export"), "entity": "accounts",
                                            "profile": "ÉDEN"})
    assert download.status_code == 200
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(download.content))["Accounts"][1]
               if c.value and not c.value.startswith("crmxl:")]
    assert headers[-1] == "UF*" and len(headers) == 5, headers  # Éden's columns (and the key's), not the default's
    client.post("/profiles/delete", data={"csrf": csrf_of(client, "/export"), "name": "éDEN"})
    assert "Éden" not in client.get("/export?tab=profiles").text
