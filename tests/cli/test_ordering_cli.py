"""Lists shown to users come in one order, ignoring case and accents, whatever the database's collation."""

from __future__ import annotations

import os

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from crmxl.domain.text import normalize
from crmxl.schema import CONTACTS, LISTS_SHEET
from tests.services.import_files import query, workbook

ADDED = ["zeta", "alfa", "Ágil", "Beta", "Alfama"]  # names unique in any case: the order ignores it


def in_order(names):
    return list(names) == sorted(names, key=lambda n: (normalize(n), n))


def lists_column(path, header="Qualifications"):
    sheet = openpyxl.load_workbook(path, read_only=True)[LISTS_SHEET["en"]]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index(header)
    return [r[col] for r in rows[1:] if r[col] is not None]


def test_the_lists_sheet_offers_qualifications_in_alphabetical_order(cli, sqlite_demo_db, tmp_path):
    out = tmp_path / "dist"
    result = cli("templates", "distribute", "--manager", "mgr.south", "--out", out, "--db", sqlite_demo_db.url)
    assert result.exit_code == 0, result.stderr
    for path in sorted(out.glob("*.xlsx")):
        names = lists_column(path)
        assert len(names) == 55 and in_order(names), path.name
        assert names.index("Cirurgia da Mão") < names.index("Cirurgia Vascular")
    exported = tmp_path / "e.xlsx"
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", exported, "--db", sqlite_demo_db.url).exit_code == 0
    assert in_order(lists_column(exported))
    built = tmp_path / "built"
    assert cli("templates", "build", "--out", built).exit_code == 0
    assert all(in_order(lists_column(p)) for p in built.glob("*-template.xlsx"))


def test_profiles_are_listed_in_alphabetical_order(cli, demo_db):
    db = ("--db", demo_db.url)
    for name in ADDED:
        assert cli("profiles", "add", name, "--entity", "accounts", "--columns", "name", *db).exit_code == 0
    listed = cli("profiles", "list", *db).stdout
    shown = [line.split("│")[1].strip() for line in listed.splitlines() if line.startswith("│")]
    accounts = [n for n in shown if n in ADDED or n == "Default accounts"]
    assert accounts == ["Ágil", "alfa", "Alfama", "Beta", "Default accounts", "zeta"]


def test_an_exported_cell_lists_its_qualifications_in_alphabetical_order(cli, sqlite_demo_db, tmp_path):
    number = query(sqlite_demo_db.url, "SELECT a.number FROM accounts a JOIN users u ON u.id = a.owner_id "
                                      "WHERE u.login = 'agent.sp1' AND a.type = 'MEDICAL' ORDER BY a.id LIMIT 1")[0][0]
    path = workbook(tmp_path / "c.xlsx", [{"account_number": number, "name": "Ana Vaz", "identifier": number,
                                           "type": "DOCTOR", "qualifications": "Cirurgia Vascular; Cirurgia da Mão"}],
                    tpl=CONTACTS)
    result = cli("import", "contacts", path, "--commit", "--db", sqlite_demo_db.url)
    assert result.exit_code == 0, result.stdout + result.stderr
    out = tmp_path / "out.xlsx"
    assert cli("export", "contacts", "--portfolio", "agent.sp1", "-o", out, "--db", sqlite_demo_db.url).exit_code == 0
    sheet = openpyxl.load_workbook(out, read_only=True)["Contacts"]
    rows = list(sheet.iter_rows(values_only=True))
    col = rows[0].index("Qualifications")
    ana = next(r for r in rows if "Ana Vaz" in r)
    assert ana[col] == "Cirurgia da Mão; Cirurgia Vascular"


def _demo_qualifications(url):
    return sorted(query(url, "SELECT c.identifier, c.name, q.name FROM contacts c JOIN contact_qualifications l "
                             "ON l.contact_id = c.id JOIN qualifications q ON q.id = l.qualification_id"))


@pytest.mark.postgres
def test_the_demo_gives_a_contact_the_same_qualifications_on_any_database(cli, pg_server, tmp_path):
    """PostgreSQL with an ICU collation sorts 'Cirurgia da Mão' before 'Cirurgia Vascular'; SQLite after."""
    name = f"icu_{os.getpid()}"
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' "
                          f"LOCALE 'C.UTF-8'"))
    try:
        urls = [f"sqlite:///{tmp_path / 'demo.sqlite3'}", pg_server.url(name)]
        for url in urls:
            assert cli("db", "init", "--db", url).exit_code == 0
            assert cli("demo", "--db", url).exit_code == 0
        sqlite, postgres = (_demo_qualifications(url) for url in urls)
        assert sqlite and sqlite == postgres
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
