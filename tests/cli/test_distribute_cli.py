"""`crmxl history --user` and `crmxl templates distribute --manager` with logins as users type them."""

from __future__ import annotations

import json


def test_history_of_an_unknown_user_says_there_is_no_such_user(cli, sqlite_demo_db):
    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    result = cli("history", "--user", "nobody", *db)
    assert result.exit_code == 2 and "no user with the login nobody" in result.stderr, result
    assert "No batches" not in result.stdout
    json_result = cli("history", "--user", "nobody", "--json", *db)
    assert json_result.exit_code == 2 and json.loads(json_result.stdout)["error"]["code"] == "login_unknown"
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


def test_distribute_to_a_manager_without_agents_is_refused_and_writes_nothing(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    assert cli("users", "add", "mgr.empty", "--name", "E", "--role", "manager", "--password", "pw12345678",
               *db).exit_code == 0
    result = cli("templates", "distribute", "--manager", "mgr.empty", "--out", tmp_path / "e", *db)
    assert result.exit_code == 2 and "mgr.empty has no active agents" in result.stderr, result
    assert not (tmp_path / "e").exists()


def test_distributing_again_removes_our_earlier_workbooks_the_new_manifest_does_not_list(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    out = tmp_path / "d"
    assert cli("templates", "distribute", "--manager", "mgr.south", "--out", out, *db).exit_code == 0
    south = json.loads((out / "manifest.json").read_text())["files"]
    changed = out / south[0]["file"]
    changed.write_bytes(changed.read_bytes() + b"filled in by the agent")
    (out / "crmxl-notes.xlsx").write_bytes(b"not ours")
    again = cli("templates", "distribute", "--manager", "mgr.north", "--out", out, *db)
    assert again.exit_code == 0, again.stderr
    north = json.loads((out / "manifest.json").read_text())["files"]
    left = sorted(p.name for p in out.glob("*.xlsx"))
    assert left == sorted([e["file"] for e in north] + [changed.name, "crmxl-notes.xlsx"])
    assert f"Removed {len(south) - 1} workbooks of the earlier distribution" in again.stdout
    assert changed.name in again.stdout and "changed since" in again.stdout


def test_distributing_again_keeps_an_agents_changed_workbook_and_writes_the_new_one_beside_it(cli, sqlite_demo_db,
                                                                                                tmp_path):
    db = ("--db", sqlite_demo_db.url, "--as", "mgr.south")
    out = tmp_path / "d"
    assert cli("templates", "distribute", "--manager", "mgr.south", "--out", out, *db).exit_code == 0
    first = json.loads((out / "manifest.json").read_text())["files"]
    filled = out / "crmxl-accounts-agent.sp1.xlsx"
    agents_work = filled.read_bytes() + b"filled in by the agent"
    filled.write_bytes(agents_work)
    stranger = out / "crmxl-contacts-agent.sp1.xlsx"  # a file the earlier manifest does not know
    first = [e for e in first if e["file"] != stranger.name]
    (out / "manifest.json").write_text(json.dumps({"manager": "mgr.south", "lang": "en", "files": first}))
    stranger.write_bytes(b"someone else's")
    again = cli("templates", "distribute", "--manager", "mgr.south", "--out", out, *db)
    assert again.exit_code == 0, again.stderr
    assert filled.read_bytes() == agents_work and stranger.read_bytes() == b"someone else's"
    manifest = json.loads((out / "manifest.json").read_text())
    files = {e["file"] for e in manifest["files"]}
    assert {"crmxl-accounts-agent.sp1 (2).xlsx", "crmxl-contacts-agent.sp1 (2).xlsx"} <= files
    assert filled.name not in files and stranger.name not in files
    assert all((out / name).is_file() for name in files)
    said = " ".join(again.stdout.split())
    assert f"Kept {filled.name}" in said and "crmxl-accounts-agent.sp1 (2).xlsx" in said, again.stdout
    assert stranger.name in said
    # a third time: the unchanged "(2)" workbooks are replaced in place; no "(3)" piles up
    third = cli("templates", "distribute", "--manager", "mgr.south", "--out", out, *db)
    assert third.exit_code == 0, third.stderr
    assert {e["file"] for e in json.loads((out / "manifest.json").read_text())["files"]} == files
    assert not list(out.glob("* (3).xlsx")) and filled.read_bytes() == agents_work
