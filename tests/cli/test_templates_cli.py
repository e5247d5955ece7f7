"""`crmxl templates build|distribute`, run as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from crmxl.schema import ACCOUNTS, TEMPLATES

COMMITTED = Path(__file__).resolve().parents[2] / "workbook_templates"


def test_templates_build_writes_what_is_committed(cli, tmp_path):
    result = cli("templates", "build", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in COMMITTED.glob("*.xlsx"))
    assert len(built) == 2 * len(TEMPLATES)
    for name in built:
        assert name in result.stdout
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes()


def test_templates_build_one_language(cli, tmp_path):
    result = cli("templates", "build", "--out", tmp_path, "--lang", "pt-BR")
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(f"crmxl-{t}-template-pt-BR.xlsx" for t in TEMPLATES)
    assert openpyxl.load_workbook(tmp_path / files[0]).sheetnames[0] == ACCOUNTS.sheet("pt-BR")
    wrong = cli("templates", "build", "--out", tmp_path / "fr", "--lang", "fr")
    assert wrong.exit_code == 2 and "no templates in the language fr" in wrong.stderr and not (tmp_path / "fr").exists()


def test_templates_distribute(cli, sqlite_demo_db, tmp_path):
    result = cli("templates", "distribute", "--manager", "mgr.north", "--out", tmp_path, "--db", sqlite_demo_db.url)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    agents = {e["agent"] for e in manifest["files"]}
    assert agents and all(a in result.stdout for a in agents)
    assert {e["file"] for e in manifest["files"]} == {p.name for p in tmp_path.glob("*.xlsx")}


def test_templates_distribute_refuses_an_agent_and_a_foreign_manager(cli, sqlite_demo_db, tmp_path):
    tmp_path = tmp_path / "out"
    denied = cli("templates", "distribute", "--manager", "mgr.north", "--out", tmp_path,
                 "--db", sqlite_demo_db.url, "--as", "agent.ba1")
    assert denied.exit_code == 2 and "may not distribute" in denied.stderr and "Traceback" not in denied.stderr
    other = cli("templates", "distribute", "--manager", "mgr.north", "--out", tmp_path,
                "--db", sqlite_demo_db.url, "--as", "mgr.south")
    assert other.exit_code == 2 and "may not distribute" in other.stderr
    assert not tmp_path.exists()
    unknown = cli("templates", "distribute", "--manager", "agent.ba1", "--out", tmp_path, "--db", sqlite_demo_db.url)
    assert unknown.exit_code == 2 and "no manager" in unknown.stderr


def test_a_file_given_as_a_folder_or_a_folder_as_a_file_is_said_so(cli, sqlite_demo_db, tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("mine")
    for args in (("templates", "build", "--out", taken), ("addin", "build", "--out", taken)):
        result = cli(*args)
        assert result.exit_code == 2 and f"{taken} is a file: --out names the folder" in result.stderr, args
    assert taken.read_text() == "mine"
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    result = cli("import", "accounts", folder, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and "is a folder" in result.stderr
