"""A distributed workbook whose stamp names another template version, imported from the command line."""

from __future__ import annotations

import openpyxl
import pytest

from crmxl.schema import ACCOUNTS, STAMP_SHEET
from tests.services.import_files import demo_accounts, workbook


def stamped(path, version):
    book = openpyxl.load_workbook(path)
    sheet = book[STAMP_SHEET]
    row = next(r for r in sheet.iter_rows() if r[0].value == "version")
    row[1].value = version
    book.save(path)
    return path


def test_a_newer_version_asks_for_a_newer_crmxl_not_an_older_template(cli, sqlite_demo_db, tmp_path):
    path = stamped(workbook(tmp_path / "new.xlsx", demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)), "2.0")
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2
    assert "newer crmxl" in result.stderr and "update crmxl" in result.stderr
    assert "download the current template" not in result.stderr
    pt = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--lang", "pt-BR")
    assert pt.exit_code == 2 and "crmxl mais novo" in pt.stderr and "atualize o crmxl" in pt.stderr


@pytest.mark.parametrize("version", ["", None, "  "])
def test_a_stamp_without_a_version_says_so(cli, sqlite_demo_db, tmp_path, version):
    path = stamped(workbook(tmp_path / "blank.xlsx", demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)), version)
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2
    assert "the stamp has no version" in result.stderr and "version ?" not in result.stderr


def test_an_older_unknown_version_keeps_the_advice_to_use_the_current_template(cli, sqlite_demo_db, tmp_path):
    path = stamped(workbook(tmp_path / "old.xlsx", demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)), "0.9")
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2
    assert f"download the current template (version {ACCOUNTS.version})" in result.stderr
    assert "newer" not in result.stderr
