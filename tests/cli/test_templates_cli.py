from __future__ import annotations

import openpyxl


def test_templates_build_one_language(cli, tmp_path):
    result = cli("templates", "build", "--out", tmp_path, "--lang", "pt-BR")
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["crmxl-accounts-template-pt-BR.xlsx", "crmxl-contacts-template-pt-BR.xlsx"]
    assert openpyxl.load_workbook(tmp_path / files[0]).sheetnames[0] == "Contas"
    assert cli("templates", "build", "--out", tmp_path, "--lang", "fr").exit_code == 2


def test_templates_distribute(cli, sqlite_demo_db, tmp_path):
    result = cli("templates", "distribute", "--manager", "mgr.north", "--out", tmp_path, "--db", sqlite_demo_db.url)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "manifest.json").exists() and "agent.ba1" in result.stdout
    denied = cli("templates", "distribute", "--manager", "mgr.north", "--out", tmp_path,
                 "--db", sqlite_demo_db.url, "--as", "agent.ba1")
    assert denied.exit_code == 2 and "may not distribute" in denied.stderr
