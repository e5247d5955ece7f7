"""The writer of the model-workbook layout, for templates and exports alike (xlsxwriter, streamed).

Everything comes from ``crmxl.schema``: headers (mandatory ones red, with white bold text),
a note on every header with help and an example, widths, text formats for identifiers,
dropdowns fed by the ``Lists`` sheet, the ``Instructions`` sheet, and the template stamp
(the very hidden ``_crmxl`` sheet plus a custom document property).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from crmxl.domain.enums import UFS, AccountType, ContactType, without_portfolio_label
from crmxl.schema import (
    DATE_FORMAT,
    INSTRUCTIONS_SHEET,
    KEY_WIDTH,
    LISTS_SHEET,
    STAMP_SHEET,
    TEXT_FORMAT,
    Column,
    Kind,
    Template,
    column_letter,
    key_headers,
)
from crmxl.services.progress import Progress, no_progress
from crmxl.workbook.instructions import instruction_lines
from crmxl.workbook.sheet_rows import splice, write_rows

NOTE_AUTHOR = "crmxl template"  # not "crmxl": a report clears only its own notes
MANDATORY_FILL = "#C00000"
OPTIONAL_FILL = "#D9E1F2"
PREFILL_ROWS = 200  # rows pre-filled with the Portfolio default of a distributed workbook
LAST_ROW = 1_048_575  # 0-based: validations and formats cover the whole column
FIXED_DATE = dt.datetime(2026, 1, 1)  # no "now" in the file: the same schema builds the same bytes
LIST_COLUMNS = ("account_types", "contact_types", "ufs", "portfolios", "qualifications")


@dataclass(frozen=True)
class Lists:
    """The values of the ``Lists`` sheet that feed the dropdowns."""

    logins: Sequence[str] = field(default_factory=tuple)
    qualifications: Sequence[str] = field(default_factory=tuple)
    without_portfolio: bool = True  # 'Without Portfolio' offered too


def list_headers(lang: str) -> list[str]:
    if lang == "pt-BR":
        return ["Tipos de conta", "Tipos de contato", "UF", "Carteiras", "Qualificações"]
    return ["Account types", "Contact types", "UF", "Portfolios", "Qualifications"]


def list_values(lists: Lists, lang: str) -> list[list[str]]:
    return [
        [t.value for t in AccountType],
        [t.value for t in ContactType],
        list(UFS),
        [*lists.logins, *([without_portfolio_label(lang)] if lists.without_portfolio else [])],
        list(lists.qualifications),
    ]


def _quote(sheet: str) -> str:
    return f"'{sheet}'" if not sheet.isalnum() else sheet


def write_model_workbook(target: Path, tpl: Template, *, lang: str = "en", lists: Lists | None = None,
                         columns: Sequence[str] | None = None, rows: Iterable[Sequence[Any]] = (),
                         with_keys: bool = False, portfolio_default: str | None = None,
                         progress: Progress = no_progress) -> int:
    """Write a model workbook (empty, or with ``rows``) to ``target``; returns the number of data rows."""
    lists = lists or Lists()
    cols = [tpl.column(f) for f in (columns or tpl.fields)]
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if rows == ():
        return _write(target, tpl, lang, lists, cols, (), with_keys, portfolio_default, progress)[0]
    # Data rows: xlsxwriter writes the rest, the rows are rendered apart and spliced into the data sheet.
    head = target.with_name(f".{target.stem}-head{target.suffix}")
    try:
        _count, date_format = _write(head, tpl, lang, lists, cols, None, with_keys, portfolio_default, progress)
        width = len(cols) + len(_keys(tpl, cols, with_keys))
        prefill = _prefill_rows(cols, portfolio_default)
        writer, count = write_rows(rows, width, 2, date_format.xf_index, progress, extra=prefill)
        try:
            splice(head, target, writer, width)
        finally:
            writer.close()
    finally:
        head.unlink(missing_ok=True)
    return count


def _prefill_rows(cols: list[Column], portfolio_default: str | None) -> list[list[str | None]]:
    fields = [c.field for c in cols]
    if not portfolio_default or "portfolio" not in fields:
        return []
    column = fields.index("portfolio")
    return [[None] * column + [portfolio_default]] * PREFILL_ROWS


def _write(target: Path, tpl: Template, lang: str, lists: Lists, cols: list[Column],
           rows: Iterable[Sequence[Any]] | None, with_keys: bool, portfolio_default: str | None,
           progress: Progress) -> tuple[int, Any]:
    """xlsxwriter's part: the whole workbook, with ``rows`` in the data sheet (None: header only).
    Returns the rows written and the date format (its index is known once the book is closed)."""
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": f"crmxl {tpl.id} template", "author": "crmxl", "created": FIXED_DATE})
    book.set_custom_property("crmxl_template", f"{tpl.id} {tpl.version}")
    formats = _formats(book)
    data = book.add_worksheet(tpl.sheet(lang))
    instructions = book.add_worksheet(INSTRUCTIONS_SHEET[lang])
    lists_sheet = book.add_worksheet(LISTS_SHEET[lang])
    stamp = book.add_worksheet(STAMP_SHEET)

    _write_lists(book, lists_sheet, lists, lang, formats)
    _write_instructions(instructions, tpl, lang, portfolio_default, formats, [c.field for c in cols])
    _write_stamp(stamp, tpl, lang, portfolio_default)
    keys = _keys(tpl, cols, with_keys)
    _layout_columns(data, cols, keys, formats)
    _header(data, cols, lang, keys, formats)
    _validations(data, cols, LISTS_SHEET[lang], lang, portfolio_default)
    data.freeze_panes(1, 0)
    data.activate()
    count = 0 if rows is None else _data_rows(data, cols, rows, len(keys), portfolio_default, formats, progress)
    book.close()
    return count, formats["date"]


def _formats(book) -> dict[str, Any]:
    return {
        "mandatory": book.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": MANDATORY_FILL,
                                      "border": 1, "text_wrap": True, "valign": "vcenter"}),
        "optional": book.add_format({"bold": True, "bg_color": OPTIONAL_FILL, "border": 1, "text_wrap": True,
                                     "valign": "vcenter"}),
        "text": book.add_format({"num_format": TEXT_FORMAT}),
        "date": book.add_format({"num_format": DATE_FORMAT}),
        "heading": book.add_format({"bold": True, "font_size": 12}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
    }


def _keys(tpl: Template, cols: list[Column], with_keys: bool) -> tuple[str, ...]:
    """The hidden key columns' headers (none without ``with_keys``)."""
    return key_headers(tpl.id, [c.field for c in cols]) if with_keys else ()


