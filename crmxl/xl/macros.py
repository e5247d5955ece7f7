"""The ribbon's buttons: each takes an ``xlwings.Book`` (Excel passes none: ``xw.Book.caller()``).

Thin: every macro is sheet I/O (``crmxl.xl.live``) around a service call, and talks to the user
through ``book.app.alert`` and the status bar. Errors become an alert, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlwings as xw

from crmxl import i18n
from crmxl.domain.text import sorted_names
from crmxl.config import Settings
from crmxl.db.session import Database
from crmxl.errors import CrmxlError
from crmxl.services import history
from crmxl.services.access import Actor, resolve_actor, stored_login
from crmxl.services.imports import ImportPlan, commit_import, plan_result
from crmxl.services.setup import ensure_ready
from crmxl.validation import validate_cells
from crmxl.xl import live, sheet_layout

TITLE = "CRM"


@dataclass
class Context:
    book: Any
    settings: Settings
    db: Database
    actor: Actor

    @property
    def lang(self) -> str:
        return self.settings.lang

    def say(self, code: str, **params: object) -> str:
        return i18n.message(code, self.lang, **params)

    def alert(self, code: str, buttons: str = "ok", mode: str | None = None, **params: object) -> str:
        return self.book.app.alert(self.say(code, **params), title=TITLE, buttons=buttons, mode=mode)

    def status(self, code: str | None, **params: object) -> None:
        self.book.app.status_bar = self.say(code, **params) if code else False


def _context(book) -> Context:
    settings = live.book_settings(book)
    db = Database(settings.database_url)
    ensure_ready(db)
    with db.session() as session:
        actor = resolve_actor(session, settings.login)
    return Context(book, settings, db, actor)


def macro(func: Callable[[Context], Any]) -> Callable[..., Any]:
    """Resolve the book (the caller in Excel), build the context, and turn every error into an alert."""

    @functools.wraps(func)
    def run(book=None) -> Any:
        book = book if book is not None else xw.Book.caller()
        lang = None
        try:
            ctx = _context(book)
            lang = ctx.lang
            return func(ctx)
        except CrmxlError as exc:
            book.app.alert(exc.render(lang), title=TITLE, buttons="ok", mode="critical")
        except Exception as exc:  # the user sees a message, never a traceback
            book.app.alert(i18n.message("xl_unexpected", lang, detail=f"{type(exc).__name__}: {exc}"),
                           title=TITLE, buttons="ok", mode="critical")
        finally:
            book.app.status_bar = False
        return None

    return run


def _validate(ctx: Context, allow_transfers: bool) -> ImportPlan:
    sheet = live.data_sheet(ctx.book)
    ctx.status("xl_status_reading", sheet=sheet.name)
    table = live.read_table(ctx.book, sheet)
    ctx.status("xl_status_validating", rows=len(table.rows))
    result = validate_cells(table, lang=ctx.lang)
    plan = plan_result(ctx.db, ctx.actor, result, lang=ctx.lang, allow_transfers=allow_transfers)
    ctx.status("xl_status_marking")
    live.write_marks(ctx.book, sheet, table, result, ctx.lang)
    return plan


def _warning(ctx: Context, plan: ImportPlan) -> None:
    ctx.alert("xl_warning", mode="critical", errors=len(plan.result.errors), rows=len(plan.error_rows),
              total=plan.rows)


@macro
def validate(ctx: Context) -> ImportPlan:
    """Validate the active sheet in place: red cells with notes, the Errors column, a pop-up."""
    plan = _validate(ctx, allow_transfers=True)
    if plan.result.errors:
        _warning(ctx, plan)
    elif not plan.rows:
        ctx.alert("import_no_rows", mode="critical")
    else:
        ctx.alert("xl_data_correct", mode="info", rows=plan.rows)
    return plan


@macro
def import_sheet(ctx: Context) -> int | None:
    """Validate; if valid, show the plan and ask; then commit and report the batch."""
    plan = _validate(ctx, allow_transfers=True)
    if plan.result.errors:
        _warning(ctx, plan)
        return None
    if not plan.rows:
        ctx.alert("import_no_rows", mode="critical")
        return None
    counts = plan.counts()
    if not any(v for k, v in counts.items() if not k.endswith("unchanged")):
        ctx.alert("xl_nothing_to_do", mode="info", rows=plan.rows)
        return None
    answer = ctx.alert("xl_confirm_import", buttons="yes_no", **counts)
    if answer != "yes":
        return None
    ctx.status("xl_status_committing", rows=plan.rows)
    plan.file_name = ctx.book.fullname  # the workbook's path: every model workbook is called accounts.xlsm
    batch_id = commit_import(ctx.db, ctx.actor, plan)
    ctx.alert("xl_imported", mode="info", batch_id=batch_id)
    return batch_id


@macro
def undo_last_import(ctx: Context) -> int | None:
    """Undo the user's newest import of this workbook that is still committed, after asking."""
    batch = history.last_import(ctx.db, ctx.actor, ctx.book.fullname)  # this workbook's, not one of its name
    if batch is None:
        ctx.alert("xl_nothing_to_undo", mode="info", file=ctx.book.name)
        return None
    batch_id = batch.id
    if ctx.alert("xl_confirm_undo", buttons="yes_no", batch_id=batch_id, file=Path(batch.file_name or "").name,
                 when=batch.created_at[:16], rows=batch.counts.get("committed_rows", "?")) != "yes":
        return None
    ctx.status("xl_status_undoing", batch_id=batch_id)
    new_id = history.undo(ctx.db, ctx.actor, batch_id)
    ctx.alert("xl_undone", mode="info", batch_id=batch_id, undo_id=new_id)
    return new_id


