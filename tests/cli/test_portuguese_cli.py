"""With Portuguese chosen (--lang, CRMXL_LANG, the config file, or the acting user's language) what the command
line prints is Portuguese, counts in the singular for 1; with English, the English it always printed."""

from __future__ import annotations

import json
import re

import pytest

from tests.services.import_files import demo_accounts, workbook


@pytest.fixture
def pt(monkeypatch):
    monkeypatch.setenv("CRMXL_LANG", "pt-BR")


@pytest.fixture
def wide(monkeypatch):
    """A table as wide as it wants: its cells unwrapped, to be read as lines."""
    from crmxl.cli.common import console

    monkeypatch.setattr(console, "width", 250)


def no_english(text: str, *words: str) -> None:
    text = re.sub(r"\S*/\S*", "", text)  # file names and URLs are as they are
    for word in words:
        assert not re.search(rf"\b{re.escape(word)}\b", text), (word, text)


def test_transfer_in_portuguese(cli, sqlite_demo_db, pt):
    db = ("--db", sqlite_demo_db.url)
    (one,) = demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)
    dry = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--account", one["account_number"], *db)
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.startswith("1 conta será movida de agent.sp1 para agent.sp2:")
    assert "Simulação: nada foi movido. Use --commit para movê-la." in dry.stdout
    no_english(dry.stdout, "account", "moves", "from", "to", "Dry", "run", "Add", "it")
    moved = cli("transfer", "--from", "agent.sp1", "--without-portfolio", "--commit", *db)
    assert moved.exit_code == 0, moved.stderr
    count = int(moved.stdout.split()[0])
    assert count > 1 and moved.stdout.startswith(f"{count} contas movidas de agent.sp1 para Sem Carteira:")
    batch = re.search(r"Lote (\d+) registrado \(desfaça com `crmxl undo (\d+)`\)\.", moved.stdout)
    assert batch and batch[1] == batch[2], moved.stdout
    no_english(moved.stdout, "accounts", "moved", "Without", "Portfolio", "Batch", "recorded", "undo with")
    if count > 20:
        assert f"... e mais {count - 20}" in moved.stdout
    none = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--commit", *db)
    assert none.stdout.startswith("0 contas movidas") and "Nada foi movido." in none.stdout


def test_transfer_in_english_and_its_json_in_any_language(cli, sqlite_demo_db, monkeypatch):
    db = ("--db", sqlite_demo_db.url)
    two = [a["account_number"] for a in demo_accounts(sqlite_demo_db.url, "agent.sp1", 2)]
    args = ("transfer", "--from", "agent.sp1", "--without-portfolio", "--account", two[0], "--account", two[1], *db)
    en = cli(*args)
    assert en.stdout.startswith("2 accounts move from agent.sp1 to Without Portfolio:")
    assert "Dry run: nothing moved. Add --commit to move them." in en.stdout
    as_json = cli(*args, "--json").stdout
    monkeypatch.setenv("CRMXL_LANG", "pt-BR")
    assert cli(*args, "--json").stdout == as_json and json.loads(as_json)["to"] == "Without Portfolio"
    assert "Use --commit para movê-las." in cli(*args).stdout


def test_export_and_profiles_in_portuguese(cli, sqlite_demo_db, tmp_path, pt):
    db = ("--db", sqlite_demo_db.url)
    out = tmp_path / "one.csv"
    exported = cli("export", "accounts", "--portfolio", "agent.sp1", "-o", out, *db)
    assert exported.exit_code == 0, exported.stderr
    assert re.match(r"\d+ contas exportadas \(perfil '[^']+'\) para ", exported.stdout), exported.stdout
    no_english(re.sub(r"'[^']+'", "", exported.stdout), "Exported", "accounts", "profile", "to")  # a name is a name
    contacts = cli("export", "contacts", "--portfolio", "agent.sp1", "-o", tmp_path / "c.xlsx", *db, "--lang", "pt-BR")
    assert re.match(r"\d+ contatos exportados \(perfil", contacts.stdout), contacts.stdout
    added = cli("profiles", "add", "sp-medicos", "--entity", "accounts", "--columns", "account_number,name",
                "--type", "MEDICAL", *db)
    assert added.exit_code == 0, added.stderr
    assert added.stdout.startswith("Perfil 'sp-medicos' (contas): ")
    assert "Número da Conta, Nome da Conta" in added.stdout, added.stdout
    no_english(added.stdout, "account_number", "name")
    chosen = cli("export", "accounts", "--portfolio", "agent.sp1", "--profile", "sp-medicos", "-o", tmp_path / "s.xlsx",
                 *db)
    assert "(perfil 'sp-medicos')" in chosen.stdout, chosen.stderr
    listed = cli("profiles", "list", *db)
    assert listed.exit_code == 0, listed.stderr
    for header in ("Nome", "Entidade", "Colunas", "Filtros", "Padrão", "Autor"):
        assert header in listed.stdout, listed.stdout
    assert "sim" in listed.stdout
    header = listed.stdout.splitlines()[1]  # the rows hold the profiles' names ('Default accounts')
    no_english(header, "Name", "Entity", "Columns", "Filters", "Default", "Author")
    no_english(listed.stdout, "yes", "account_number")
    edited = cli("profiles", "edit", "sp-medicos", "--rename", "sp-medicos-2", *db)
    assert edited.stdout.startswith("Perfil 'sp-medicos-2' (contas): "), edited.stdout
    deleted = cli("profiles", "delete", "sp-medicos-2", *db)
    assert deleted.stdout.strip() == "Perfil 'sp-medicos-2' excluído."


