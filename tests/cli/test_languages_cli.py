"""The command line in Brazilian Portuguese: --lang in any case, and no English left in what it prints."""

from __future__ import annotations

import openpyxl

from crmxl.schema import ACCOUNTS
from tests.services.import_files import query


def test_lang_is_accepted_in_any_case(cli, sqlite_demo_db, tmp_path):
    for given in ("pt-br", "PT-BR", "pt_BR"):
        out = tmp_path / given
        result = cli("templates", "build", "--out", out, "--lang", given)
        assert result.exit_code == 0, result.stderr
        files = sorted(p.name for p in out.iterdir())
        assert files == ["crmxl-accounts-template-pt-BR.xlsx", "crmxl-contacts-template-pt-BR.xlsx"]
        assert openpyxl.load_workbook(out / files[0]).sheetnames[0] == ACCOUNTS.sheet("pt-BR")
    dist = cli("templates", "distribute", "--manager", "mgr.south", "--out", tmp_path / "d", "--lang", "pt-br",
               "--db", sqlite_demo_db.url)
    assert dist.exit_code == 0, dist.stderr
    assert all(p.name.endswith("-pt-BR.xlsx") for p in (tmp_path / "d").glob("*.xlsx"))
    added = cli("users", "add", "ana.lima", "--name", "Ana Lima", "--role", "agent", "--manager", "mgr.south",
                "--lang", "PT-br", "--password", "s3nha-longa-123", "--db", sqlite_demo_db.url)
    assert added.exit_code == 0, added.stderr
    assert query(sqlite_demo_db.url, "SELECT lang FROM users WHERE login = 'ana.lima'")[0][0] == "pt-BR"
    wrong = cli("templates", "build", "--out", tmp_path / "fr", "--lang", "fr")
    assert wrong.exit_code == 2 and "fr" in wrong.stderr
