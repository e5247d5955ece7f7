"""`crmxl history --user` and `crmxl templates distribute --manager` with logins as users type them."""

from __future__ import annotations

import json


def test_history_of_an_unknown_user_says_there_is_no_such_user(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    result = cli("history", "--user", "nobody", *db)
    assert result.exit_code == 2 and "no user with the login nobody" in result.stderr, result
    assert "No batches" not in result.stdout
    json_result = cli("history", "--user", "nobody", "--json", *db)
    assert json_result.exit_code == 2 and json_result.stdout == ""
    known = cli("history", "--user", "AGENT.SP1", *db)
    assert known.exit_code == 0 and "No batches yet." in known.stdout
    for login in ("nobody", "agent.ba1"):  # a manager learns nothing of logins that are not theirs
        foreign = cli("history", "--user", login, "--db", sqlite_demo_db.url, "--as", "mgr.south")
        assert foreign.exit_code == 2 and f"no user {login} among those whose batches mgr.south" in foreign.stderr


def test_distribute_finds_the_manager_in_any_case_and_names_an_unknown_one(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    result = cli("templates", "distribute", "--manager", "MGR.SOUTH", "--out", tmp_path / "s", *db, "--as", "mgr.south")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["manager"] == "mgr.south"
    assert {e["agent"] for e in manifest["files"]} == {e["agent"].lower() for e in manifest["files"]}
    assert sorted(p.name for p in (tmp_path / "s").glob("*.xlsx")) == sorted(e["file"] for e in manifest["files"])
    unknown = cli("templates", "distribute", "--manager", "nobody", "--out", tmp_path / "n", *db, "--as", "admin")
    assert unknown.exit_code == 2 and "no user with the login nobody" in unknown.stderr, unknown
    foreign = cli("templates", "distribute", "--manager", "nobody", "--out", tmp_path / "n", *db, "--as", "mgr.south")
    assert foreign.exit_code == 2 and "may not distribute" in foreign.stderr  # learns nothing of other logins
    assert not (tmp_path / "n").exists()