i18n.register({
    "xl_unexpected": {"en": "Something went wrong: {detail}. Nothing was committed.",
                      "pt-BR": "Algo deu errado: {detail}. Nada foi gravado."},
    "xl_status_reading": {"en": "CRM: reading {sheet}...", "pt-BR": "CRM: lendo {sheet}..."},
    "xl_status_validating": {"en": "CRM: validating {rows:plural:row:rows}...",
                             "pt-BR": "CRM: validando {rows:plural:linha:linhas}..."},
    "xl_status_marking": {"en": "CRM: marking the cells...", "pt-BR": "CRM: marcando as células..."},
    "xl_status_undoing": {"en": "CRM: undoing batch {batch_id}...", "pt-BR": "CRM: desfazendo o lote {batch_id}..."},
    "xl_status_committing": {"en": "CRM: importing {rows:plural:row:rows}...",
                             "pt-BR": "CRM: importando {rows:plural:linha:linhas}..."},
    "xl_data_correct": {"en": "The data is correct: {rows:plural:row:rows}.",
                        "pt-BR": "Os dados estão corretos: {rows:plural:linha:linhas}."},
    "xl_warning": {
        "en": "Warning: {errors:plural:error:errors} in {rows} of {total:plural:row:rows}. The red cells say what is wrong; see the Errors column.",
        "pt-BR": "Atenção: {errors:plural:erro:erros} em {rows} de {total:plural:linha:linhas}. As células vermelhas dizem o que está errado; veja a coluna Erros.",
    },
    "xl_nothing_to_do": {"en": "The data is correct and already in the CRM ({rows:plural:row:rows}): nothing to import.",
                         "pt-BR": "Os dados estão corretos e já estão no CRM ({rows:plural:linha:linhas}): nada a importar."},
    "xl_confirm_import": {
        "en": "The data is correct. Import now?\n\nAccounts: {accounts_create} new, {accounts_update} updated, "
              "{accounts_unchanged} unchanged\nPortfolio moves: {portfolio_moves}\n"
              "Contacts: {contacts_create} new, {contacts_update} updated",
        "pt-BR": "Os dados estão corretos. Importar agora?\n\nContas: {accounts_create:plural:nova:novas}, "
                 "{accounts_update:plural:atualizada:atualizadas}, {accounts_unchanged} sem mudança\nTransferências de carteira: {portfolio_moves}\n"
                 "Contatos: {contacts_create:plural:novo:novos}, {contacts_update:plural:atualizado:atualizados}",
    },
    "xl_imported": {"en": "Imported: batch {batch_id}. Undo it with 'Undo last import'.",
                    "pt-BR": "Importado: lote {batch_id}. Desfaça com 'Desfazer última importação'."},
    "xl_nothing_to_undo": {"en": "You have no import of {file} to undo.",
                           "pt-BR": "Você não tem importação de {file} para desfazer."},
    "xl_confirm_undo": {
        "en": "Undo batch {batch_id}, the import of {file} at {when} UTC ({rows:plural:row:rows})? Every row it touched goes "
              "back to how it was.",
        "pt-BR": "Desfazer o lote {batch_id}, a importação de {file} em {when} UTC ({rows:plural:linha:linhas})? Cada linha "
                 "alterada volta a ser como era.",
    },
    "xl_undone": {"en": "Batch {batch_id} undone (recorded as batch {undo_id}).",
                  "pt-BR": "Lote {batch_id} desfeito (registrado como lote {undo_id})."},
})


