"""What the command line prints around its work: the language chosen, help texts, history's table."""

from __future__ import annotations

import re

from crmxl.cli.common import console
from tests.services.import_files import demo_accounts, workbook


def test_portuguese_has_no_english_left(cli, sqlite_demo_db, tmp_path, monkeypatch):
    missing = cli("import", "accounts", tmp_path / "nada.xlsx", "--db", sqlite_demo_db.url, "--lang", "pt-BR")
    assert missing.exit_code == 2 and missing.stderr.startswith("Erro: ") and "Error:" not in missing.stderr
    (account,) = demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)
    path = workbook(tmp_path / "a.xlsx", [{**account, "email": "sem-arroba"}])
    table = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--lang", "pt-BR").stdout
    assert re.search(r"│ email_invalid\s+│ erro\s+│", table) and "│ error " not in table
    (tmp_path / "pt.toml").write_text('[crmxl]\nlang = "pt-BR"\n')
    monkeypatch.setenv("CRMXL_CONFIG", str(tmp_path / "pt.toml"))
    empty = cli("history", "--db", sqlite_demo_db.url, "--since", "2001-01-01", "--until", "2001-01-02")
    assert empty.exit_code == 0 and empty.stdout.strip() == "Nenhum lote ainda."


def test_only_a_command_that_commits_says_nothing_was_committed(cli, sqlite_demo_db, tmp_path):
    built = cli("templates", "build", "--out", "/dev/null/x")
    assert built.exit_code == 2 and built.stderr.startswith("Error: ")
    assert "Nothing was committed" not in built.stderr
    demo = cli("demo", "--db", sqlite_demo_db.url, "--tour", "--out", "/dev/null/x")  # demo writes to the database
    assert demo.exit_code == 2 and "Nothing was committed by the failed step." in demo.stderr


def test_history_shows_the_whole_date_at_80_columns(cli, sqlite_demo_db, tmp_path):
    assert console.width == 80
    (account,) = demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)
    path = workbook(tmp_path / "a-file-with-a-rather-long-name-for-the-history-table.xlsx", [{**account, "city": "X"}])
    assert cli("import", "accounts", path, "--commit", "--db", sqlite_demo_db.url).exit_code == 0
    shown = cli("history", "--db", sqlite_demo_db.url).stdout
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shown), shown
    assert "…" not in shown


def test_help_texts_have_no_placeholders(cli):
    commands = [(), ("import", "accounts"), ("export", "accounts"), ("profiles", "add"), ("profiles", "edit"),
                ("transfer",), ("history",), ("undo",), ("templates", "build"), ("templates", "distribute"),
                ("users", "add"), ("serve",), ("demo",), ("db", "init"), ("addin", "build")]
    for command in commands:
        shown = cli(*command, "--help")
        assert shown.exit_code == 0, command
        text = shown.stdout + shown.stderr
        assert not re.search(r"\{\w+\}|<(bool|str|int|text|float)>", text), (command, text)


def test_a_changed_key_with_bad_check_digits_is_named_as_typed(cli, sqlite_demo_db, tmp_path):
    import json

    import openpyxl

    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    assert cli("export", "accounts", "--portfolio", "agent.sp1", "-o", tmp_path / "e.xlsx", *db).exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "e.xlsx")
    sheet = book["Accounts"]
    row = next(r for r in range(2, sheet.max_row + 1) if len(str(sheet.cell(r, 1).value)) == 18)  # a CNPJ
    number = str(sheet.cell(row, 1).value)
    typed = number[:-1] + str((int(number[-1]) + 1) % 10)  # its check digits wrong
    sheet.cell(row, 1).value = typed
    book.save(tmp_path / "changed.xlsx")
    for lang, words in (("en", f"belongs to account {number}, not {typed}:"), ("pt-BR", f"não a {typed}:")):
        result = cli("import", "accounts", tmp_path / "changed.xlsx", "--json", "--lang", lang, *db)
        findings = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "export_key_mismatch"]
        assert [f["row"] for f in findings] == [row] and words in findings[0]["message"], findings
