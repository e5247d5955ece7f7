from __future__ import annotations

import json

import openpyxl


def test_export_import_transfer_and_undo_through_the_command_line(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    out = tmp_path / "sp1.xlsx"
    result = cli("export", "accounts", "--portfolio", "agent.sp1", "--type", "COMPANY", "-o", out, *db)
    assert result.exit_code == 0, result.stderr
    rows = openpyxl.load_workbook(out)["Accounts"].max_row - 1
    assert f"Exported {rows} accounts" in result.stdout
    dry = cli("import", "accounts", out, "--json", *db)
    assert dry.exit_code == 0 and json.loads(dry.stdout)["plan"]["accounts_update"] == 0

    denied = cli("export", "accounts", "--portfolio", "agent.sp2", "-o", tmp_path / "x.xlsx", *db, "--as", "agent.sp1")
    assert denied.exit_code == 2 and "may not" in denied.stderr and not (tmp_path / "x.xlsx").exists()
    assert cli("export", "accounts", "-o", tmp_path / "y.xlsx", *db).exit_code == 2

    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "COMPANY", *db)
    assert moved.exit_code == 0 and f"{rows} accounts move" in moved.stdout and "Dry run" in moved.stdout
    done = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "COMPANY", "--commit", *db)
    assert done.exit_code == 0 and "batch" in done.stdout
    batch = json.loads(cli("history", "--json", *db).stdout)[0]
    assert batch["kind"] == "transfer" and batch["counts"]["portfolio_moves"] == rows
    assert cli("undo", str(batch["id"]), *db).exit_code == 0
    assert cli("transfer", "--to", "agent.sp2", *db).exit_code == 2


def test_profiles_commands(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url)
    added = cli("profiles", "add", "North insurers", "--entity", "accounts", "--columns", "name,uf",
                "--portfolio", "agent.ba1", "--type", "INSURANCE", *db, "--as", "mgr.north")
    assert added.exit_code == 0, added.stderr
    shown = json.loads(cli("profiles", "show", "North insurers", *db).stdout)
    assert shown["columns"] == ["account_number", "name", "uf"] and shown["filters"]["types"] == ["INSURANCE"]
    assert cli("profiles", "add", "North insurers", "--entity", "accounts", *db).exit_code == 2
    bad = cli("profiles", "add", "Z", "--entity", "accounts", "--columns", "colour", *db)
    assert bad.exit_code == 2 and "colour" in bad.stderr
    assert "North insurers" in cli("profiles", "list", *db).stdout
    assert cli("profiles", "edit", "North insurers", "--rename", "NI", *db).exit_code == 0
    assert cli("profiles", "delete", "NI", *db).exit_code == 0
    assert cli("profiles", "show", "NI", *db).exit_code == 2