def test_one_account_exported_is_singular_in_portuguese(cli, sqlite_demo_db, tmp_path, pt):
    db = ("--db", sqlite_demo_db.url)
    (one,) = demo_accounts(sqlite_demo_db.url, "agent.sp1", 1)
    assert cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--account", one["account_number"],
               "--commit", *db).stdout.startswith("1 conta movida de agent.sp1 para agent.sp2:")
    assert cli("transfer", "--from", "agent.sp2", "--without-portfolio", "--commit", *db).exit_code == 0
    exported = cli("export", "accounts", "--without-portfolio", "--type", "MEDICAL", "--uf", one["uf"],
                   "-o", tmp_path / "w.xlsx", *db)
    assert exported.exit_code == 0, exported.stderr
    assert re.match(r"\d+ contas? exportadas? \(perfil", exported.stdout), exported.stdout


def test_export_and_profiles_in_english(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url)
    exported = cli("export", "contacts", "--portfolio", "agent.sp1", "-o", tmp_path / "c.xlsx", *db)
    assert re.match(r"Exported \d+ contacts \(profile '[^']+'\) to ", exported.stdout), exported.stdout
    added = cli("profiles", "add", "sp", "--entity", "contacts", *db)
    assert added.stdout.startswith("Profile 'sp' (contacts): ") and "Contact Name" in added.stdout, added.stdout
    listed = cli("profiles", "list", *db).stdout
    assert all(h in listed for h in ("Name", "Entity", "Columns", "Author")) and "yes" in listed
    assert cli("profiles", "delete", "sp", *db).stdout.strip() == "Profile 'sp' deleted."


def test_templates_in_portuguese(cli, sqlite_demo_db, tmp_path, pt):
    built = cli("templates", "build", "--out", tmp_path / "t")
    assert built.exit_code == 0, built.stderr
    assert [line.split()[0] for line in built.stdout.splitlines()] == ["gerado"] * 4
    dist = cli("templates", "distribute", "--manager", "mgr.south", "--out", tmp_path / "d", "--db", sqlite_demo_db.url)
    assert dist.exit_code == 0, dist.stderr
    for header in ("Agente", "Modelo", "Versão", "Arquivo"):
        assert header in dist.stdout
    assert re.search(r"\d+ pastas de trabalho para \d+ agentes de mgr\.south; manifesto: ", dist.stdout), dist.stdout
    no_english(dist.stdout, "Agent", "Template", "Version", "File", "workbooks", "agents", "of", "manifest")
    english = cli("templates", "build", "--out", tmp_path / "e", "--lang", "en").stdout  # --lang: chosen here
    assert english.startswith("wrote ")


def test_templates_in_english(cli, sqlite_demo_db, tmp_path):
    assert cli("templates", "build", "--out", tmp_path / "t").stdout.startswith("wrote ")
    assert cli("templates", "build", "--out", tmp_path / "p", "--lang", "pt-BR").stdout.startswith("gerado ")
    dist = cli("templates", "distribute", "--manager", "mgr.south", "--out", tmp_path / "d", "--db", sqlite_demo_db.url)
    assert re.search(r"\d+ workbooks for \d+ agents of mgr\.south; manifest: ", dist.stdout), dist.stdout
    assert "Agent" in dist.stdout and "Version" in dist.stdout


