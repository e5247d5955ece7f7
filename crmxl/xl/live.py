"""Sheet I/O over a live ``xlwings.Book``: one bulk read of the used range, few writes back.

Only xlwings' public object model is used (``sheets``, ``range(...).value``, ``.color``,
``.note``), so the same code runs in Excel (``RunPython`` -> ``xw.Book.caller()``) and on files
through our openpyxl-backed engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from crmxl.config import Settings, load_settings
from crmxl.errors import UnusableInput
from crmxl.schema import ERRORS_HEADER, LANGS, OK_TEXT, STAMP_SHEET, TEMPLATES, Template, header_key, header_score, ours
from crmxl.validation.model import CellMarks, Finding, Table, ValidationResult
from crmxl.workbook.csv_writer import ESCAPED_STARTS
from crmxl.workbook.reader import stamp_from_rows, table_from_grid

CONF_SHEET = "xlwings.conf"
CONTROL_SHEET = "CRM"  # the export buttons' choices (profile, portfolio, types)
MARKS_SHEET = "_crmxl_marks"  # hidden: the cells our last run marked on each sheet, so the next run clears only those
ERROR_COLOR = (255, 124, 128)
WARNING_COLOR = (255, 230, 153)
OUR_COLORS = (ERROR_COLOR, WARNING_COLOR)
USERS_NOTE_SEPARATOR = "\n———\n"  # between our message and the note the user had on the cell
ADDRESS_CHUNK = 200  # characters per union address (Excel takes up to 255)
_CONF_KEYS = {"crmxl_database_url": "database_url", "database_url": "database_url",
              "crmxl_login": "login", "login": "login", "crmxl_lang": "lang", "lang": "lang"}


def _sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def book_settings(book) -> Settings:
    """The shared config file, overridden by the workbook's ``xlwings.conf`` sheet (name in A, value in B); with
    no language chosen anywhere, the workbook's own (a Portuguese template answers in Portuguese)."""
    overrides: dict[str, str] = {}
    if CONF_SHEET in _sheet_names(book):
        rows = book.sheets[CONF_SHEET].used_range.options(ndim=2).value or []
        for row in rows:
            if len(row) >= 2 and isinstance(row[0], str) and row[1] not in (None, ""):
                key = _CONF_KEYS.get(row[0].strip().lower())
                if key:
                    overrides[key] = str(row[1]).strip()
    settings = load_settings(**overrides)
    if not settings.lang_chosen and STAMP_SHEET in _sheet_names(book):
        stamp = stamp_from_rows(book.sheets[STAMP_SHEET].range("A1:B5").options(ndim=2).value) or {}
        if stamp.get("lang"):
            settings = settings.with_overrides(lang=stamp["lang"])
    return settings


def book_template(book, default_lang: str) -> tuple[Template, str]:
    """The model workbook ``book`` is a copy of, and its language: by its stamp, else by its data sheets'
    names (a contacts sheet wins), else the accounts template in ``default_lang``."""
    names = _sheet_names(book)
    if STAMP_SHEET in names:
        stamp = stamp_from_rows(book.sheets[STAMP_SHEET].range("A1:B5").options(ndim=2).value) or {}
        if stamp.get("template") in TEMPLATES:
            lang = stamp.get("lang")
            return TEMPLATES[stamp["template"]], lang if lang in LANGS else default_lang
    keys = {header_key(n) for n in names}
    for tpl in sorted(TEMPLATES.values(), key=lambda t: t.id != "contacts"):
        for lang in (default_lang, *LANGS):
            if header_key(tpl.sheet(lang)) in keys:
                return tpl, lang
    return TEMPLATES["accounts"], default_lang


def template_of(sheet_name: str, headers: list[Any]) -> Template:
    """Which template a sheet follows: by its name, else by its headers."""
    for tpl in TEMPLATES.values():
        if header_key(sheet_name) in {header_key(n) for n in tpl.sheet_names}:
            return tpl
    best = max(TEMPLATES.values(), key=lambda t: header_score(t, headers))
    if header_score(best, headers) < 3:
        raise UnusableInput("no_data_sheet", file=sheet_name, expected="accounts / contacts",
                            sheets="Accounts / Contacts", headers="Account Number*, ...")
    return best


