"""`crmxl import accounts|contacts` through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import openpyxl

from crmxl.schema import ACCOUNTS, CONTACTS, column_letter
from crmxl.workbook.report import ERROR_FILL
from tests.conftest import restored, table_dump
from tests.services.import_files import contacts_of, demo_accounts, first_row, query, workbook
from tests.validation.builders import cnpj

NEW_CNPJ = cnpj("998877660001")
JSON_KEYS = {"file", "sheet", "template", "template_version", "rows", "valid_rows", "committed", "batch_id",
             "findings", "plan"}
PLAN_KEYS = {"accounts_create", "accounts_update", "accounts_unchanged", "portfolio_moves", "contacts_create",
             "contacts_update"}


def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def rows_with_one_bad_cell(url):
    a, b = demo_accounts(url, "agent.sp1", 2)
    return [
        {**a, "city": "Campinas"},
        {"account_number": NEW_CNPJ, "name": "Clínica Nova", "type": "COMPANY", "portfolio": "agent.sp1", "uf": "SP",
         "contact_name": "Rosa Prado", "contact_type": "OTHERS"},
        {**b, "email": "sem-arroba"},
    ]


def test_dry_run_json_writes_nothing(cli, demo_db, tmp_path):
    a, b = demo_accounts(demo_db.url, "agent.sp1", 2)
    path = workbook(tmp_path / "ok.xlsx", [{**a, "city": "Campinas"}, b])
    before = table_dump(demo_db.url)
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url)
    assert code == 0
    assert JSON_KEYS <= set(data) and PLAN_KEYS <= set(data["plan"])
    assert (data["sheet"], data["template"], data["template_version"]) == ("Accounts", "accounts", ACCOUNTS.version)
    assert (data["rows"], data["valid_rows"], data["committed"], data["batch_id"]) == (2, 2, False, None)
    assert data["plan"]["accounts_update"] == 1 and data["plan"]["accounts_unchanged"] == 1
    assert data["findings"] == []
    assert table_dump(demo_db.url) == before


def test_errors_exit_1_and_commit_nothing(cli, demo_db, tmp_path):
    path = workbook(tmp_path / "bad.xlsx", rows_with_one_bad_cell(demo_db.url))
    first = first_row(path)
    before = table_dump(demo_db.url)
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--commit")
    assert code == 1 and data["committed"] is False and data["batch_id"] is None
    assert [(f["row"], f["column"], f["code"]) for f in data["findings"]] == [(first + 2, "N", "email_invalid")]
    assert table_dump(demo_db.url) == before
    human = cli("import", "accounts", path, "--db", demo_db.url, "--commit")
    assert human.exit_code == 1
    assert "Warning: 1 error in 1 row." in human.stdout and "Nothing was committed" in human.stdout
    assert "email_invalid" in human.stdout


def test_skip_invalid_commits_the_valid_rows_and_undo_restores(cli, demo_db, tmp_path):
    path = workbook(tmp_path / "bad.xlsx", rows_with_one_bad_cell(demo_db.url))
    before = restored(demo_db.url)
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--commit", "--skip-invalid")
    assert code == 1 and data["committed"] is True and isinstance(data["batch_id"], int)
    assert data["committed_rows"] + data["reported_rows"] == data["rows"] == 3
    assert data["reported_rows"] == 1
    assert [c.name for c in contacts_of(demo_db.url, NEW_CNPJ)] == ["Rosa Prado"]
    listed = cli("history", "--db", demo_db.url, "--json")
    assert json.loads(listed.stdout)[0]["id"] == data["batch_id"]
    undone = cli("undo", data["batch_id"], "--db", demo_db.url)
    assert undone.exit_code == 0, undone.stderr
    assert restored(demo_db.url) == before


def test_valid_file_commits_and_reimport_plans_nothing(cli, demo_db, tmp_path):
    rows = rows_with_one_bad_cell(demo_db.url)[:2]
    path = workbook(tmp_path / "ok.xlsx", rows)
    result = cli("import", "accounts", path, "--db", demo_db.url, "--commit")
    assert result.exit_code == 0, result.stderr
    assert "Data is correct." in result.stdout and "Committed as batch" in result.stdout
    after = table_dump(demo_db.url)
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--commit")
    assert code == 0
    plan = data["plan"]
    assert plan["accounts_create"] == plan["accounts_update"] == plan["contacts_create"] == 0
    assert plan["contacts_update"] == plan["portfolio_moves"] == 0
    assert table_dump(demo_db.url) == after


def test_transfers_need_the_option(cli, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    path = workbook(tmp_path / "move.xlsx", [{**a, "portfolio": "agent.sp2"}])
    first = first_row(path)
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url)
    assert code == 1
    assert [(f["row"], f["column"], f["code"]) for f in data["findings"]] == [(first, "D", "portfolio_transfer")]
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--allow-transfers", "--commit")
    assert code == 0 and data["plan"]["portfolio_moves"] == 1 and data["committed"]
    owner = query(demo_db.url, "SELECT u.login FROM accounts a JOIN users u ON u.id = a.owner_id WHERE a.id = :i",
                  i=a["id"])
    assert owner[0].login == "agent.sp2"


def test_acting_user_is_checked(cli, demo_db, tmp_path):
    (foreign,) = demo_accounts(demo_db.url, "agent.ba1", 1)
    path = workbook(tmp_path / "foreign.xlsx", [{**foreign, "city": "Ilhéus"}])
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--as", "agent.sp1", "--commit")
    assert code == 1 and not data["committed"]
    assert [f["code"] for f in data["findings"]] == ["portfolio_not_allowed"]
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--as", "mgr.north")
    assert code == 0
    unknown = cli("import", "accounts", path, "--db", demo_db.url, "--as", "nobody")
    assert unknown.exit_code == 2 and "nobody" in unknown.stderr and unknown.stdout == ""


def test_unusable_input_exits_2(cli, sqlite_demo_db, tmp_path):
    missing = cli("import", "accounts", tmp_path / "nope.xlsx", "--db", sqlite_demo_db.url, "--json")
    assert missing.exit_code == 2 and "nope.xlsx" in missing.stderr
    answer = json.loads(missing.stdout)  # --json: one JSON object on stdout, also when there is no plan
    assert answer["committed"] is False and answer["error"]["code"] == "file_not_found"
    assert "nope.xlsx" in answer["error"]["message"] and answer["error"]["exit_code"] == 2
    contacts_file = workbook(tmp_path / "contacts.xlsx", [], tpl=CONTACTS)
    wrong = cli("import", "accounts", contacts_file, "--db", sqlite_demo_db.url)
    assert wrong.exit_code == 2 and "Traceback" not in wrong.stderr + wrong.stdout
    usage = cli("import", "accounts", "--db", sqlite_demo_db.url)
    assert usage.exit_code == 2


def test_report_marks_cells_and_lists_the_plan(cli, sqlite_demo_db, tmp_path):
    url = sqlite_demo_db.url
    rows = rows_with_one_bad_cell(url)
    rows[1] = {**rows[1], "uf": "ZZ"}
    path = workbook(tmp_path / "bad.xlsx", rows)
    first = first_row(path)
    out = tmp_path / "report.xlsx"
    result = cli("import", "accounts", path, "--db", url, "--report", out)
    assert result.exit_code == 1 and f"Report: {out}" in result.stdout
    book = openpyxl.load_workbook(out)
    sheet = book["Accounts"]
    header = [c.value for c in sheet[first - 1]]
    errors_col = column_letter(header.index("Errors"))
    bad = {(first + 1, "E"), (first + 2, "N")}
    for row in range(first, first + 3):
        for index in range(len(ACCOUNTS.fields)):
            cell = sheet[f"{column_letter(index)}{row}"]
            is_bad = (row, column_letter(index)) in bad
            assert (cell.fill.fgColor.rgb == ERROR_FILL) == is_bad, cell.coordinate
            assert (cell.comment is not None) == is_bad, cell.coordinate
    assert "UF" in sheet[f"E{first + 1}"].comment.text and "sem-arroba" in sheet[f"N{first + 2}"].comment.text
    assert sheet[f"{errors_col}{first}"].value == "OK"
    assert "ZZ" in sheet[f"{errors_col}{first + 1}"].value
    assert "sem-arroba" in sheet[f"{errors_col}{first + 2}"].value
    summary = [[c for c in row if c is not None] for row in book["Summary"].iter_rows(values_only=True)]
    flat = {row[0]: row[1] for row in summary if len(row) >= 2}
    assert flat["Accounts to update"] == 1
    assert any(str(label).startswith(f"Row {first}: update account") and "Campinas" in str(text)
               for label, text in flat.items())


def test_contacts_import_through_the_cli(cli, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    rows = [{"account_number": a["account_number"], "identifier": a["account_number"], "name": "Lia Souza",
             "type": "SECRETARY", "birth_date": "31/02/1990"},
            {"account_number": a["account_number"], "identifier": a["account_number"], "name": "Caio Souza",
             "type": "OTHERS", "phone": "(11) 3333-4444"}]
    path = workbook(tmp_path / "contacts.xlsx", rows, tpl=CONTACTS)
    first = first_row(path, CONTACTS)
    code, data = run_json(cli, "import", "contacts", path, "--db", demo_db.url, "--commit", "--skip-invalid")
    assert code == 1 and data["template"] == "contacts" and data["sheet"] == "Contacts"
    assert [(f["row"], f["column"]) for f in data["findings"] if f["severity"] == "error"] == [(first, "H")]
    assert data["plan"]["contacts_create"] == 1 and data["committed"]
    names = [c.name for c in contacts_of(demo_db.url, a["account_number"])]
    assert "Caio Souza" in names and "Lia Souza" not in names


BAD_CELLS = (  # field, bad value, rule
    ("email", "not-an-email", "email_invalid"),
    ("phone", "123", "phone_invalid"),
    ("cep", "12", "cep_invalid"),
    ("name", "x" * 201, "too_long"),
    ("type", "MEDICALL", "account_type_invalid"),
    ("uf", "XX", "uf_invalid"),
    ("portfolio", "agent.zz9", "portfolio_unknown"),
    ("account_number", "12345678/SP", "crm_too_long"),
)


def test_ten_thousand_rows_with_two_percent_bad_cells(cli, demo_db, tmp_path):
    rows, expected = [], set()
    for i in range(10_000):
        row = {"account_number": f"{1_000_000 + i}/SP", "name": f"Dr(a). Teste {i}", "type": "MEDICAL",
               "portfolio": ("agent.sp1", "agent.sp2", "Without Portfolio")[i % 3], "uf": "SP",
               "city": "São Paulo", "phone": f"(11) 9{1000 + i % 9000}-{1000 + i % 9000}", "cep": "01310-100",
               "email": f"t{i}@example.com.br"}
        if i % 50 == 7:
            field, value, rule = BAD_CELLS[(i // 50) % len(BAD_CELLS)]
            row[field] = value
            expected.add((i, ACCOUNTS.letter(field), rule))
        rows.append(row)
    path = workbook(tmp_path / "big.xlsx", rows)
    first = first_row(path)
    expected = {(first + i, letter, rule) for i, letter, rule in expected}
    assert len(expected) == 200
    code, data = run_json(cli, "import", "accounts", path, "--db", demo_db.url, "--commit", "--skip-invalid")
    assert code == 1
    assert {(f["row"], f["column"], f["code"]) for f in data["findings"]} == expected
    assert data["rows"] == 10_000 and data["valid_rows"] == 9_800 and data["reported_rows"] == 200
    assert data["plan"]["accounts_create"] == 9_800 and data["committed_rows"] == 9_800
    count = query(demo_db.url, "SELECT count(*) FROM accounts WHERE number LIKE '1______/SP'")[0][0]
    assert count == 9_800


def test_language_option_takes_only_languages_crmxl_speaks(cli, sqlite_demo_db, tmp_path):
    path = workbook(tmp_path / "a.xlsx", rows_with_one_bad_cell(sqlite_demo_db.url))
    unknown = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--lang", "xx")
    assert unknown.exit_code == 2 and "'xx' is not a language crmxl speaks" in unknown.stderr
    portuguese = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--lang", "pt_br")
    assert portuguese.exit_code == 1 and "Simulação: nada foi gravado" in portuguese.stdout


def test_a_sheet_without_rows_is_not_called_correct(cli, sqlite_demo_db, tmp_path):
    path = workbook(tmp_path / "empty.xlsx", [])
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 0 and "The sheet has no rows: there is nothing to import." in result.stdout
    assert "correct" not in result.stdout
    code, data = run_json(cli, "import", "accounts", path, "--db", sqlite_demo_db.url)
    assert [f["code"] for f in data["findings"]] == ["no_data_rows"] and data["rows"] == 0
    summary = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"]
    assert summary["A2"].value == "The sheet has no rows: there is nothing to import."


def test_brackets_in_the_data_print_as_they_are(cli, sqlite_demo_db, tmp_path):
    """Output is not Rich markup: a name '[/i]' crashed the summary after a real commit (exit 1, batch id
    never shown), '[draft] carteira.xlsx' lost its '[draft]'."""
    rows = [{"account_number": NEW_CNPJ, "name": "Hospital [/i] Santa Casa", "type": "COMPANY",
             "portfolio": "agent.sp1", "uf": "S[/i]P"},
            {"account_number": cnpj("998877660002"), "name": "Clínica [ok] Vida", "type": "COMPANY",
             "portfolio": "agent.sp1", "uf": "SP"}]
    path = workbook(tmp_path / "[draft] carteira.xlsx", rows)
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--commit", "--skip-invalid")
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    assert "[draft] carteira.xlsx" in result.stdout and "S[/i]P" in result.stdout and "Committed as batch" in result.stdout
    moved = cli("transfer", "--from", "agent.sp1", "--to", "agent.sp2", "--account", cnpj("998877660002"),
                "--commit", "--db", sqlite_demo_db.url)
    assert moved.exit_code == 0 and "Clínica [ok] Vida" in moved.stdout
    missing = cli("import", "accounts", tmp_path / "missing[/x].xlsx", "--db", sqlite_demo_db.url)
    assert missing.exit_code == 2 and "missing[/x].xlsx" in missing.stderr


def test_a_portuguese_file_gets_portuguese_messages_and_the_report_says_what_was_committed(cli, sqlite_demo_db,
                                                                                         tmp_path):
    path = workbook(tmp_path / "contas.xlsx", rows_with_one_bad_cell(sqlite_demo_db.url), lang="pt-BR")
    result = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--commit", "--skip-invalid",
                 "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 1 and "Gravado como lote 1" in result.stdout  # no --lang: the file's language
    summary = openpyxl.load_workbook(tmp_path / "r.xlsx")["Resumo"]
    lines = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and row[0]}
    assert lines["Gravado"] == "como lote 1 (desfaça com `crmxl undo 1`)"
    again = cli("import", "accounts", path, "--db", sqlite_demo_db.url, "--commit", "--skip-invalid", "--lang", "en")
    assert "Nothing was committed: the valid rows are already in the CRM; 1 row with errors is reported." \
        in again.stdout and "--skip-invalid)" not in again.stdout


def test_a_commit_planned_again_after_another_commit_says_so(cli, sqlite_demo_db, tmp_path, monkeypatch):
    """Another batch changes an account of the file between the check and the commit: the file is planned
    again and applied; the user is told, not left to think the plan shown is what went in."""
    import crmxl.cli.importing as face
    from crmxl.db.session import Database
    from crmxl.services.imports import commit_import, plan_import
    from tests.services.import_files import actor

    accounts = demo_accounts(sqlite_demo_db.url, "agent.sp1", 2)
    mine = workbook(tmp_path / "mine.xlsx", [{**a, "city": "Campinas"} for a in accounts])
    theirs = workbook(tmp_path / "theirs.xlsx", [{**accounts[0], "phone": "(11) 3333-4444"}])
    original = face.plan_import

    def plan_then_someone_commits(*args, **kwargs):
        plan = original(*args, **kwargs)
        db = Database(sqlite_demo_db.url)
        commit_import(db, actor(db), plan_import(db, actor(db), theirs, "accounts"))
        db.dispose()
        return plan

    monkeypatch.setattr(face, "plan_import", plan_then_someone_commits)
    result = cli("import", "accounts", mine, "--commit", "--db", sqlite_demo_db.url)
    assert result.exit_code == 0 and "it was checked again against the CRM as it is now" in result.stdout
    monkeypatch.setattr(face, "plan_import", original)
    code, data = run_json(cli, "import", "accounts", mine, "--commit", "--db", sqlite_demo_db.url)
    assert data["replanned"] is False


def test_a_report_that_cannot_be_written_after_a_commit_still_shows_the_batch(cli, sqlite_demo_db, tmp_path):
    path = workbook(tmp_path / "a.xlsx", rows_with_one_bad_cell(sqlite_demo_db.url)[:2])
    (tmp_path / "file").write_text("x")
    result = cli("import", "accounts", path, "--commit", "--report", tmp_path / "file" / "r.xlsx",
                 "--db", sqlite_demo_db.url)
    assert "Committed as batch 1" in result.stdout and "r.xlsx" in result.stderr and "Traceback" not in result.stderr
