"""The Export buttons, run on real files: what the exported sheet looks like, and that it imports back."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from crmxl.db.models import Account, User
from crmxl.errors import UnusableInput
from crmxl.schema import ACCOUNTS, HIDDEN_FIELDS
from crmxl.workbook.templates import build_template
from crmxl.workbook.xlwings_engine import open_book
from crmxl.xl import macros


def _model(tmp, name="model.xlsx", lang="en"):
    path = tmp / name
    build_template(ACCOUNTS, path, lang)
    return path


def _prompt(book) -> str:
    return book.app.impl.alerts[-1]["prompt"]


def test_an_export_hides_its_key_columns_and_imports_back(env):
    db, tmp = env
    path = _model(tmp)
    book = open_book(path)
    macros.export_accounts(book)  # creates the control sheet
    book.sheets["CRM"].range("B2").value = "agent.sp1"
    name = macros.export_accounts(book)
    assert name and "rows exported" in _prompt(book)
    book.save()

    sheet = openpyxl.load_workbook(path)[name]
    headers = [c.value for c in sheet[1]]
    keys = [i for i, h in enumerate(headers, start=1) if h in HIDDEN_FIELDS]
    assert len(keys) >= 2, headers
    for index in keys:
        assert sheet.column_dimensions[get_column_letter(index)].hidden, headers[index - 1]
    shown = [i for i, h in enumerate(headers, start=1) if h and h not in HIDDEN_FIELDS]
    assert shown and not any(sheet.column_dimensions[get_column_letter(i)].hidden for i in shown)

    # the round trip: edit a name, validate, import; the hidden keys still make the row an update
    book = open_book(path)
    exported = book.sheets[name]
    number = exported.range("A2").value
    exported.range("B2").value = "Renamed In Excel"
    exported.impl.activate()
    macros.validate(book)
    assert _prompt(book).startswith("The data is correct"), _prompt(book)
    book.app.impl.answers = ["yes"]
    assert macros.import_sheet(book)
    assert "1 updated" in book.app.impl.alerts[-2]["prompt"]
    with db.session() as s:
        account = s.scalar(select(Account).where(Account.number == number))
        assert account.name == "Renamed In Excel"
        assert s.get(User, account.owner_id).login == "agent.sp1"


def _shape(path) -> tuple[list[tuple[str, str]], set[str]]:
    """A workbook's sheets (name, state) and the package parts that make its CRM tab and macros."""
    import zipfile

    book = openpyxl.load_workbook(path, keep_vba=str(path).endswith(".xlsm"))
    parts = {n for n in zipfile.ZipFile(path).namelist() if n.startswith("customUI/") or n.endswith("vbaProject.bin")}
    return [(ws.title, ws.sheet_state) for ws in book.worksheets], parts


def _ribbon(path) -> str:
    import zipfile

    return zipfile.ZipFile(path).read("customUI/customUI14.xml").decode("utf-8")


@pytest.mark.parametrize("tpl_id, lang", [("accounts", "en"), ("contacts", "pt-BR")])
def test_a_new_template_is_the_built_model_workbook_with_its_crm_tab(env, tpl_id, lang):
    """New template, pressed in a model workbook of `crmxl addin build`, opens one like it: the same
    sheets, and the CRM tab (ribbon and macros) in the workbook's language."""
    from crmxl.schema import TEMPLATES
    from crmxl.xl.addin_build import build_addin

    db, tmp = env
    built = tmp / "built"
    template = build_template(TEMPLATES[tpl_id], tmp / f"{tpl_id}.xlsx", lang)
    name = tpl_id if lang == "en" else f"{tpl_id}_{lang}"
    (xlsm,) = [p for p in build_addin(built, {name: template}) if p.suffix == ".xlsm"]
    book = open_book(xlsm)
    created = macros.new_template(book)
    assert created, _prompt(book)
    assert _shape(created) == _shape(xlsm)
    assert 'label="CRM"' in _ribbon(created)
    assert _ribbon(created) == _ribbon(xlsm)  # Portuguese buttons in a Portuguese workbook
    again = macros.new_template(book)  # a second one never replaces the first
    assert again != created and _shape(again) == _shape(xlsm)


