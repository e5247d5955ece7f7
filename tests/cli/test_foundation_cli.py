"""The foundation's commands through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from crmxl.db.session import Database
from crmxl.services.setup import count_rows
from crmxl.db.models import Account, User


def test_db_init_then_demo_on_a_new_sqlite_file(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    first = cli("db", "init", "--db", url)
    assert first.exit_code == 0, first.stderr
    assert "created" in first.stdout
    second = cli("db", "init", "--db", url)
    assert "already current" in second.stdout
    demo = cli("demo", "--db", url, "--tour", "--out", tmp_path / "out")
    assert demo.exit_code == 0, demo.stderr
    assert "accounts" in demo.stdout and "crmxl serve" in demo.stdout
    assert "Warning: 5 errors in 5 rows" in demo.stdout
    assert (tmp_path / "out" / "sample-report.xlsx").exists()
    assert count_rows(Database(url), User) == 11
    again = cli("demo", "--db", url)
    assert "added now: 0 users, 0 accounts, 0 contacts" in again.stdout


def test_default_database_lives_in_the_data_dir(cli, tmp_path):
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    home = os.environ["CRMXL_HOME"]
    assert os.path.exists(os.path.join(home, "crmxl.sqlite3"))
    assert count_rows(Database(f"sqlite:///{home}/crmxl.sqlite3"), Account) > 2900


def test_environment_variable_chooses_the_database(cli, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("CRMXL_DATABASE_URL", url)
    assert cli("db", "init").exit_code == 0
    assert (tmp_path / "env.sqlite3").exists()


def test_uninitialised_database_gets_a_clear_error(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'blank.sqlite3'}"
    result = cli("history", "--db", url)
    assert result.exit_code == 2
    assert "crmxl db init" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "blank.sqlite3").exists()  # a command that only reads leaves no empty file behind


def test_unreachable_database_is_exit_2_without_traceback(tmp_path):
    env = {**os.environ, "CRMXL_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "crmxl", "db", "init", "--db", "postgresql://nobody@127.0.0.1:1/none"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert proc.returncode == 2
    assert "cannot be used right now" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_acting_user_is_refused(cli, sqlite_demo_db):
    result = cli("history", "--db", sqlite_demo_db.url, "--as", "nobody")
    assert result.exit_code == 2
    assert "nobody" in result.stderr


@pytest.mark.parametrize("args, says", [
    (["export", "accounts"], "Missing option"),
    (["export", "accounts", "--entity", "x"], "No such option"),
    (["no-such-command"], "No such command"),
])
def test_usage_errors_are_exit_2_with_the_reason_not_an_unexpected_error(cli, args, says):
    result = cli(*args)
    assert result.exit_code == 2
    assert says in result.stderr and "Unexpected error" not in result.stderr + result.stdout


@pytest.mark.parametrize("make, says", [
    (lambda tmp: f"sqlite:///{_not_a_database(tmp)}", "cannot be used right now"),
    (lambda tmp: "foo://x", "it works with SQLite"),
])
def test_a_database_url_that_is_no_database_is_a_clear_error(cli, tmp_path, make, says):
    result = cli("history", "--db", make(tmp_path))
    assert result.exit_code == 2 and says in result.stderr
    assert "Unexpected error" not in result.stderr and "Traceback" not in result.stderr


def _not_a_database(folder):
    path = folder / "book.xlsx"
    path.write_bytes(b"PK\x03\x04 this is no database" * 100)
    return path


def test_an_export_to_a_folder_that_cannot_be_written_names_the_users_path(cli, sqlite_demo_db, tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores the mode: a file where the folder should be instead
            folder.chmod(0o700)
            folder.rmdir()
            folder.write_text("a file, not a folder")
        result = cli("export", "accounts", "--portfolio", "agent.sp1", "-o", folder / "e.xlsx",
                     "--db", sqlite_demo_db.url)
    finally:
        if folder.is_dir():
            folder.chmod(0o700)
    assert result.exit_code == 2 and "Unexpected error" not in result.stderr
    assert "cannot be written to" in result.stderr and str(folder / "e.xlsx") in result.stderr.replace("\n", "")


def test_a_file_name_that_says_another_format_is_refused(cli, sqlite_demo_db, tmp_path):
    """A workbook is never written under a .csv or .txt name (it would replace the user's CSV with bytes
    Excel cannot open as one)."""
    exported = cli("export", "accounts", "--portfolio", "agent.sp1", "-o", tmp_path / "e.txt", "--db", sqlite_demo_db.url)
    assert exported.exit_code == 2 and "named .xlsx" in exported.stderr and not (tmp_path / "e.txt").exists()
    source = tmp_path / "mine.csv"
    source.write_text("Account Number;Account Name;Account Type;Portfolio;UF\n"
                      "11.222.333/0001-81;Clínica;COMPANY;agent.sp1;SP\n", encoding="utf-8")
    before = source.read_bytes()
    result = cli("import", "accounts", source, "--report", source, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and "name it .xlsx" in result.stderr and source.read_bytes() == before
    macro_name = cli("import", "accounts", source, "--report", tmp_path / "r.xlsm", "--db", sqlite_demo_db.url)
    assert macro_name.exit_code == 2 and not (tmp_path / "r.xlsm").exists()  # no macros: Excel would refuse it
    before_commit = cli("import", "accounts", source, "--report", source, "--commit", "--db", sqlite_demo_db.url)
    assert before_commit.exit_code == 2 and "Committed" not in before_commit.stdout  # refused before the commit
    history = cli("history", "--json", "--db", sqlite_demo_db.url)
    assert json.loads(history.stdout) == []


def test_history_and_undo_refuse_numbers_out_of_range_as_usage_errors(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url)
    for args in (("history", "--limit", "0"), ("history", "--limit", "-1"), ("undo", "2147483648"),
                 ("undo", "99999999999999999999"), ("undo", "0")):
        result = cli(*args, *db)
        assert result.exit_code == 2 and "Unexpected" not in result.stderr and "database" not in result.stderr, args


def test_an_empty_login_is_a_usage_error_not_without_portfolio(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url, "--as", "mgr.south")
    for args in (("transfer", "--from", "", "--to", "agent.sp2"), ("transfer", "--from", "agent.sp1", "--to", " "),
                 ("export", "accounts", "--portfolio", "", "-o", "x.xlsx")):
        result = cli(*args, *db)
        assert result.exit_code == 2 and "cannot be empty" in result.stderr and "Without Portfolio" not in result.stderr


def test_history_filters_by_user_and_kind(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url)
    assert cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "INSURANCE", "--commit", *db,
               "--as", "mgr.south").exit_code == 0
    assert cli("transfer", "--from", "agent.ba1", "--to", "agent.pe1", "--type", "INSURANCE", "--commit", *db,
               "--as", "mgr.north").exit_code == 0
    listed = json.loads(cli("history", "--json", "--user", "mgr.north", *db).stdout)
    assert [b["user_login"] for b in listed] == ["mgr.north"]
    assert json.loads(cli("history", "--json", "--kind", "import", *db).stdout) == []
    assert len(json.loads(cli("history", "--json", "--kind", "transfer", *db).stdout)) == 2
    assert cli("history", "--kind", "imports", *db).exit_code == 2


def test_history_filters_by_date_inclusive(cli, sqlite_demo_db):
    import datetime as dt

    from sqlalchemy import insert

    from crmxl.db.models import ImportBatch

    db = Database(sqlite_demo_db.url)
    with db.engine.begin() as conn:  # one batch a day at 23:30 UTC, 1 to 10 March
        conn.execute(insert(ImportBatch.__table__), [
            {"kind": "transfer", "user_login": "mgr.south", "created_at": dt.datetime(2025, 3, day, 23, 30),
             "counts": {}, "status": "committed"} for day in range(1, 11)])
    db.dispose()
    args = ("history", "--json", "--db", sqlite_demo_db.url)

    def days(*more):
        result = cli(*args, *more)
        assert result.exit_code == 0, result.stderr
        return [b["created_at"][:10] for b in json.loads(result.stdout)]

    assert days("--since", "2025-03-03", "--until", "2025-03-05") == ["2025-03-05", "2025-03-04", "2025-03-03"]
    assert days("--since", "2025-03-10") == ["2025-03-10"]
    assert days("--until", "2025-03-01") == ["2025-03-01"]
    for bad in ("2025-13-01", "03/03/2025", "yesterday"):
        result = cli(*args, "--since", bad)
        assert result.exit_code == 2 and bad in result.stderr and "YYYY-MM-DD" in result.stderr, result.stderr
    reversed_ = cli(*args, "--since", "2025-03-05", "--until", "2025-03-01")
    assert reversed_.exit_code == 2 and "after" in reversed_.stderr