def test_users_history_and_undo_in_portuguese(cli, sqlite_demo_db, pt, wide):
    db = ("--db", sqlite_demo_db.url)
    added = cli("users", "add", "ana.lima", "--name", "Ana Lima", "--role", "agent", "--manager", "mgr.south",
                "--password", "s3nha-longa-123", *db)
    assert added.stdout.strip() == "Usuário ana.lima (agent) criado."
    changed = cli("users", "passwd", "ana.lima", "--password", "outra-senha-456", *db)
    assert changed.stdout.strip() == "Senha de ana.lima alterada."
    token = cli("users", "token", "ana.lima", *db)
    assert token.exit_code == 0 and len(token.stdout.split()) == 1  # the token only, in any language
    assert cli("history", *db).stdout.strip() == "Nenhum lote ainda."
    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--commit", *db)
    batch = int(re.search(r"Lote (\d+)", moved.stdout)[1])
    undone = cli("undo", str(batch), *db)
    assert undone.exit_code == 0, undone.stderr
    assert undone.stdout.strip() == f"Lote {batch} desfeito (registrado como lote {batch + 1})."
    listed = cli("history", *db).stdout
    assert f"desfeito pelo lote {batch + 1}" in listed and f"(desfaz o lote {batch})" in listed, listed
    no_english(listed, "undone", "by", "committed", "Batch", "Status")


def test_users_history_and_undo_in_english(cli, sqlite_demo_db, wide):
    db = ("--db", sqlite_demo_db.url)
    assert cli("users", "add", "ana.lima", "--name", "Ana", "--role", "agent", "--manager", "mgr.south",
               "--password", "s3nha-longa-123", *db).stdout.strip() == "User ana.lima (agent) created."
    assert cli("users", "passwd", "ana.lima", "--password", "outra-senha-456", *db).stdout.strip() == \
        "Password of ana.lima changed."
    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--commit", *db)
    batch = int(re.search(r"Batch (\d+)", moved.stdout)[1])
    assert cli("undo", str(batch), *db).stdout.strip() == f"Batch {batch} undone (recorded as batch {batch + 1})."
    listed = cli("history", *db).stdout
    assert f"undone by {batch + 1}" in listed and f"(undo of {batch})" in listed


def test_the_acting_users_language_and_the_config_files(cli, sqlite_demo_db, tmp_path, monkeypatch):
    db = ("--db", sqlite_demo_db.url)
    assert cli("users", "add", "mgr.pt", "--name", "Gerente", "--role", "manager", "--lang", "pt-BR",
               "--password", "s3nha-longa-123", *db).exit_code == 0
    assert cli("history", "--as", "mgr.pt", *db).stdout.strip() == "Nenhum lote ainda."
    config = tmp_path / "config.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("CRMXL_CONFIG", str(config))
    assert cli("history", "--as", "mgr.pt", *db).stdout.strip() == "No batches yet."  # chosen: English
    config.write_text('lang = "pt-BR"\n', encoding="utf-8")
    assert cli("profiles", "delete", "nenhum", *db).exit_code == 2
    listed = cli("profiles", "list", *db).stdout
    assert "Nome" in listed and "Autor" in listed


def test_db_init_and_demo_tour_in_portuguese(cli, tmp_path, monkeypatch, pt):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    init = cli("db", "init", "--db", url)
    assert init.exit_code == 0, init.stderr
    assert re.match(r"Banco de dados .*: esquema criado \(revisão \w+\); \d+ especialidades e \d+ perfis de "
                    r"exportação adicionados\.", init.stdout), init.stdout
    again = cli("db", "init", "--db", url)
    assert "esquema já atualizado" in again.stdout and "0 especialidades e 0 perfis" in again.stdout
    tour = cli("demo", "--db", url, "--tour")
    assert tour.exit_code == 0, tour.stderr
    out = tour.stdout
    assert re.search(r"Dados de demonstração em .*: \d+ contas, \d+ contatos \(adicionados agora: \d+ usuários, "
                     r"\d+ contas, \d+ contatos\)\.", out), out
    assert "Importação de demonstração (uma simulação: nada é gravado), como" in out
    assert "Atenção: 5 erros em 5 linhas." in out and "O que experimentar agora" in out
    assert "usuários de demonstração: admin, mgr.south" in out and "senha crmxl-demo" in out
    assert "\nBanco de dados: " in out and "grava as linhas válidas" in out
    no_english(out, "Demo", "What", "try", "next", "Database", "password", "Warning", "commits", "the")
    assert "Dados de demonstração" in cli("demo", "--db", url).stdout