def test_a_new_template_follows_the_workbooks_language_not_the_messages(env, monkeypatch):
    """The config's language is the messages'; the model workbook made is the one the user works in."""
    db, tmp = env
    monkeypatch.setenv("CRMXL_LANG", "en")
    path = _model(tmp, "contas.xlsx", "pt-BR")
    book = open_book(path)
    created = macros.new_template(book)
    assert created and _prompt(book).startswith("New model workbook")
    built = build_template(ACCOUNTS, tmp / "built-pt.xlsx", "pt-BR")
    assert _shape(created) == _shape(built)  # a plain .xlsx, as `crmxl templates build` writes: its tab is the add-in's


def test_without_the_add_in_sources_a_new_template_is_the_plain_model_workbook(env, monkeypatch):
    """Where the ribbon's sources are not installed, the CRM tab comes from crmxl.xlam: the .xlsx is written."""
    from crmxl.xl.addin_build import build_addin

    db, tmp = env
    xlsm = build_addin(tmp / "built", {"accounts": _model(tmp)})[0]
    def missing():
        raise UnusableInput("addin_sources_missing", places=str(tmp / "nowhere"))

    monkeypatch.setattr("crmxl.xl.addin_build.addin_dir", missing)
    book = open_book(xlsm)
    created = macros.new_template(book)
    assert created and created.endswith(".xlsx")
    assert _shape(created)[0] == _shape(_model(tmp, "built.xlsx"))[0]


def _portfolios(book, name) -> set[str]:
    rows = book.sheets[name].used_range.value
    column = rows[0].index("Portfolio*")
    return {r[column] for r in rows[1:]}


def test_an_empty_portfolio_cell_exports_the_profiles_portfolios_and_a_filled_one_overrides(env):
    from crmxl.services.access import actor_for
    from crmxl.services.profiles import Filters, add_profile

    db, tmp = env
    with db.session() as s:
        manager = actor_for(s, "mgr.south")
    add_profile(db, manager, "SP2 medical", "accounts", filters=Filters(portfolios=("agent.sp2",), types=("MEDICAL",)))
    add_profile(db, manager, "Inactive", "accounts", filters=Filters(without_portfolio=True))
    book = open_book(_model(tmp))
    macros.export_accounts(book)  # creates the control sheet
    control = book.sheets["CRM"]
    control.range("B1").value = "SP2 medical"
    control.range("B2").value = None
    name = macros.export_accounts(book)
    assert name, _prompt(book)
    with db.session() as s:
        owner = s.scalar(select(User.id).where(User.login == "agent.sp2"))
        wanted = s.scalars(select(Account.number).where(Account.owner_id == owner, Account.type == "MEDICAL")).all()
    rows = book.sheets[name].used_range.value
    assert wanted and {r[0] for r in rows[1:]} == set(wanted)
    assert _portfolios(book, name) == {"agent.sp2"}

    control.range("B2").value = "agent.sp1"  # a filled cell overrides the profile's portfolios, not its types
    name = macros.export_accounts(book)
    assert _portfolios(book, name) == {"agent.sp1"}
    rows = book.sheets[name].used_range.value
    assert {r[rows[0].index("Account Type*")] for r in rows[1:]} == {"MEDICAL"}

    control.range("B1").value = "Inactive"
    control.range("B2").value = None
    name = macros.export_accounts(book)
    assert name and _portfolios(book, name) == {"Without Portfolio"}, _prompt(book)

    add_profile(db, manager, "Any", "accounts", filters=Filters(types=("COMPANY",)))
    for chosen in ("Any", None):  # a profile without portfolios, or no profile, and no portfolio: say which
        control.range("B1").value = chosen
        assert macros.export_accounts(book) is None and "B2" in _prompt(book), _prompt(book)


def test_the_control_sheet_orders_logins_as_the_lists_and_names_the_sheet_by_the_stored_login(env):
    from crmxl.services.users import add_user

    db, tmp = env
    add_user(db, None, "Alfa.SP", "Alfa", "agent", manager="mgr.south", password="s3nha-longa-123")
    book = open_book(_model(tmp))
    macros.export_accounts(book)  # creates the control sheet: the first login as the Lists order them
    first = book.sheets["CRM"].range("B2").value
    assert first.startswith("agent.") and first.casefold() < "alfa.sp", first
    book.sheets["CRM"].range("B2").value = "AGENT.SP1"  # typed in another case
    name = macros.export_accounts(book)
    assert name == "Accounts agent.sp1", (name, _prompt(book))
