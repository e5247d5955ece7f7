"""Write the user's workbook back with the findings in place.

Bad cells are filled red and get a note (author ``crmxl``) with their message(s); an ``Errors``
column after the last data column says per row what is wrong or ``OK``; a ``Summary`` sheet has
the counts and the plan. Marks of an earlier run are cleared first -- only ours, recognised by
our fill colours, our note author, our ``Errors`` header and our Summary title. Everything else
of the workbook is kept. The file is written atomically (temporary file, then rename).

An .xlsx/.xlsm is patched in place (``crmxl.workbook.patch``): only the parts the findings touch are
rewritten, the data sheet as a stream, so the cost grows with the bad cells rather than the file. A
workbook the patch does not understand, and a CSV, go through openpyxl (load, modify, save).
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from crmxl.errors import UnusableInput
from crmxl.i18n import message
from crmxl.schema import ERRORS_HEADER, OK_TEXT, SUMMARY_SHEET, column_letter, header_key
from crmxl.validation.model import Finding, Table, ValidationResult
from crmxl.validation.sheet import sheet_findings
from crmxl.validation.speed import paused_gc
from crmxl.workbook import reader_messages  # noqa: F401  (registers the messages)
from crmxl.workbook.csv_reader import read_csv_grid
from crmxl.workbook.patch import Annotations, Unpatchable, patch_workbook
from crmxl.workbook.sniff import ZIP_ERRORS
from crmxl.workbook.report_summary import TITLE_PREFIX, remove_summary, write_summary
from crmxl.workbook.sniff import sniff
from crmxl.workbook.files import written_atomically

log = logging.getLogger(__name__)
AUTHOR = "crmxl"
ERROR_FILL = "FFFF7C80"
WARNING_FILL = "FFFFE699"
_OUR_FILLS = {ERROR_FILL, WARNING_FILL}
_ERRORS_KEYS = {header_key(v) for v in ERRORS_HEADER.values()}
_NOTE_WIDTH, _NOTE_HEIGHT = 320, 110


@dataclass(frozen=True)
class Written:
    """A report written: where, and how (``"patch"``: the package patched; ``"openpyxl"``: loaded and saved)."""

    path: Path
    writer: str
    reason: str | None = None  # why the patch was not used


def write_report(table: Table, result: ValidationResult, out: Path, *, lang: str = "en",
                 summary: dict | None = None) -> Path:
    """Write ``table``'s workbook with ``result``'s findings marked to ``out``; return ``out``."""
    return produce_report(table, result, out, lang=lang, summary=summary).path


def produce_report(table: Table, result: ValidationResult, out: Path, *, lang: str = "en",
                   summary: dict | None = None) -> Written:
    """``write_report``, saying which writer wrote the file."""
    with paused_gc():
        return _write_report(table, result, Path(out), lang, summary)


def _write_report(table: Table, result: ValidationResult, out: Path, lang: str, summary: dict | None) -> Written:
    source = Path(table.file)
    is_csv = sniff(source) == "csv"
    findings = [*sheet_findings(table, lang), *(f for f in result.findings if f.row > 0 or f.column)]
    findings = _dedupe(findings)
    reason = "CSV input"
    if not is_csv:
        try:
            annotations = _annotations(table, result, findings, lang, summary, out)
            _write_atomically(out, lambda temp: patch_workbook(source, temp, annotations))
            return Written(out, "patch")
        except Unpatchable as exc:
            reason = str(exc)
            log.info("report of %s written with openpyxl: %s", source.name, reason)
    keep_vba = not is_csv and out.suffix.lower() in (".xlsm", ".xltm") and _has_vba(source)
    book = _csv_book(source, table) if is_csv else _load(source, keep_vba)
    try:
        sheet = book[table.sheet]
    except KeyError:
        raise UnusableInput("report_sheet_missing", file=source.name, sheet=table.sheet) from None
    clear_marks(sheet, table.header_row)
    _mark_cells(sheet, findings)
    _write_errors_column(sheet, table, findings, lang)
    remove_summary(book)
    write_summary(book, table, result, findings, lang=lang, summary=summary)
    _save_atomically(book, out)
    return Written(out, "openpyxl", reason)


def _annotations(table: Table, result: ValidationResult, findings: list[Finding], lang: str,
                 summary: dict | None, out: Path) -> Annotations:
    """What the patch writes, from the findings: the same marks, texts and Summary as the openpyxl writer's."""
    marks: dict[int, dict[int, str]] = defaultdict(dict)
    notes: dict[tuple[int, int], str] = {}
    for (row, letter), cell_findings in _by_cell(findings).items():
        col = _column_index(letter)
        if col is None:
            raise Unpatchable(f"a finding in column {letter}")
        marks[row][col] = "error" if any(f.severity == "error" for f in cell_findings) else "warning"
        notes[(row - 1, col)] = "\n".join(f.message for f in cell_findings)
    errors, warnings = _row_messages(table, findings)
    texts = {}
    for row in errors.keys() | warnings.keys():
        texts[row] = _row_text(errors.get(row), warnings.get(row), lang)
    data_rows = {row for row, _ in table.rows}
    texts = {row: text for row, text in texts.items() if row in data_rows}
    scratch = Workbook()
    write_summary(scratch, table, result, findings, lang=lang, summary=summary)
    sheet = scratch.worksheets[-1]
    rows = [[(cell.value, _kind(cell)) for cell in row] for row in sheet.iter_rows()]
    widths = {letter: dim.width for letter, dim in sheet.column_dimensions.items() if dim.width}
    return Annotations(
        sheet=table.sheet, header_row=table.header_row, marks=dict(marks), notes=notes, texts=texts,
        data_rows=data_rows, ok=OK_TEXT.get(lang, OK_TEXT["en"]), header=ERRORS_HEADER.get(lang, ERRORS_HEADER["en"]),
        min_errors_column=max(_used_columns(table), default=-1) + 1, author=AUTHOR,
        fills={"error": ERROR_FILL, "warning": WARNING_FILL}, summary_base=SUMMARY_SHEET.get(lang, SUMMARY_SHEET["en"]),
        summary_names=tuple(SUMMARY_SHEET.values()), summary_title_prefix=TITLE_PREFIX, summary_rows=rows,
        summary_widths=widths, macro=out.suffix.lower() in (".xlsm", ".xltm"))