CONTROL_SHEET = live.CONTROL_SHEET
CONTROL_ROWS = (("profile", "Profile / Perfil"), ("portfolio", "Portfolio / Carteira"),
                ("type", "Account type / Tipo de conta"))


def _control(ctx: Context, entity: str) -> dict[str, str | None]:
    """The choices on the ``CRM`` control sheet (created with dropdown values the first time)."""
    names = [s.name for s in ctx.book.sheets]
    if CONTROL_SHEET not in names:
        sheet = ctx.book.sheets.add(CONTROL_SHEET, before=ctx.book.sheets[0])
        sheet.range("A1").value = [[label, None] for _, label in CONTROL_ROWS]
        sheet.range("B2").value = sorted_names(ctx.actor.portfolios)[0] if ctx.actor.portfolios else None
        sheet.range("D1").value = ctx.say("xl_control_help")
    sheet = ctx.book.sheets[CONTROL_SHEET]
    values = sheet.range("B1:B3").options(ndim=2).value
    chosen = {key: (str(row[0]).strip() if row and row[0] not in (None, "") else None)
              for (key, _), row in zip(CONTROL_ROWS, values, strict=True)}
    return chosen


def _export(ctx: Context, entity: str) -> str | None:
    """Export what the control sheet chooses: a profile (B1), a portfolio (B2) and a type (B3); an empty
    portfolio or type cell leaves the profile's own."""
    import tempfile

    from python_calamine import CalamineWorkbook

    from crmxl.domain.enums import is_without_portfolio
    from crmxl.errors import UnusableInput
    from crmxl.services.exporting import export

    choice = _control(ctx, entity)
    portfolio, profile = choice["portfolio"], choice["profile"]
    if not portfolio and not profile:
        ctx.alert("xl_choose_portfolio", mode="critical", sheet=CONTROL_SHEET)
        return None
    without = is_without_portfolio(portfolio)
    ctx.status("xl_status_exporting", entity=entity)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{entity}.xlsx"
        try:
            result = export(ctx.db, ctx.actor, entity, path, portfolios=[portfolio] if portfolio and not without else (),
                            without_portfolio=without, types=[choice["type"]] if choice["type"] else (),
                            profile=profile, lang=ctx.lang)
        except UnusableInput as exc:
            if exc.code != "export_needs_portfolio":
                raise
            ctx.alert("xl_choose_portfolio", mode="critical", sheet=CONTROL_SHEET)  # the profile has none
            return None
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
            _sheet_name(entity, ctx.lang)).to_python(skip_empty_area=False)
    if portfolio and not without:  # the login as stored, not as typed in B2 (the export took it in any case)
        with ctx.db.session() as session:
            portfolio = stored_login(session, portfolio) or portfolio
    name = _free_name(ctx.book, f"{_sheet_name(entity, ctx.lang)} {portfolio or profile}"[:31])
    sheet = ctx.book.sheets.add(name, after=ctx.book.sheets[-1])
    sheet_layout.prepare(sheet, entity, result.columns)  # the formats first: Excel keeps a text as text
    sheet.range("A1").value = sheet_layout.cell_values(grid, entity, result.columns, live.as_typed)
    live.style_header(sheet, entity, result.columns, ctx.lang)
    sheet_layout.annotate(sheet, entity, result.columns, ctx.lang)
    ctx.alert("xl_exported", mode="info", rows=result.rows, sheet=name)
    return name


def _sheet_name(entity: str, lang: str) -> str:
    from crmxl.schema import TEMPLATES

    return TEMPLATES[entity].sheet(lang)


def _free_name(book, wanted: str) -> str:
    names = {s.name for s in book.sheets}
    name, n = wanted, 2
    while name in names:
        name = f"{wanted[:28]} {n}"
        n += 1
    return name


