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
from crmxl.schema import ERRORS_HEADER, OK_TEXT, STAMP_SHEET, TEMPLATES, Template, header_key, header_score, ours
from crmxl.validation.model import CellMarks, Finding, Table, ValidationResult
from crmxl.workbook.reader import stamp_from_rows, table_from_grid

CONF_SHEET = "xlwings.conf"
MARKS_SHEET = "_crmxl_marks"  # hidden: the cells our last run marked on each sheet, so the next run clears only those
ERROR_COLOR = (255, 124, 128)
WARNING_COLOR = (255, 230, 153)
USERS_NOTE_SEPARATOR = "\n———\n"  # between our message and the note the user had on the cell
ADDRESS_CHUNK = 200  # characters per union address (Excel takes up to 255)
_CONF_KEYS = {"crmxl_database_url": "database_url", "database_url": "database_url",
              "crmxl_login": "login", "login": "login", "crmxl_lang": "lang", "lang": "lang"}


def _sheet_names(book) -> list[str]:
    return [s.name for s in book.sheets]


def book_settings(book) -> Settings:
    """The shared config file, overridden by the workbook's ``xlwings.conf`` sheet (name in A, value in B)."""
    overrides: dict[str, str] = {}
    if CONF_SHEET in _sheet_names(book):
        rows = book.sheets[CONF_SHEET].used_range.options(ndim=2).value or []
        for row in rows:
            if len(row) >= 2 and isinstance(row[0], str) and row[1] not in (None, ""):
                key = _CONF_KEYS.get(row[0].strip().lower())
                if key:
                    overrides[key] = str(row[1]).strip()
    return load_settings(**overrides)


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


def data_sheet(book):
    """The sheet to validate: the active one, unless it is one of ours (the instructions, the lists, a
    summary) or a hidden record: then the template's data sheet, made active so the user sees its marks."""
    active = book.sheets.active
    if not (ours(active.name) or active.name in (MARKS_SHEET, CONF_SHEET, STAMP_SHEET)):
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
    """Undo what our previous run wrote on ``sheet``: fills and notes of the cells it marked, the Errors column."""
    if MARKS_SHEET in _sheet_names(book):
        rows = _remembered(book)
        recorded = [r for r in rows if r[0] == sheet.name and isinstance(r[1], str)]
        addresses = [r[1] for r in recorded]
        for _sheet, address, users_note in recorded:
            cell = sheet.range(address)
            if isinstance(users_note, str) and users_note:
                set_note(cell, users_note)  # the note the user had before we marked the cell, given back
            elif cell.note is not None:
                cell.note.delete()
        for union in _unions(addresses):
            sheet.range(union).color = None
        _write_remembered(book, [r for r in rows if r[0] != sheet.name])  # the other sheets' marks stay
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
    for union in _unions(errors):
        sheet.range(union).color = ERROR_COLOR
    for union in _unions(warnings):
        sheet.range(union).color = WARNING_COLOR
    users_notes: dict[str, str | None] = {}
    for address, findings in by_cell.items():
        cell = sheet.range(address)
        users_notes[address] = users_note = cell.note.text if cell.note is not None else None
        said = "\n".join(f.message for f in findings)
        set_note(cell, f"{said}{USERS_NOTE_SEPARATOR}{users_note}" if users_note else said)
    _write_errors_column(sheet, table, result, lang, column)
    _remember(book, sheet.name, users_notes)
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
    block = [["; ".join(messages[r]) if r in messages else (ok if r in data_rows else None)]
             for r in range(table.header_row + 1, last_row + 1)]
    sheet.range((table.header_row, column)).value = ERRORS_HEADER.get(lang, ERRORS_HEADER["en"])
    sheet.range((table.header_row, column)).font.bold = True
    if block:
        sheet.range((table.header_row + 1, column)).value = block


def _remember(book, sheet_name: str, users_notes: dict[str, str | None]) -> None:
    """Add ``sheet_name``'s marked cells to the record, each with the note the user had on it (the other
    sheets' stay)."""
    if MARKS_SHEET not in _sheet_names(book):
        active = book.sheets.active
        marks = book.sheets.add(MARKS_SHEET, after=book.sheets[-1])
        marks.visible = False
        active.impl.activate()  # adding a sheet activated it: the user stays where they were (the sheet's own
        # activation; xlwings' Sheet.activate would activate the app as well, and the book is already active)
    if users_notes:
        _write_remembered(book, [*_remembered(book), *([sheet_name, a, n] for a, n in users_notes.items())])


def _remembered(book) -> list[list[Any]]:
    """The record of marked cells: [sheet name, address, the user's own note or None] rows (a record of
    an older crmxl has no third column)."""
    rows = book.sheets[MARKS_SHEET].used_range.options(ndim=2).value or []
    return [[*r[:2], r[2] if len(r) > 2 else None] for r in rows if r and len(r) >= 2 and r[0]]


def _write_remembered(book, rows: list[list[Any]]) -> None:
    marks = book.sheets[MARKS_SHEET]
    marks.clear_contents()
    if rows:
        marks.range("A1").value = rows


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
    """Red mandatory headers on an exported sheet, as in the template (one call per colour run)."""
    from crmxl.schema import TEMPLATES

    tpl = TEMPLATES[entity]
    mandatory = [i for i, f in enumerate(columns) if tpl.column(f).mandatory]
    for index in range(len(columns)):
        cell = sheet.range((1, index + 1))
        cell.font.bold = True
        if index in mandatory:
            cell.color = (192, 0, 0)
            cell.font.color = (255, 255, 255)
    keys = sheet.range((1, len(columns) + 1), (1, len(columns) + 2))
    keys.font.bold = True


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