def _layout_columns(sheet, cols: list[Column], keys: Sequence[str], formats) -> None:
    for index, col in enumerate(cols):
        fmt = {TEXT_FORMAT: formats["text"], DATE_FORMAT: formats["date"]}.get(col.number_format)
        sheet.set_column(index, index, col.width, fmt)
    if keys:
        sheet.set_column(len(cols), len(cols) + len(keys) - 1, KEY_WIDTH, None, {"hidden": True})


def _header(sheet, cols: list[Column], lang: str, keys: Sequence[str], formats) -> None:
    sheet.set_row(0, 32)
    for index, col in enumerate(cols):
        sheet.write_string(0, index, col.header(lang), formats["mandatory" if col.mandatory else "optional"])
        sheet.write_comment(0, index, col.note(lang),
                            {"author": NOTE_AUTHOR, "x_scale": 2.2, "y_scale": 1.4})
    for offset, key in enumerate(keys):
        sheet.write_string(0, len(cols) + offset, key)


def _input_message(col: Column, lang: str, portfolio_default: str | None) -> str:
    text = col.help(lang)
    if col.kind == Kind.PORTFOLIO and portfolio_default:
        text += (f" Padrão desta planilha: {portfolio_default}." if lang == "pt-BR"
                 else f" Default in this workbook: {portfolio_default}.")
    return text[:255]


