"""`crmxl export`, `crmxl profiles`, `crmxl transfer` through the real entry point."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from sqlalchemy import create_engine, func, select, update

from crmxl.db.models import Account, User
from tests.conftest import restored, table_dump


def _count(url, *where):
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(Account).outerjoin(User, Account.owner_id == User.id)
                             .where(*where)).scalar()
    engine.dispose()
    return found


def _data_rows(path, sheet="Accounts"):
    return list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize(("options", "where"), [
    (("--portfolio", "agent.sp1"), lambda: [User.login == "agent.sp1"]),
    (("--portfolio", "agent.sp1", "--portfolio", "agent.pr1"), lambda: [User.login.in_(["agent.sp1", "agent.pr1"])]),
    (("--without-portfolio",), lambda: [Account.owner_id.is_(None)]),
    (("--portfolio", "agent.sp1", "--type", "COMPANY", "--type", "insurance"),
     lambda: [User.login == "agent.sp1", Account.type.in_(["COMPANY", "INSURANCE"])]),
    (("--without-portfolio", "--uf", "SP", "--uf", "rj"), lambda: [Account.owner_id.is_(None), Account.uf.in_(["SP", "RJ"])]),
    (("--portfolio", "agent.sp1", "--without-portfolio", "--active"), lambda: [User.login == "agent.sp1"]),
    (("--portfolio", "agent.sp1", "--without-portfolio", "--inactive"), lambda: [Account.owner_id.is_(None)]),
])
def test_each_filter(cli, sqlite_demo_db, tmp_path, options, where):
    out = tmp_path / "out.xlsx"
    result = cli("export", "accounts", *options, "-o", out, "--db", sqlite_demo_db.url)
    assert result.exit_code == 0, result.stderr
    expected = _count(sqlite_demo_db.url, *where())
    assert expected > 0 and len(_data_rows(out)) == expected
    assert f"Exported {expected} accounts" in result.stdout


def test_profile_format_and_language(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    assert cli("profiles", "add", "BA names", "--entity", "accounts", "--columns", "name,portfolio",
               "--portfolio", "agent.ba1", *db).exit_code == 0
    result = cli("export", "accounts", "--profile", "BA names", "-o", tmp_path / "p.xlsx", *db)
    assert result.exit_code == 0, result.stderr
    header = next(openpyxl.load_workbook(tmp_path / "p.xlsx", read_only=True)["Accounts"].iter_rows(values_only=True))
    assert header == ("Account Number*", "Account Name*", "Account Type*", "Portfolio*", "UF*", "crmxl:id",
                      "crmxl:version")  # the model workbook's order
    assert len(_data_rows(tmp_path / "p.xlsx")) == _count(sqlite_demo_db.url, User.login == "agent.ba1")

    result = cli("export", "contacts", "--portfolio", "agent.ba1", "-o", tmp_path / "c.csv", *db)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "c.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader((tmp_path / "c.csv").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][:3] == ["Account Number*", "Contact Name*", "Identifier*"] and len(rows) > 1

    result = cli("export", "accounts", "--without-portfolio", "--format", "csv", "-o", tmp_path / "w.txt", "--lang",
                 "pt-BR", *db)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader((tmp_path / "w.txt").read_text("utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][3] == "Carteira*" and {r[3] for r in rows[1:]} == {"Sem Carteira"}


def test_refusals(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    out = tmp_path / "x.xlsx"
    cases = [
        ((), "--portfolio LOGIN"),
        (("--portfolio", "agent.sp2", "--as", "agent.sp1"), "no portfolio agent.sp2 among those agent.sp1 may"),
        (("--without-portfolio", "--as", "agent.sp1"), "may not"),
        (("--portfolio", "agent.ba1", "--as", "mgr.south"), "no portfolio agent.ba1 among those mgr.south may"),
        (("--portfolio", "agent.nobody"), "agent.nobody"),
        (("--portfolio", "agent.sp1", "--type", "DOCTORS"), "DOCTORS"),
        (("--portfolio", "agent.sp1", "--profile", "Default contacts"), "Default contacts"),
        (("--portfolio", "agent.sp1", "--format", "ods"), "ods"),
    ]
    for options, words in cases:
        result = cli("export", "accounts", *options, "-o", out, *db)
        assert result.exit_code == 2 and words in result.stderr, (options, result.stderr)
        assert "Traceback" not in result.stderr and not out.exists()
    own = cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out, *db, "--as", "agent.sp1")
    assert own.exit_code == 0 and out.exists()
    team = cli("export", "accounts", "--portfolio", "agent.sp2", "--portfolio", "agent.rs1", "--without-portfolio",
               "-o", out, *db, "--as", "mgr.south")
    assert team.exit_code == 0, team.stderr


def test_round_trips_through_the_command_line(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    for entity in ("accounts", "contacts"):
        out = tmp_path / f"{entity}.xlsx"
        assert cli("export", entity, "--portfolio", "agent.sp1", "--without-portfolio", "-o", out, *db).exit_code == 0
        dry = cli("import", entity, out, "--json", *db)
        assert dry.exit_code == 0, dry.stdout
        plan = json.loads(dry.stdout)["plan"]
        assert {k: v for k, v in plan.items() if v and not k.endswith("unchanged")} == {}, plan

    out = tmp_path / "accounts.xlsx"
    book = openpyxl.load_workbook(out)
    sheet = book["Accounts"]
    sp1_rows = [r for r in range(2, sheet.max_row + 1) if sheet[f"D{r}"].value == "agent.sp1"]
    sheet[f"B{sp1_rows[0]}"] = "Clínica Renomeada"
    sheet[f"D{sp1_rows[1]}"] = "agent.sp2"
    book.save(out)
    blocked = cli("import", "accounts", out, "--json", *db)
    assert blocked.exit_code == 1
    assert [f["code"] for f in json.loads(blocked.stdout)["findings"]] == ["portfolio_transfer"]
    result = cli("import", "accounts", out, "--json", "--allow-transfers", *db)
    assert result.exit_code == 0, result.stdout
    plan = json.loads(result.stdout)["plan"]
    # two rows change: one name, one portfolio (the move)
    assert {k: v for k, v in plan.items() if v and not k.endswith("unchanged")} == {
        "accounts_update": 2, "portfolio_moves": 1}


def test_a_formula_looking_name_survives_as_text(cli, sqlite_demo_db, tmp_path):
    engine = create_engine(sqlite_demo_db.url)
    with engine.begin() as conn:
        owner = conn.execute(select(User.id).where(User.login == "agent.sp1")).scalar()
        first = conn.execute(select(func.min(Account.id)).where(Account.owner_id == owner)).scalar()
        conn.execute(update(Account).where(Account.id == first).values(name="=1+2"))
    engine.dispose()
    out = tmp_path / "a.xlsx"
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out, "--db", sqlite_demo_db.url).exit_code == 0
    cell = openpyxl.load_workbook(out)["Accounts"]["B2"]
    assert cell.value == "=1+2" and cell.data_type == "s"


def test_transfer_dry_run_commit_and_undo(cli, demo_db):
    db = ("--db", demo_db.url)
    before, values = table_dump(demo_db.url), restored(demo_db.url)
    expected = _count(demo_db.url, User.login == "agent.sp1", Account.type == "COMPANY")
    dry = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "COMPANY", *db, "--as", "mgr.south")
    assert dry.exit_code == 0 and f"{expected} accounts move from agent.sp1 to agent.sp2" in dry.stdout
    assert "Dry run" in dry.stdout and table_dump(demo_db.url) == before
    done = json.loads(cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "COMPANY", "--commit",
                          "--json", *db, "--as", "mgr.south").stdout)
    assert done["committed"] and done["count"] == expected
    assert _count(demo_db.url, User.login == "agent.sp1", Account.type == "COMPANY") == 0
    batch = json.loads(cli("history", "--json", *db).stdout)[0]
    assert batch["id"] == done["batch_id"] and batch["kind"] == "transfer"
    assert cli("undo", str(batch["id"]), *db, "--as", "mgr.south").exit_code == 0
    assert restored(demo_db.url) == values


def test_transfer_to_and_from_without_portfolio(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url)
    moved = json.loads(cli("transfer", "--from", "agent.pe1", "--without-portfolio", "--type", "INSURANCE",
                           "--commit", "--json", *db).stdout)
    assert moved["to"] == "Without Portfolio" and moved["count"] > 0
    numbers = [a["number"] for a in moved["accounts"]]
    back = cli("transfer", "--from-without-portfolio", "--to", "agent.pe1", *sum((("--account", n) for n in numbers), ()),
               "--commit", "--json", *db)
    assert back.exit_code == 0, back.stderr
    assert sorted(a["number"] for a in json.loads(back.stdout)["accounts"]) == sorted(numbers)


@pytest.mark.parametrize(("options", "words"), [
    (("--to", "agent.sp2"), "--from"),
    (("--from", "agent.sp1"), "--to"),
    (("--from", "agent.sp1", "--to", "agent.sp2", "--without-portfolio"), "--to"),
    (("--from", "agent.sp1", "--to", "agent.sp1"), "Nothing to move"),
    (("--from", "agent.sp1", "--to", "admin"), "admin"),
    (("--from", "agent.sp1", "--to", "agent.nobody"), "agent.nobody"),
    (("--from", "agent.sp1", "--to", "agent.sp2", "--as", "agent.sp1"), "no portfolio agent.sp2 among those agent.sp1 may"),
    (("--from", "agent.sp1", "--to", "agent.sp2", "--account", "999999/AC"), "999999/AC"),
])
def test_transfer_refusals(cli, sqlite_demo_db, options, words):
    before = table_dump(sqlite_demo_db.url)
    result = cli("transfer", *options, "--commit", "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert table_dump(sqlite_demo_db.url) == before


def test_profiles_commands(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url)
    listed = json.loads(cli("profiles", "list", "--json", *db).stdout)
    assert {(p["name"], p["entity"], p["is_default"]) for p in listed} == {
        ("Default accounts", "accounts", True), ("Default contacts", "contacts", True)}
    added = cli("profiles", "add", "North insurers", "--entity", "accounts", "--columns", "name,uf",
                "--portfolio", "agent.ba1", "--type", "INSURANCE", *db, "--as", "mgr.north")
    assert added.exit_code == 0, added.stderr
    shown = json.loads(cli("profiles", "show", "North insurers", *db, "--as", "agent.ba1").stdout)
    refused = cli("profiles", "list", *db, "--as", "nobody")
    assert refused.exit_code == 2 and "nobody" in refused.stderr
    assert shown["columns"] == ["account_number", "name", "type", "portfolio", "uf"]
    assert shown["filters"]["types"] == ["INSURANCE"]
    for options, words in [
        (("North insurers", "--entity", "accounts"), "exists already"),
        (("Z", "--entity", "accounts", "--columns", "colour"), "colour"),
        (("Z", "--entity", "accounts", "--portfolio", "agent.nobody"), "agent.nobody"),
        (("Z", "--entity", "leads"), "leads"),
        (("Z", "--entity", "accounts", "--as", "agent.sp1"), "agent.sp1"),
    ]:
        result = cli("profiles", "add", *options, *db)
        assert result.exit_code == 2 and words in result.stderr, (options, result.stderr)
    assert "North insurers" in cli("profiles", "list", *db).stdout
    # a filter given replaces that filter only
    assert cli("profiles", "edit", "North insurers", "--rename", "NI", "--uf", "BA", *db).exit_code == 0
    shown = json.loads(cli("profiles", "show", "NI", *db).stdout)
    assert shown["filters"]["portfolios"] == ["agent.ba1"] and shown["filters"]["ufs"] == ["BA"]
    assert cli("profiles", "edit", "NI", "--clear-filters", "--without-portfolio", *db).exit_code == 0
    shown = json.loads(cli("profiles", "show", "NI", *db).stdout)
    assert shown["filters"] == {"portfolios": [], "without_portfolio": True, "types": [], "active": None, "ufs": []}
    assert cli("profiles", "delete", "Default accounts", *db).exit_code == 2
    assert cli("profiles", "delete", "NI", *db).exit_code == 0
    assert cli("profiles", "show", "NI", *db).exit_code == 2


def test_exports_and_reports_get_a_users_file_mode(cli, sqlite_demo_db, tmp_path):
    """They were written as temporary files (0600): colleagues on a shared folder could not open them."""
    import os
    import stat

    db = ("--db", sqlite_demo_db.url)
    previous = os.umask(0o022)
    try:
        for name in ("a.xlsx", "a.csv"):
            fmt = ("--format", "csv") if name.endswith(".csv") else ()
            assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", tmp_path / name, *fmt, *db).exit_code == 0
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name
        (tmp_path / "a.xlsx").chmod(0o664)  # a file replaced keeps its own mode
        cli("import", "accounts", tmp_path / "a.xlsx", "--report", tmp_path / "a.xlsx", *db)
        assert stat.S_IMODE((tmp_path / "a.xlsx").stat().st_mode) == 0o664
        cli("import", "accounts", tmp_path / "a.xlsx", "--report", tmp_path / "r.xlsx", *db)
        assert stat.S_IMODE((tmp_path / "r.xlsx").stat().st_mode) == 0o644
    finally:
        os.umask(previous)


def test_filters_that_exclude_what_they_ask_for_are_refused(cli, sqlite_demo_db, tmp_path):
    """They gave an empty export ('Exported 0 accounts') or a partial one, without a word."""
    db = ("--db", sqlite_demo_db.url)
    for args in (("export", "accounts", "--portfolio", "agent.sp1", "--inactive", "-o", tmp_path / "a.xlsx"),
                 ("export", "accounts", "--without-portfolio", "--active", "-o", tmp_path / "b.xlsx"),
                 ("profiles", "add", "x", "--entity", "accounts", "--portfolio", "agent.sp1", "--inactive")):
        result = cli(*args, *db)
        assert result.exit_code == 2 and "cannot be combined" in result.stderr, args
    assert not (tmp_path / "a.xlsx").exists()