@macro
def export_accounts(ctx: Context) -> str | None:
    """Export the accounts chosen on the CRM control sheet into a new sheet in the template layout."""
    return _export(ctx, "accounts")


@macro
def export_contacts(ctx: Context) -> str | None:
    """Export the contacts chosen on the CRM control sheet into a new sheet in the template layout."""
    return _export(ctx, "contacts")


@macro
def refresh_lists(ctx: Context) -> int:
    """Reload the logins the user may use and the qualifications registry into the Lists sheet."""
    from crmxl.services.templates import current_lists

    lists = current_lists(ctx.db, ctx.actor)
    count = live.write_lists(ctx.book, lists, ctx.lang)
    ctx.alert("xl_lists_refreshed", mode="info", logins=len(lists.logins), count=count)
    return count


@macro
def new_template(ctx: Context) -> str:
    """Write an empty model workbook of the current version next to this one (under a name of its own) and
    open it: for this workbook's template and language, the one ``crmxl addin build`` makes (an ``.xlsm`` with
    its own CRM tab) when this one is macro-enabled, else the one ``crmxl templates build`` makes (the tab of a
    plain ``.xlsx`` is crmxl.xlam's: a tab of its own would show twice)."""
    from crmxl.errors import UnusableInput
    from crmxl.services.templates import current_lists
    from crmxl.workbook.templates import build_template, template_filename
    from crmxl.xl.addin_build import write_macro_enabled_model

    tpl, lang = live.book_template(ctx.book, ctx.lang)
    folder = Path(ctx.book.fullname).parent if Path(ctx.book.fullname).parent.exists() else Path.cwd()
    name = Path(template_filename(tpl, lang))
    lists = current_lists(ctx.db, ctx.actor)
    path = None
    if Path(ctx.book.fullname).suffix.lower() == ".xlsm":
        try:
            path = write_macro_enabled_model(tpl, _unused(folder / name.with_suffix(".xlsm")), lang, lists)
        except UnusableInput as exc:
            if exc.code != "addin_sources_missing":
                raise
    if path is None:  # without the add-in's sources the CRM tab can only come from crmxl.xlam
        path = build_template(tpl, _unused(folder / name), lang, lists)
    ctx.book.app.books.open(str(path))
    ctx.alert("xl_new_template", mode="info", path=str(path))
    return str(path)


def _unused(path: Path) -> Path:
    """``path``, or ``name (2).xlsx``, ``name (3).xlsx``... if it exists: a filled workbook is never replaced."""
    number = 1
    found = path
    while found.exists():
        number += 1
        found = path.with_name(f"{path.stem} ({number}){path.suffix}")
    return found


i18n.register({
    "xl_control_help": {
        "en": "Export: choose a profile (optional), a portfolio (a login or Without Portfolio) and an account type "
              "(optional) in column B, then click Export accounts / Export contacts on the CRM tab. With a profile, "
              "an empty portfolio or type exports the profile's own.",
        "pt-BR": "Exportar: escolha um perfil (opcional), uma carteira (um login ou Sem Carteira) e um tipo de conta "
                 "(opcional) na coluna B, depois clique Exportar contas / Exportar contatos na guia CRM. Com um "
                 "perfil, carteira ou tipo vazio exporta os do perfil."},
    "xl_choose_portfolio": {"en": "Choose a portfolio in cell B2 of the {sheet} sheet first, or in B1 a profile "
                                  "that has its own.",
                            "pt-BR": "Escolha antes uma carteira na célula B2 da planilha {sheet}, ou em B1 um "
                                     "perfil que tenha as suas."},
    "xl_status_exporting": {"en": "CRM: exporting {entity}...", "pt-BR": "CRM: exportando {entity}..."},
    "xl_exported": {"en": "{rows:plural:row:rows} exported to the sheet '{sheet}'.",
                    "pt-BR": "{rows:plural:linha exportada:linhas exportadas} para a planilha '{sheet}'."},
    "xl_lists_refreshed": {"en": "Lists refreshed: {logins:plural:login:logins}, {count:plural:qualification:qualifications}.",
                           "pt-BR": "Listas atualizadas: {logins:plural:login:logins}, {count:plural:qualificação:qualificações}."},
    "xl_new_template": {"en": "New model workbook: {path}", "pt-BR": "Nova planilha modelo: {path}"},
})
