"""Counts printed by the command line take the singular for 1, in English and in Portuguese."""

from __future__ import annotations

from crmxl.i18n import message
from crmxl.workbook import report_summary  # noqa: F401  (registers)
from tests.services.import_files import demo_accounts, workbook


def one_bad_row(url, tmp_path):
    (account,) = demo_accounts(url, "agent.sp1", 1)
    return workbook(tmp_path / "one.xlsx", [{**account, "email": "sem-arroba"}])


def test_one_error_in_one_row(cli, sqlite_demo_db, tmp_path):
    path = one_bad_row(sqlite_demo_db.url, tmp_path)
    en = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--as", "admin")
    assert en.exit_code == 1 and "Warning: 1 error in 1 row." in en.stdout
    assert "(0 portfolio moves)" in en.stdout
    pt = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--as", "admin", "--lang", "pt-BR")
    assert "Atenção: 1 erro em 1 linha." in pt.stdout and "(0 transferências de carteira)" in pt.stdout
    committed = cli("import", "accounts", path, "--commit", "--db", sqlite_demo_db.url, "--as", "admin")
    assert "1 error in 1 row." in committed.stdout + committed.stderr
    assert "1 errors" not in committed.stdout + committed.stderr


def test_plural_forms_in_both_languages():
    assert message("summary_incorrect", "en", errors=1, rows=1).startswith("Warning: 1 error in 1 row;")
    assert message("summary_incorrect", "pt-BR", errors=2, rows=1).startswith("Atenção: 2 erros em 1 linha;")
    assert message("cli_import_committed", "pt-BR", batch=3, committed=1, reported=0).startswith(
        "Gravado como lote 3: 1 linha gravada, 0 linhas relatadas")


def test_one_account_exported_and_transferred(cli, sqlite_demo_db, tmp_path):
    (account,) = demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)
    db = ("--db", sqlite_demo_db.url)
    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--account", account["account_number"], *db)
    assert moved.exit_code == 0, moved.stderr
    assert moved.stdout.startswith("1 account moves from agent.sp1 to agent.sp2:")
    assert "Add --commit to move it." in moved.stdout
    assert cli("users", "add", "agent.new", "--name", "Nova", "--role", "agent", "--manager", "mgr.south",
               "--password", "s3nha-longa-123", *db).exit_code == 0
    assert cli("transfer", "--from", "agent.sp1", "--to", "agent.new", "--account", account["account_number"],
               "--commit", *db).exit_code == 0
    exported = cli("export", "accounts", "--portfolio", "agent.new", "-o", tmp_path / "one.xlsx", *db)
    assert exported.exit_code == 0, exported.stderr
    assert exported.stdout.startswith("Exported 1 account (profile")