def _kind(cell) -> str | None:
    font = cell.font
    if font is not None and font.b:
        return "title" if font.sz and float(font.sz) >= 14 else "bold"
    return None


def _column_index(letters: str) -> int | None:
    if not letters.isascii() or not letters.isalpha() or len(letters) > 3:
        return None
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def _write_atomically(out: Path, write: Callable[[Path], None]) -> None:
    with written_atomically(out) as temp:
        write(temp)


def _has_vba(source: Path) -> bool:
    import zipfile

    with contextlib.suppress(*ZIP_ERRORS), zipfile.ZipFile(source) as archive:
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
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # CSV text that starts with '=' stays text in the report
                cell.data_type = "s"
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


def _by_cell(findings: list[Finding]) -> dict[tuple[int, str], list[Finding]]:
    by_cell: dict[tuple[int, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.column and f.row > 0 and f.severity in ("error", "warning"):
            by_cell[(f.row, f.column)].append(f)
    return by_cell


def _mark_cells(sheet: Worksheet, findings: list[Finding]) -> None:
    for (row, column), cell_findings in _by_cell(findings).items():
        cell = sheet[f"{column}{row}"]
        bad = any(f.severity == "error" for f in cell_findings)
        cell.fill = PatternFill(fill_type="solid", fgColor=ERROR_FILL if bad else WARNING_FILL)
        text = "\n".join(f.message for f in cell_findings)
        cell.comment = Comment(text, AUTHOR, height=_NOTE_HEIGHT, width=_NOTE_WIDTH)


def _used_columns(table: Table) -> list[int]:
    """The 0-based columns the Errors column must stay right of: every column with a header, and every
    column that holds a value in a data row (a user's notes without a header too)."""
    hm = table.header_map
    width = max((len(values) for _, values in table.rows), default=0)
    return [*hm.fields.values(), *hm.hidden.values(), *(i for i, _ in hm.unknown), *(i for i, _ in hm.duplicates),
            *([width - 1] if width else [])]


def _row_messages(table: Table, findings: list[Finding]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    errors: dict[int, list[str]] = defaultdict(list)
    warnings: dict[int, list[str]] = defaultdict(list)
    for f in findings:
        if f.row > table.header_row and f.severity == "error":
            errors[f.row].append(f.message)
        elif f.row > table.header_row and f.severity == "warning":
            warnings[f.row].append(f.message)
    return errors, warnings


def _row_text(errors: list[str] | None, warnings: list[str] | None, lang: str) -> str:
    parts = list(errors or [OK_TEXT.get(lang, OK_TEXT["en"])])
    parts += [message("warning_prefix", lang, message=w) for w in warnings or ()]
    return "; ".join(parts)


def _write_errors_column(sheet: Worksheet, table: Table, findings: list[Finding], lang: str) -> None:
    column = errors_column(sheet, table.header_row)
    if column is None:
        used = _used_columns(table)
        last_header = max((c.column for c in next(sheet.iter_rows(min_row=table.header_row,
                                                                   max_row=table.header_row), ())
                           if c.value not in (None, "")), default=0)
        column = max(max(used, default=-1) + 2, last_header + 1)
    errors, warnings = _row_messages(table, findings)
    header = sheet.cell(row=table.header_row, column=column, value=ERRORS_HEADER.get(lang, ERRORS_HEADER["en"]))
    header.font = Font(bold=True)
    sheet.column_dimensions[column_letter(column - 1)].width = 60
    for row, _values in table.rows:
        sheet.cell(row=row, column=column, value=_row_text(errors.get(row), warnings.get(row), lang))


def _save_atomically(book: Workbook, out: Path) -> None:
    try:
        with written_atomically(out) as temp:
            book.save(temp)
    finally:
        if book.vba_archive is not None:
            book.vba_archive.close()
        with contextlib.suppress(Exception):
            book.close()