def _validations(sheet, cols: list[Column], lists_name: str, lang: str, portfolio_default: str | None) -> None:
    pt = lang == "pt-BR"
    for index, col in enumerate(cols):
        source = {Kind.ACCOUNT_TYPE: "=crmxl_account_types", Kind.CONTACT_TYPE: "=crmxl_contact_types",
                  Kind.UF: "=crmxl_ufs", Kind.PORTFOLIO: "=crmxl_portfolios"}.get(col.kind)
        title = col.header(lang)[:32]
        if source:
            strict = col.kind != Kind.PORTFOLIO  # a login the Lists sheet does not know yet is checked on import
            sheet.data_validation(1, index, LAST_ROW, index, {
                "validate": "list", "source": source, "input_title": title,
                "input_message": _input_message(col, lang, portfolio_default),
                "error_type": "stop" if strict else "warning",
                "error_title": title,
                "error_message": ("Escolha um valor da lista." if pt else "Choose a value from the list."),
            })
        elif col.kind == Kind.QUALIFICATIONS:
            sheet.data_validation(1, index, LAST_ROW, index, {
                "validate": "any", "input_title": title,
                "input_message": ((f"Veja a lista na planilha {lists_name}; separe várias com ';'." if pt
                                   else f"See the list on the {lists_name} sheet; separate several with ';'."))[:255],
            })


def _write_lists(book, sheet, lists: Lists, lang: str, formats) -> None:
    name = _quote(LISTS_SHEET[lang])
    values = list_values(lists, lang)
    for index, (header, column) in enumerate(zip(list_headers(lang), values, strict=True)):
        sheet.set_column(index, index, 30 if index == 4 else 18)
        sheet.write_string(0, index, header, formats["optional"])
    for row in range(max(len(v) for v in values)):
        for index, column in enumerate(values):
            if row < len(column):
                sheet.write_string(row + 1, index, column[row])
    for index, list_name in enumerate(LIST_COLUMNS):
        letter = column_letter(index)
        if list_name in ("portfolios", "qualifications"):
            # dynamic: the Refresh lists button rewrites the column, the dropdown follows its length
            formula = f"=OFFSET({name}!${letter}$2,0,0,MAX(1,COUNTA({name}!${letter}:${letter})-1),1)"
        else:
            formula = f"={name}!${letter}$2:${letter}${len(values[index]) + 1}"
        book.define_name(f"crmxl_{list_name}", formula)


def _write_instructions(sheet, tpl: Template, lang: str, portfolio_default: str | None, formats,
                        fields: Sequence[str]) -> None:
    sheet.set_column(0, 0, 120, formats["wrap"])
    for row, (text, heading) in enumerate(instruction_lines(tpl, lang, portfolio_default, PREFILL_ROWS, fields)):
        if text:
            sheet.write_string(row, 0, text, formats["heading"] if heading else formats["wrap"])


def _write_stamp(sheet, tpl: Template, lang: str, portfolio_default: str | None) -> None:
    entries = [("template", tpl.id), ("version", tpl.version), ("lang", lang)]
    if portfolio_default:
        entries.append(("portfolio_default", portfolio_default))
    for row, (key, value) in enumerate(entries):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, value)
    sheet.very_hidden()


def _data_rows(sheet, cols: list[Column], rows: Iterable[Sequence[Any]], keys: int,
               portfolio_default: str | None, formats, progress: Progress) -> int:
    width = len(cols) + keys
    count = 0
    for count, values in enumerate(rows, start=1):
        for index in range(min(width, len(values))):
            _write_cell(sheet, count, index, values[index], formats)
        if count % 5000 == 0:
            progress("write", count, None)
    progress("write", count, count)
    if portfolio_default and "portfolio" in [c.field for c in cols]:
        column = [c.field for c in cols].index("portfolio")
        for row in range(count + 1, count + 1 + PREFILL_ROWS):
            sheet.write_string(row, column, portfolio_default)
    return count


def _write_cell(sheet, row: int, column: int, value: Any, formats) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, column, value)  # never a formula, whatever it starts with
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value))
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, column, value, formats["date"])
    else:
        sheet.write_string(row, column, str(value))
