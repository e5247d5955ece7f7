"""The ribbon macros run for real through xlwings' Book/Sheet/Range, over our openpyxl engine."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from crmxl.db.models import Account, User
from crmxl.db.session import Database
from crmxl.schema import ACCOUNTS
from crmxl.services import history
from crmxl.services.transfer import commit_transfer, plan_transfer
from crmxl.workbook.xlwings_engine import open_book
from crmxl.xl import macros
from tests.conftest import restored, table_dump

HEADERS = [c.header("en") for c in ACCOUNTS.columns]


def _row(number, name, type_, portfolio, uf, **extra):
    values = {"account_number": number, "name": name, "type": type_, "portfolio": portfolio, "uf": uf, **extra}
    return [values.get(f) for f in ACCOUNTS.fields]


def _workbook(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Accounts"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    sheet["P1"] = "my own note column"
    sheet["P1"].fill = openpyxl.styles.PatternFill(fill_type="solid", fgColor="FF00B050")
    book.save(path)
    return path


def actor_for_login(db: Database, login: str):
    from crmxl.services.access import actor_for

    with db.session() as session:
        return actor_for(session, login)


def _alerts(book) -> list[dict]:
    return book.app.impl.alerts


def test_validate_marks_bad_cells_and_warns_then_clears_fixed_ones(env):
    db, tmp = env
    path = _workbook(tmp / "mine.xlsx", [
        _row("11.222.333/0001-81", "Clínica Boa Vista", "COMPANY", "agent.sp1", "SP"),
        _row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"),
        _row("123456/SP", "Dr. Ana", "MEDICL", "agent.sp1", "SP"),
        _row("654321/PR", "Dr. Beto", "MEDICAL", "agent.ba1", "PR"),
    ])
    book = open_book(path)
    macros.validate(book)
    alert = _alerts(book)[-1]
    assert alert["prompt"].startswith("Warning: 3 errors in 3 of 4 rows")
    book.save()

    wb = openpyxl.load_workbook(path)
    ws = wb["Accounts"]
    assert ws["A3"].fill.fgColor.rgb.endswith("FF7C80")
    assert "check digits should be 81" in ws["A3"].comment.text
    assert "Did you mean MEDICAL?" in ws["C4"].comment.text
    assert ws["D5"].comment is not None  # agent.ba1 is not mgr.south's agent
    assert ws["A2"].comment is None and ws["A2"].fill.fgColor.rgb in (None, "00000000")
    errors_col = [c.value for c in ws["Q"]]
    assert errors_col[0] == "Errors" and errors_col[1] == "OK"
    assert "check digits" in errors_col[2] and "MEDICAL" in errors_col[3]
    assert ws["P1"].fill.fgColor.rgb == "FF00B050"  # the user's own fill survives
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Accounts").to_python()
    assert values[1][16] == "OK"

    book = open_book(path)
    sheet = book.sheets["Accounts"]
    sheet.range("A3").value = "11.222.333/0001-81 "  # now a duplicate of row 2
    sheet.range("A3").value = "45.997.418/0001-53"
    sheet.range("C4").value = "MEDICAL"
    sheet.range("D5").value = "agent.sp2"
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"] == "The data is correct: 4 rows."
    book.save()
    ws = openpyxl.load_workbook(path)["Accounts"]
    assert all(ws[a].comment is None for a in ("A3", "C4", "D5"))
    assert ws["A3"].fill.fgColor.rgb in (None, "00000000")
    assert [c.value for c in ws["Q"]][1:5] == ["OK"] * 4


def test_validate_marks_a_cell_holding_an_error_value(env):
    """xlwings reads an error cell as empty unless asked: the macro reports #N/A where it is, not an
    account without a CEP."""
    db, tmp = env
    path = _workbook(tmp / "errors.xlsx", [
        _row("11.222.333/0001-81", "Clínica Boa Vista", "COMPANY", "agent.sp1", "SP", cep="01310-100"),
        _row("45.997.418/0001-53", "Clínica Nova", "COMPANY", "agent.sp1", "SP"),
    ])
    book = openpyxl.load_workbook(path)
    cell = book["Accounts"]["L2"]
    cell.value, cell.data_type = "#N/A", "e"
    book.save(path)
    book = open_book(path)
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"].startswith("Warning: 1 error in 1 of 2 rows")
    book.save()
    ws = openpyxl.load_workbook(path)["Accounts"]
    assert "error value #N/A" in ws["L2"].comment.text
    assert ws["L3"].comment is None and [c.value for c in ws["Q"]][2] == "OK"


def test_each_sheets_marks_are_its_own_and_the_user_stays_on_the_sheet(env):
    """Validating a second sheet keeps the record of the first one's marks: fixed, they are cleared."""
    db, tmp = env
    path = _workbook(tmp / "two.xlsx", [_row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP")])
    book = openpyxl.load_workbook(path)
    second = book.copy_worksheet(book["Accounts"])
    second.title = "Accounts2"
    second["A2"] = "45.997.418/0001-50"
    book.save(path)
    book = open_book(path)
    book.sheets["Accounts"].impl.activate()
    macros.validate(book)
    assert book.sheets.active.name == "Accounts"  # not the record's sheet
    book.sheets["Accounts2"].impl.activate()
    macros.validate(book)
    book.sheets["Accounts"].impl.activate()
    book.sheets["Accounts"].range("A2").value = "11.222.333/0001-81"
    macros.validate(book)
    book.save()
    wb = openpyxl.load_workbook(path)
    assert wb["Accounts"]["A2"].comment is None and wb["Accounts"]["A2"].fill.fgColor.rgb in (None, "00000000")
    assert "check digits" in wb["Accounts2"]["A2"].comment.text  # still marked: not validated since


def test_validate_writes_its_errors_column_right_of_the_users_own_cells(env):
    """Notes typed in columns without a header (right after the data, and a total below it) are the user's:
    the Errors column goes right of them, and clearing it never touches them."""
    db, tmp = env
    path = _workbook(tmp / "notes.xlsx", [
        _row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"),
        _row("45.997.418/0001-53", "Clínica Nova", "COMPANY", "agent.sp1", "SP"),
    ])
    book = openpyxl.load_workbook(path)
    sheet = book["Accounts"]
    sheet["P1"] = None  # no header: only the user's notes (P1 keeps its fill: the sheet uses P)
    sheet["O2"], sheet["O3"], sheet["O5"] = "call back Monday", "waiting for CNPJ", "total: 2"
    book.save(path)
    for _ in range(2):  # the second run clears the first one's marks
        book = open_book(path)
        macros.validate(book)
        book.save()
        ws = openpyxl.load_workbook(path)["Accounts"]
        assert [ws["O2"].value, ws["O3"].value, ws["O5"].value] == ["call back Monday", "waiting for CNPJ", "total: 2"]
        assert [ws["Q1"].value, ws["Q3"].value] == ["Errors", "OK"] and "check digits" in ws["Q2"].value


def test_validate_from_the_instructions_sheet_validates_the_data_sheet(env):
    """The button pressed while the Instructions or the Lists are showing said the workbook was no template."""
    import shutil

    db, tmp = env
    path = tmp / "template.xlsx"
    shutil.copy(Path(__file__).parents[2] / "workbook_templates" / "crmxl-accounts-template.xlsx", path)
    book = openpyxl.load_workbook(path)
    book["Accounts"].append(_row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"))
    book.save(path)
    book = openpyxl.load_workbook(path)
    book.create_sheet("CRM")  # the export buttons' control sheet
    book.save(path)
    for other in ("Instructions", "Lists", "CRM"):
        book = open_book(path)
        book.sheets[other].impl.activate()
        macros.validate(book)
        assert _alerts(book)[-1]["prompt"].startswith("Warning: 1 error in 1 of 1 row"), other
        assert book.sheets.active.name == "Accounts"


def test_marks_clear_only_what_is_still_ours(env):
    """The record is by address: after rows were sorted, the next run deleted the user's own note and fill
    that came to a marked address; a user's fill under our red came back empty; a renamed sheet kept its
    stale marks; an Errors message beginning with a quote lost it."""
    db, tmp = env
    path = _workbook(tmp / "mine.xlsx", [
        _row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"),
        _row("45.997.418/0001-53", "Clínica Nova", "COMPANY", "agent.sp1", "SP"),
        _row("123456/SP", "Dr. Ana", "MEDICL", "agent.sp1", "SP"),
    ])
    yellow = openpyxl.styles.PatternFill(fill_type="solid", fgColor="FFFFFF00")
    book = openpyxl.load_workbook(path)
    book["Accounts"]["C4"].fill = yellow  # the user's own highlight on a cell that will be marked
    book.save(path)
    book = open_book(path)
    macros.validate(book)
    book.save()
    ws = openpyxl.load_workbook(path)["Accounts"]
    assert ws["Q4"].value.startswith("'MEDICL' is not")  # the quote kept, not taken for Excel's text prefix
    book = openpyxl.load_workbook(path)  # the user swaps rows 2 and 3 (a sort): the good row lands on A2
    sheet = book["Accounts"]
    for column in range(1, 15):
        top, below = sheet.cell(2, column), sheet.cell(3, column)
        top.value, below.value = below.value, top.value
    sheet["A2"].fill = yellow
    sheet["A2"].comment = openpyxl.comments.Comment("VIP client", "Ana")
    sheet["A3"].fill = openpyxl.styles.PatternFill(fill_type="solid", fgColor="FFFF7C80")  # our red moved too
    sheet.title = "Accounts March"  # and renames the sheet
    sheet["C4"] = "MEDICAL"
    book.save(path)
    book = open_book(path)
    macros.validate(book)
    book.save()
    ws = openpyxl.load_workbook(path)["Accounts March"]
    assert ws["A2"].comment.text == "VIP client" and ws["A2"].fill.fgColor.rgb == "FFFFFF00"  # the user's, kept
    assert ws["C4"].fill.fgColor.rgb == "FFFFFF00" and ws["C4"].comment is None  # fixed: the user's fill back
    assert "check digits" in ws["A3"].comment.text  # marked again where the bad row now is


def test_a_sheet_without_rows_is_not_called_correct(env):
    db, tmp = env
    book = open_book(_workbook(tmp / "empty.xlsx", []))
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"] == "The sheet has no rows: there is nothing to import."
    assert macros.import_sheet(book) is None
    assert _alerts(book)[-1]["prompt"] == "The sheet has no rows: there is nothing to import."


def test_a_users_own_note_on_a_bad_cell_is_kept_and_given_back(env):
    """A note the user had on a cell that turns out bad stays under our message, and is all that is left
    once the cell is fixed."""
    db, tmp = env
    path = _workbook(tmp / "notes.xlsx", [_row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP")])
    book = openpyxl.load_workbook(path)
    book["Accounts"]["A2"].comment = openpyxl.comments.Comment("ask the client for the right CNPJ", "Ana")
    book.save(path)
    for _ in range(2):  # validated twice: the user's note is not taken for ours, nor repeated
        book = open_book(path)
        macros.validate(book)
        book.save()
        note = openpyxl.load_workbook(path)["Accounts"]["A2"].comment.text
        assert "check digits should be 81" in note and note.endswith("\n———\nask the client for the right CNPJ")
        assert note.count("ask the client") == 1
    book = open_book(path)
    book.sheets["Accounts"].range("A2").value = "11.222.333/0001-81"
    macros.validate(book)
    book.save()
    assert openpyxl.load_workbook(path)["Accounts"]["A2"].comment.text == "ask the client for the right CNPJ"


def test_import_asks_commits_and_undo_restores(env):
    db, tmp = env
    before, restored_before = table_dump(db.url), restored(db.url)
    path = _workbook(tmp / "new.xlsx", [
        _row("45.997.418/0001-53", "Hospital Novo", "COMPANY", "agent.sp2", "SP",
             contact_name="Maria Lima", contact_type="OTHERS"),
        _row("777777/SP", "Dra. Nova", "MEDICAL", "Without Portfolio", "SP"),
    ])
    book = open_book(path)
    book.app.impl.answers = ["no"]
    assert macros.import_sheet(book) is None
    assert "Import now?" in _alerts(book)[-1]["prompt"]
    assert table_dump(db.url) == before  # said no: nothing written

    book.app.impl.answers = ["yes"]
    batch_id = macros.import_sheet(book)
    assert batch_id and f"batch {batch_id}" in _alerts(book)[-1]["prompt"]
    with db.session() as s:
        account = s.scalar(select(Account).where(Account.number == "45997418000153"))
        assert s.get(User, account.owner_id).login == "agent.sp2"
        assert [c.name for c in account.contacts] == ["Maria Lima"]

    book.app.impl.answers = ["yes"]
    assert macros.import_sheet(book) is None
    assert "nothing to import" in _alerts(book)[-1]["prompt"]

    # a later batch of another kind (a transfer from the command line) is not this workbook's import
    admin = actor_for_login(db, "admin")
    transfer = commit_transfer(db, admin, plan_transfer(db, admin, "agent.sp1", "agent.pr1", types=["INSURANCE"]))
    other_folder = tmp / "other"  # another workbook of the same name (every model workbook is accounts.xlsm)
    other_folder.mkdir()
    twin = open_book(_workbook(other_folder / "new.xlsx", []))
    assert macros.undo_last_import(twin) is None and "no import of new.xlsx" in _alerts(twin)[-1]["prompt"]
    book.app.impl.answers = ["yes"]
    assert macros.undo_last_import(book)
    prompt = _alerts(book)[-2]["prompt"]
    assert prompt.startswith(f"Undo batch {batch_id}, the import of new.xlsx at ") and "(2 rows)" in prompt
    assert f"CRM: undoing batch {batch_id}..." in book.app.impl.status_bar_history
    history.undo(db, admin, transfer)
    assert restored(db.url) == restored_before
    assert macros.undo_last_import(book) is None and "no import of new.xlsx" in _alerts(book)[-1]["prompt"]


def test_errors_become_an_alert_not_a_traceback(env, monkeypatch):
    db, tmp = env
    path = tmp / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["what", "ever"])
    wb.save(path)
    book = open_book(path)
    assert macros.validate(book) is None
    alert = _alerts(book)[-1]
    assert alert["mode"] == "critical" and "Traceback" not in alert["prompt"]
    monkeypatch.setenv("CRMXL_LOGIN", "nobody")
    macros.undo_last_import(book)
    assert "nobody" in _alerts(book)[-1]["prompt"]


def test_the_workbooks_xlwings_conf_sheet_overrides_the_config(env, tmp_path):
    db, tmp = env
    path = _workbook(tmp / "conf.xlsx", [_row("999999/SP", "Dr. X", "MEDICAL", "agent.sp1", "SP")])
    wb = openpyxl.load_workbook(path)
    conf = wb.create_sheet("xlwings.conf")
    conf.append(["CRMXL_LOGIN", "agent.ba1"])
    conf.append(["CRMXL_LANG", "pt-BR"])
    wb.save(path)
    book = open_book(path)
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"].startswith("Atenção: 1 erro ")  # agent.ba1 may not use agent.sp1


def test_export_refresh_lists_and_new_template(env):
    db, tmp = env
    path = tmp / "model.xlsx"
    from crmxl.schema import ACCOUNTS as TPL
    from crmxl.workbook.templates import build_template

    build_template(TPL, path)
    book = open_book(path)
    first = macros.export_accounts(book)  # the control sheet is created, pre-set to the first allowed portfolio
    assert first == "Accounts agent.pr1"
    control = book.sheets["CRM"]
    control.range("B2").value = None
    assert macros.export_accounts(book) is None
    assert "B2" in _alerts(book)[-1]["prompt"]
    control.range("B2").value = "agent.sp1"
    control.range("B3").value = "MEDICAL"
    with db.session() as s:  # text that Excel would take for a formula, or for a number
        owner = s.scalar(select(User.id).where(User.login == "agent.sp1"))
        odd = s.scalars(select(Account).where(Account.owner_id == owner, Account.type == "MEDICAL")).first()
        odd.name, odd.city = '=HYPERLINK("http://x","y")', "0123"
        s.commit()
    name = macros.export_accounts(book)
    with db.session() as s:
        medical = s.scalars(select(Account).where(Account.owner_id == owner, Account.type == "MEDICAL")).all()
    rows = book.sheets[name].used_range.value
    assert rows[0][0] == "Account Number*" and len(rows) == len(medical) + 1
    assert {r[0] for r in rows[1:]} == {a.number for a in medical}
    position = next(i for i, r in enumerate(rows) if r[0] == odd.number) + 1
    book.save()
    saved = openpyxl.load_workbook(path)[name]
    assert (saved.cell(position, 2).data_type, saved.cell(position, 2).value) == ("s", odd.name)  # text, no formula
    assert saved.cell(position, 10).value == "0123"
    assert f"{len(medical)} rows exported" in _alerts(book)[-1]["prompt"]

    contacts = macros.export_contacts(book)  # contacts exported into this accounts workbook validate as contacts
    book.sheets[contacts].impl.activate()
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"].startswith("The data is correct"), _alerts(book)[-1]["prompt"]
    book.sheets["Accounts"].impl.activate()

    assert macros.refresh_lists(book) == 55
    lists = book.sheets["Lists"].used_range.value
    portfolios = [r[3] for r in lists[1:] if r[3]]
    assert portfolios == ["agent.pr1", "agent.rs1", "agent.sp1", "agent.sp2", "mgr.south", "Without Portfolio"]

    book.save()
    macros.validate(book)  # the exported sheet is not active: the template's own sheet is validated
    created = macros.new_template(book)
    assert Path(created).exists() and "crmxl-accounts-template" in created
    filled = openpyxl.load_workbook(created)
    filled["Accounts"]["A2"] = "257837/SP"
    filled.save(created)
    again = macros.new_template(book)  # a second one never replaces the first, filled since
    assert again != created and Path(again).name.endswith("(2).xlsx")
    assert openpyxl.load_workbook(created)["Accounts"]["A2"].value == "257837/SP"


def test_a_portuguese_workbook_answers_in_portuguese(env, monkeypatch):
    from crmxl.workbook.templates import build_template

    db, tmp = env
    monkeypatch.delenv("CRMXL_LANG", raising=False)
    path = tmp / "contas.xlsx"
    build_template(ACCOUNTS, path, "pt-BR")
    book = openpyxl.load_workbook(path)
    book["Contas"].append(_row("11.222.333/0001-80", "Clínica Errada", "COMPANY", "agent.sp1", "SP"))
    book.save(path)
    book = open_book(path)
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"].startswith("Atenção")


def test_counts_in_the_excel_messages_agree_with_their_nouns(env, monkeypatch):
    db, tmp = env
    monkeypatch.setenv("CRMXL_LANG", "pt-BR")
    path = _workbook(tmp / "one.xlsx", [_row("45.997.418/0001-53", "Hospital Novo", "COMPANY", "agent.sp2", "SP",
                                             contact_name="Maria Lima", contact_type="OTHERS")])
    book = open_book(path)
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"] == "Os dados estão corretos: 1 linha."
    book.app.impl.answers = ["no"]
    assert macros.import_sheet(book) is None
    prompt = _alerts(book)[-1]["prompt"]
    assert "Contas: 1 nova, 0 atualizadas, 0 sem mudança" in prompt and "Contatos: 1 novo, 0 atualizados" in prompt
    bad = open_book(_workbook(tmp / "bad.xlsx", [_row("999999/SP", "Dr. X", "MEDICAL", "nobody", "SP")]))
    macros.validate(bad)
    assert _alerts(bad)[-1]["prompt"].startswith("Atenção: 1 erro em 1 de 1 linha.")
    monkeypatch.setenv("CRMXL_LANG", "en")
    macros.validate(bad)
    assert _alerts(bad)[-1]["prompt"].startswith("Warning: 1 error in 1 of 1 row.")
    macros.validate(book)
    assert _alerts(book)[-1]["prompt"] == "The data is correct: 1 row."