# Excel's error values, as xlwings gives them with ``err_to_str`` (otherwise an error cell reads as empty)
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})


def read_grid(sheet) -> list[list[Any]]:
    """The sheet's values from A1 to the end of its used range, in one bulk read (error values as their
    text, e.g. ``#N/A``)."""
    used = sheet.used_range
    values = used.options(ndim=2, err_to_str=True).value or [[]]
    top, left = used.row, used.column
    if left > 1:
        values = [[None] * (left - 1) + list(row) for row in values]
    if top > 1:
        width = len(values[0]) if values else 0
        values = [[None] * width for _ in range(top - 1)] + values
    return [list(row) for row in values]


def as_typed(value: Any) -> Any:
    """A value written into a cell as Excel would keep it: text that Excel would take for a formula or a number
    (a name '=HYPERLINK(...)', a CEP '01310100'), or whose own apostrophe Excel would take for its text prefix
    (''MEDICL' is not...'), gets the prefix, an apostrophe; empty text is empty."""
    if value == "":
        return None
    if value.__class__ is str and (value.startswith(ESCAPED_STARTS) or _numeric(value)):
        return "'" + value
    return value


def _numeric(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def data_sheet(book):
    """The sheet to validate: the active one, unless it is one of ours (the instructions, the lists, a
    summary) or a hidden record: then the template's data sheet, made active so the user sees its marks."""
    active = book.sheets.active
    if not (ours(active.name) or active.name in (MARKS_SHEET, CONF_SHEET, STAMP_SHEET, CONTROL_SHEET)):
        return active
    names = {header_key(n) for tpl in TEMPLATES.values() for n in tpl.sheet_names}
    for sheet in book.sheets:
        if header_key(sheet.name) in names and sheet.visible:
            sheet.impl.activate()
            return sheet
    return active


def read_table(book, sheet=None) -> Table:
    sheet = sheet or book.sheets.active
    grid = read_grid(sheet)
    headers = next((row for row in grid[:10] if any(v not in (None, "") for v in row)), [])
    tpl = template_of(sheet.name, headers)
    stamp = None
    if STAMP_SHEET in _sheet_names(book):
        stamp = stamp_from_rows(book.sheets[STAMP_SHEET].range("A1:B5").options(ndim=2).value)
        if stamp and stamp.get("template") != tpl.id:  # the book's stamp is its other sheet's: a contacts
            stamp = None  # export into an accounts workbook is validated as the contacts it holds
    return table_from_grid(book.name, tpl, sheet.name, grid, stamp, CellMarks(errors=_error_cells(grid)))


def _error_cells(grid: list[list[Any]]) -> dict[tuple[int, int], str]:
    """The cells holding an error value, by (worksheet row, 0-based column); emptied in ``grid`` (the
    validation reports them as such, not as empty or as text)."""
    found: dict[tuple[int, int], str] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value.__class__ is str and value in ERROR_VALUES:
                found[(r + 1, c)] = value
                row[c] = None
    return found


@dataclass
class Marks:
    cells: int
    rows_with_errors: int


def clear_marks(book, sheet, header_row: int) -> None:
    """Undo what our previous run wrote on ``sheet`` (or on a sheet of the record that is gone: renamed),
    the Errors column included. Only what is still ours: a cell whose note is no longer the one we wrote, or
    whose fill is no longer our red or amber (the user sorted the rows, inserted a column), is left as it is;
    a cell given back gets the user's own note and fill."""
    if MARKS_SHEET in _sheet_names(book):
        rows = _remembered(book)
        names = set(_sheet_names(book))
        recorded = [m for m in rows if m.sheet == sheet.name or m.sheet not in names]
        plain: list[str] = []  # ours, and the user had no fill of their own
        for mark in recorded:
            cell = sheet.range(mark.address)
            if mark.said is None or (cell.note is not None and cell.note.text == mark.note_written()):
                if mark.users_note:
                    set_note(cell, mark.users_note)  # the note the user had before we marked the cell, given back
                elif cell.note is not None:
                    cell.note.delete()
            if cell.color in OUR_COLORS:
                if mark.users_color is None:
                    plain.append(mark.address)
                else:
                    cell.color = mark.users_color
        for union in _unions(plain):
            sheet.range(union).color = None
        _write_remembered(book, [r for r in rows if r not in recorded])  # the other sheets' marks stay
    column = errors_column(sheet, header_row)
    if column is not None:
        last = sheet.used_range.last_cell.row
        sheet.range((header_row, column), (max(last, header_row), column)).clear_contents()


def errors_column(sheet, header_row: int) -> int | None:
    headers = sheet.range((header_row, 1), (header_row, max(sheet.used_range.last_cell.column, 1))).options(ndim=2).value
    keys = {header_key(v) for v in ERRORS_HEADER.values()}
    for index, value in enumerate(headers[0] if headers else []):
        if isinstance(value, str) and header_key(value) in keys:
            return index + 1
    return None


def write_marks(book, sheet, table: Table, result: ValidationResult, lang: str) -> Marks:
    """Red/amber fill + a note on every bad cell, the Errors column, and a record of what we marked."""
    column = errors_column(sheet, table.header_row)  # an earlier run's, found before it is cleared
    clear_marks(book, sheet, table.header_row)
    by_cell: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        if f.column and f.row > table.header_row and f.severity in ("error", "warning"):
            by_cell[f"{f.column}{f.row}"].append(f)
    errors = [a for a, fs in by_cell.items() if any(f.severity == "error" for f in fs)]
    warnings = [a for a in by_cell if a not in set(errors)]
    marks: list[Mark] = []
    for address, findings in by_cell.items():  # what the cell held of the user's, before it is marked
        cell = sheet.range(address)
        mark = Mark(sheet.name, address, cell.note.text if cell.note is not None else None,
                    "\n".join(f.message for f in findings), cell.color)
        marks.append(mark)
    for union in _unions(errors):
        sheet.range(union).color = ERROR_COLOR
    for union in _unions(warnings):
        sheet.range(union).color = WARNING_COLOR
    for mark in marks:
        set_note(sheet.range(mark.address), mark.note_written())
    _write_errors_column(sheet, table, result, lang, column)
    _remember(book, marks)
    return Marks(cells=len(by_cell), rows_with_errors=len(result.error_rows))


def set_note(cell, text: str) -> None:
    if cell.note is not None:
        cell.note.text = text
    else:
        cell.add_note(text)


def _write_errors_column(sheet, table: Table, result: ValidationResult, lang: str, column: int | None) -> None:
    """The Errors column at ``column`` (an earlier run's), else right of every column with a header and of
    every cell the sheet uses (a user's notes without a header)."""
    hm = table.header_map
    used = [*hm.fields.values(), *hm.hidden.values(), *(i for i, _ in hm.unknown), *(i for i, _ in hm.duplicates)]
    column = column or max(max(used, default=-1) + 2, sheet.used_range.last_cell.column + 1)
    messages: dict[int, list[str]] = defaultdict(list)
    for f in result.findings:
        if f.severity == "error" and f.row > table.header_row:
            messages[f.row].append(f.message)
    last_row = max((row for row, _ in table.rows), default=table.header_row)
    data_rows = {row for row, _ in table.rows}
    ok = OK_TEXT.get(lang, "OK")
    block = [[as_typed("; ".join(messages[r])) if r in messages else (ok if r in data_rows else None)]
             for r in range(table.header_row + 1, last_row + 1)]
    sheet.range((table.header_row, column)).value = ERRORS_HEADER.get(lang, ERRORS_HEADER["en"])
    sheet.range((table.header_row, column)).font.bold = True
    if block:
        sheet.range((table.header_row + 1, column)).value = block


def _remember(book, marks: list[Mark]) -> None:
    """Add the cells just marked to the record (the other sheets' stay)."""
    if MARKS_SHEET not in _sheet_names(book):
        active = book.sheets.active
        record = book.sheets.add(MARKS_SHEET, after=book.sheets[-1])
        record.visible = False
        active.impl.activate()  # adding a sheet activated it: the user stays where they were (the sheet's own
        # activation; xlwings' Sheet.activate would activate the app as well, and the book is already active)
    if marks:
        _write_remembered(book, [*_remembered(book), *marks])


@dataclass(frozen=True)
class Mark:
    """A cell we marked, with what it held of the user's: a row of the hidden record sheet."""

    sheet: str
    address: str
    users_note: str | None
    said: str | None  # our message (None: recorded by an older crmxl)
    users_color: tuple[int, int, int] | None

    def note_written(self) -> str:
        return f"{self.said}{USERS_NOTE_SEPARATOR}{self.users_note}" if self.users_note else (self.said or "")

    def as_row(self) -> list[Any]:
        color = ",".join(map(str, self.users_color)) if self.users_color else None
        return [as_typed(v) for v in (self.sheet, self.address, self.users_note, self.said, color)]

    @classmethod
    def from_row(cls, row: list[Any]) -> Mark:
        values = [*row[:5], *[None] * (5 - len(row[:5]))]
        text = [v if isinstance(v, str) and v else None for v in values]
        color = tuple(int(c) for c in text[4].split(",")) if text[4] and text[4].count(",") == 2 else None
        return cls(str(values[0]), str(values[1]), text[2], text[3], color)  # type: ignore[arg-type]


def _remembered(book) -> list[Mark]:
    """The record of marked cells (rows of an older crmxl have fewer columns)."""
    rows = book.sheets[MARKS_SHEET].used_range.options(ndim=2).value or []
    return [Mark.from_row(list(r)) for r in rows if r and len(r) >= 2 and r[0] and isinstance(r[1], str)]


def _write_remembered(book, marks: list[Mark]) -> None:
    record = book.sheets[MARKS_SHEET]
    record.clear_contents()
    if marks:
        record.range("A1").value = [m.as_row() for m in marks]


def _unions(addresses: list[str]) -> list[str]:
    """Comma-joined addresses, each union short enough for Excel's Range()."""
    unions, current = [], ""
    for address in addresses:
        if current and len(current) + len(address) + 1 > ADDRESS_CHUNK:
            unions.append(current)
            current = ""
        current = f"{current},{address}" if current else address
    if current:
        unions.append(current)
    return unions


def style_header(sheet, entity: str, columns, lang: str) -> None:
    """Red mandatory headers on an exported sheet, as in the template (one call per colour run); the key and
    version columns that follow them hidden, as in an export from the command line."""
    from crmxl.schema import key_headers

    tpl = TEMPLATES[entity]
    mandatory = [i for i, f in enumerate(columns) if tpl.column(f).mandatory]
    for index in range(len(columns)):
        cell = sheet.range((1, index + 1))
        cell.font.bold = True
        if index in mandatory:
            cell.color = (192, 0, 0)
            cell.font.color = (255, 255, 255)
    count = len(key_headers(tpl.id, list(columns)))
    if count:
        keys = sheet.range((1, len(columns) + 1), (1, len(columns) + count))
        keys.font.bold = True
        keys.columns.hidden = True


def write_lists(book, lists, lang: str) -> int:
    """Rewrite the Portfolios and Qualifications columns of the Lists sheet (the dropdowns follow them)."""
    from crmxl.schema import LISTS_SHEET
    from crmxl.workbook.layout import list_headers, list_values

    names = [s.name for s in book.sheets]
    name = next((n for n in LISTS_SHEET.values() if n in names), None)
    if name is None:
        sheet = book.sheets.add(LISTS_SHEET[lang], after=book.sheets[-1])
    else:
        sheet = book.sheets[name]
    values = list_values(lists, lang)
    sheet.range("A1").value = list_headers(lang)
    height = max(len(v) for v in values)
    last = max(sheet.used_range.last_cell.row, height + 1)
    sheet.range((2, 1), (last, 5)).clear_contents()
    block = [[column[r] if r < len(column) else None for column in values] for r in range(height)]
    sheet.range("A2").value = block
    return len(lists.qualifications)
