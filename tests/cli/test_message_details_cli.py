"""A message's details are in its language: the parsers' words, entity names and Without Portfolio too."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("args, said", [
    (["transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--account", "00000000000000"],
     "Filtro inválido: '00000000000000' não é um CNPJ válido"),
    (["transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "FOO"], "Filtro inválido: 'FOO' "),
    (["export", "accounts", "--portfolio", "agent.sp1", "--type", "FOO", "-o", "x.xlsx"], "Filtro inválido: 'FOO' "),
    (["export", "accounts", "--portfolio", "agent.sp1", "--uf", "XX", "-o", "x.xlsx"], "Filtro inválido: 'XX' "),
    (["profiles", "add", "zz", "--entity", "accounts", "--type", "FOO"], "Filtro inválido: 'FOO' "),
    (["users", "add", "zz", "--name", "Z", "--role", "chefe", "--password", "pw12345678"], "Papel inválido: 'chefe' "),
    (["export", "contacts", "--portfolio", "agent.sp1", "--profile", "Default accounts", "-o", "x.xlsx"],
     "O perfil 'Default accounts' exporta contas, não contatos."),
    (["export", "accounts", "--without-portfolio", "--as", "agent.sp1", "-o", "x.xlsx"], "Sem Carteira"),
])
def test_portuguese_messages_have_no_english_details(cli, sqlite_demo_db, monkeypatch, tmp_path, args, said):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRMXL_LANG", "pt-BR")
    result = cli(*args, "--db", sqlite_demo_db.url)
    assert result.exit_code == 2 and said in result.stderr, result.stderr
    for english in ("is not", "one of", "Without Portfolio", "accounts,", "contacts."):
        assert english not in result.stderr


def test_english_messages_keep_their_english_details(cli, sqlite_demo_db, tmp_path):
    result = cli("export", "contacts", "--portfolio", "agent.sp1", "--profile", "Default accounts",
                 "-o", tmp_path / "x.xlsx", "--db", sqlite_demo_db.url, "--lang", "en")
    assert "Profile 'Default accounts' exports accounts, not contacts." in result.stderr
    typed = cli("export", "accounts", "--portfolio", "agent.sp1", "--uf", "XX", "-o", tmp_path / "x.xlsx",
                "--db", sqlite_demo_db.url, "--lang", "en")
    assert "Invalid filter: 'XX' is not a UF" in typed.stderr


@pytest.mark.parametrize("command", [["transfer", "--from", "agent.sp1", "--to"],
                                     ["export", "accounts", "-o", "x.xlsx", "--portfolio"]])
def test_a_login_that_is_no_user_is_not_called_a_permission_problem(cli, sqlite_demo_db, monkeypatch, tmp_path,
                                                                     command):
    monkeypatch.chdir(tmp_path)
    db = ("--db", sqlite_demo_db.url)
    as_admin = cli(*command, "nobody", *db, "--as", "admin")
    assert as_admin.exit_code == 2 and "There is no" in as_admin.stderr and "nobody" in as_admin.stderr
    unknown = cli(*command, "nobody", *db, "--as", "mgr.south")
    foreign = cli(*command, "agent.n1", *db, "--as", "mgr.south")  # another manager's agent
    assert unknown.exit_code == foreign.exit_code == 2
    assert "may not" not in unknown.stderr and "nobody" in unknown.stderr
    assert foreign.stderr == unknown.stderr.replace("nobody", "agent.n1")  # a manager learns nothing of others