def test_db_init_and_demo_in_english(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    init = cli("db", "init", "--db", url)
    assert re.match(r"Database .*: schema created \(revision \w+\); \d+ specialties and \d+ export profiles added\.",
                    init.stdout), init.stdout
    demo = cli("demo", "--db", url)
    assert re.search(r"Demo data in .*: \d+ accounts, \d+ contacts \(added now: \d+ users, \d+ accounts, \d+ "
                     r"contacts\)\.", demo.stdout), demo.stdout


def one_or_two_bad(url, tmp_path, bad: int):
    accounts = demo_accounts(url, "agent.sp1", 2)
    rows = [{**a, "email": "sem-arroba"} if i < bad else a for i, a in enumerate(accounts)]
    return workbook(tmp_path / f"bad{bad}.xlsx", rows)


def test_fix_it_or_them(cli, sqlite_demo_db, tmp_path):
    db = ("--db", sqlite_demo_db.url, "--as", "admin")
    one, two = one_or_two_bad(sqlite_demo_db.url, tmp_path, 1), one_or_two_bad(sqlite_demo_db.url, tmp_path, 2)
    assert "1 error in 1 row. Fix it, or commit" in cli("import", "accounts", one, "--commit", *db).stdout
    assert "2 errors in 2 rows. Fix them, or commit" in cli("import", "accounts", two, "--commit", *db).stdout
    pt_one = cli("import", "accounts", one, "--commit", *db, "--lang", "pt-BR").stdout
    assert "1 erro em 1 linha. Corrija-o, ou grave" in pt_one
    pt_two = cli("import", "accounts", two, "--commit", *db, "--lang", "pt-BR").stdout
    assert "2 erros em 2 linhas. Corrija-os, ou grave" in pt_two


def test_addin_build_and_an_interruption_in_portuguese(cli, sqlite_demo_db, tmp_path, monkeypatch, pt):
    built = cli("addin", "build", "--out", tmp_path / "addin")
    assert built.exit_code == 0, built.stderr
    assert built.stdout.startswith("gerado ") and "Cada usuário instala o suplemento xlwings uma vez" in built.stdout
    no_english(built.stdout, "wrote", "Each", "user", "For", "every")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("crmxl.services.history.list_batches", interrupted)
    stopped = cli("history", "--db", sqlite_demo_db.url)
    assert stopped.exit_code == 130 and stopped.stderr.startswith("Interrompido: a etapa em andamento não gravou nada")
    monkeypatch.delenv("CRMXL_LANG")
    assert cli("history", "--db", sqlite_demo_db.url).stderr.startswith("Interrupted: the step under way")


def test_history_in_portuguese_shows_the_webs_labels_and_its_json_keeps_the_keys(cli, sqlite_demo_db, pt, wide):
    db = ("--db", sqlite_demo_db.url)
    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--type", "INSURANCE", "--commit", *db)
    batch = int(re.search(r"Lote (\d+)", moved.stdout)[1])
    assert cli("undo", str(batch), *db).exit_code == 0
    listed = cli("history", *db).stdout
    assert "Transferência de carteira" in listed and "Desfazer" in listed, listed
    assert "Transferências de carteira:" in listed and "De: agent.sp1" in listed and "Para: agent.sp2" in listed
    assert "Linhas restauradas:" in listed, listed
    no_english(listed, "transfer", "undo", "rows_restored", "portfolio_moves", "from", "to")
    assert "=" not in listed
    kinds = [(b["kind"], sorted(b["counts"])) for b in json.loads(cli("history", "--json", *db).stdout)]
    assert kinds[0][0] == "undo" and "rows_restored" in kinds[0][1]
    assert kinds[1][0] == "transfer" and "portfolio_moves" in kinds[1][1]


def test_a_bad_history_filter_is_said_in_portuguese(cli, sqlite_demo_db, pt):
    db = ("--db", sqlite_demo_db.url)
    for args in (("--since", "02/12/2026"), ("--until", "ontem")):
        bad = cli("history", *args, *db)
        assert bad.exit_code == 2 and f"'{args[1]}' não é uma data: escreva-a como AAAA-MM-DD" in bad.stderr, bad.stderr
        assert "Invalid value" not in bad.stderr and "write it" not in bad.stderr
    kind = cli("history", "--kind", "imports", *db)
    assert kind.exit_code == 2 and "'imports'" in kind.stderr and "Invalid value" not in kind.stderr, kind.stderr
    no_english(kind.stderr, "is", "not", "one", "of")
    answer = json.loads(cli("history", "--json", "--kind", "imports", *db).stdout)
    assert answer["error"]["exit_code"] == 2 and "'imports'" in answer["error"]["message"]
