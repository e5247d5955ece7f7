"""Write the user's workbook back with the findings in place.

Bad cells are filled red and get a note (author ``crmxl``) with their message(s); an ``Errors``
column after the last data column says per row what is wrong or ``OK``; a ``Summary`` sheet has
the counts and the plan. Marks of an earlier run are cleared first -- only ours, recognised by
our fill colours, our note author, our ``Errors`` header and our Summary title. Everything else
of the workbook is kept. The file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from crmxl.errors import UnusableInput
from crmxl.i18n import message
from crmxl.schema import ERRORS_HEADER, OK_TEXT, column_letter, header_key
from crmxl.validation.model import Finding, Table, ValidationResult
from crmxl.validation.sheet import sheet_findings
from crmxl.validation.speed import paused_gc
from crmxl.workbook import reader_messages  # noqa: F401  (registers the messages)
from crmxl.workbook.csv_reader import read_csv_grid
from crmxl.workbook.report_summary import remove_summary, write_summary
from crmxl.workbook.sniff import sniff

AUTHOR = "crmxl"
ERROR_FILL = "FFFF7C80"
WARNING_FILL = "FFFFE699"
_OUR_FILLS = {ERROR_FILL, WARNING_FILL}
_ERRORS_KEYS = {header_key(v) for v in ERRORS_HEADER.values()}
_NOTE_WIDTH, _NOTE_HEIGHT = 320, 110


def write_report(table: Table, result: ValidationResult, out: Path, *, lang: str = "en",
                 summary: dict | None = None) -> Path:
    """Write ``table``'s workbook with ``result``'s findings marked to ``out``; return ``out``."""
    with paused_gc():
        return _write_report(table, result, Path(out), lang, summary)


def _write_report(table: Table, result: ValidationResult, out: Path, lang: str, summary: dict | None) -> Path:
    source = Path(table.file)
    is_csv = sniff(source) == "csv"
    keep_vba = not is_csv and out.suffix.lower() in (".xlsm", ".xltm") and _has_vba(source)
    book = _csv_book(source, table) if is_csv else _load(source, keep_vba)
    try:
        sheet = book[table.sheet]
    except KeyError:
        raise UnusableInput("report_sheet_missing", file=source.name, sheet=table.sheet) from None
    findings = [*sheet_findings(table, lang), *(f for f in result.findings if f.row > 0 or f.column)]
    findings = _dedupe(findings)
    clear_marks(sheet, table.header_row)
    _mark_cells(sheet, findings)
    _write_errors_column(sheet, table, findings, lang)
    remove_summary(book)
    write_summary(book, table, result, findings, lang=lang, summary=summary)
    _save_atomically(book, out)
    return out


def _has_vba(source: Path) -> bool:
    import zipfile

    with contextlib.suppress(OSError, zipfile.BadZipFile), zipfile.ZipFile(source) as archive:
        return "xl/vbaProject.bin" in archive.namelist()
    return False


def _load(source: Path, keep_vba: bool) -> Workbook:
    try:
        return openpyxl.load_workbook(source, keep_vba=keep_vba, rich_text=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise UnusableInput("corrupted_file", file=source.name) from None


def _csv_book(source: Path, table: Table) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = table.sheet
    for row in read_csv_grid(source):
        sheet.append(row)
    for index, _header in enumerate(next(sheet.iter_rows(min_row=table.header_row, max_row=table.header_row))):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 20
    return book


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple] = set()
    unique = []
    for f in findings:
        key = (f.row, f.column, f.code, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def clear_marks(sheet: Worksheet, header_row: int = 1) -> None:
    """Remove the fills and notes an earlier run put on ``sheet`` and empty its ``Errors`` column."""
    column = errors_column(sheet, header_row)
    for (row, col), cell in list(sheet._cells.items()):  # only the cells that exist: fast on big sheets
        if row < header_row:
            continue
        if cell.comment is not None and cell.comment.author == AUTHOR:
            cell.comment = None
        fill = cell.fill
        if fill is not None and fill.fill_type == "solid" and _rgb(fill.fgColor) in _OUR_FILLS:
            cell.fill = PatternFill()
        if column is not None and col == column:
            cell.value = None
            if row == header_row:
                cell.font = Font()


def _rgb(color) -> str | None:
    value = getattr(color, "rgb", None)
    return value.upper() if isinstance(value, str) else None


def errors_column(sheet: Worksheet, header_row: int = 1) -> int | None:
    """1-based index of our ``Errors`` column in ``sheet``, if an earlier run wrote one."""
    for cell in next(sheet.iter_rows(min_row=header_row, max_row=header_row), ()):
        if isinstance(cell.value, str) and header_key(cell.value) in _ERRORS_KEYS:
            return cell.column
    return None


def _mark_cells(sheet: Worksheet, findings: list[Finding]) -> None:
    by_cell: dict[tuple[int, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.column and f.row > 0 and f.severity in ("error", "warning"):
            by_cell[(f.row, f.column)].append(f)
    for (row, column), cell_findings in by_cell.items():
        cell = sheet[f"{column}{row}"]
        bad = any(f.severity == "error" for f in cell_findings)
        cell.fill = PatternFill(fill_type="solid", fgColor=ERROR_FILL if bad else WARNING_FILL)
        text = "\n".join(f.message for f in cell_findings)
        cell.comment = Comment(text, AUTHOR, height=_NOTE_HEIGHT, width=_NOTE_WIDTH)


def _write_errors_column(sheet: Worksheet, table: Table, findings: list[Finding], lang: str) -> None:
    column = errors_column(sheet, table.header_row)
    if column is None:
        hm = table.header_map
        used = [*hm.fields.values(), *hm.hidden.values(), *(i for i, _ in hm.unknown),
                *(i for i, _ in hm.duplicates)]
        last_header = max((c.column for c in next(sheet.iter_rows(min_row=table.header_row,
                                                                   max_row=table.header_row), ())
                           if c.value not in (None, "")), default=0)
        column = max(max(used, default=-1) + 2, last_header + 1)
    errors: dict[int, list[str]] = defaultdict(list)
    warnings: dict[int, list[str]] = defaultdict(list)
    for f in findings:
        if f.row > table.header_row and f.severity == "error":
            errors[f.row].append(f.message)
        elif f.row > table.header_row and f.severity == "warning":
            warnings[f.row].append(f.message)
    header = sheet.cell(row=table.header_row, column=column, value=ERRORS_HEADER.get(lang, ERRORS_HEADER["en"]))
    header.font = Font(bold=True)
    sheet.column_dimensions[column_letter(column - 1)].width = 60
    ok = OK_TEXT.get(lang, OK_TEXT["en"])
    for row, _values in table.rows:
        parts = errors.get(row) or [ok]
        parts += [message("warning_prefix", lang, message=w) for w in warnings.get(row, ())]
        sheet.cell(row=row, column=column, value="; ".join(parts))


def _save_atomically(book: Workbook, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        book.save(temp)
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    finally:
        if book.vba_archive is not None:
            book.vba_archive.close()
        with contextlib.suppress(Exception):
            book.close()
