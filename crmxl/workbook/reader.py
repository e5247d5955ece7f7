"""Read the data sheet of a model workbook (or a CSV) into a ``Table``: one bulk read, raw values as typed.

The sheet is found by name (``Accounts`` / ``Contas`` ...) or, failing that, by its headers; the
template stamp (the very hidden ``_crmxl`` sheet) is checked; blank rows are skipped. Anything
that makes the file unusable raises ``UnusableInput`` naming the file (and sheet) -- never a
library error.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from crmxl.errors import UnusableInput
from crmxl.schema import (
    STAMP_SHEET,
    TEMPLATES,
    HeaderMap,
    Template,
    header_key,
    map_headers,
    ours,
)
from crmxl.services.progress import Progress, no_progress
from crmxl.validation.model import CellMarks, Table
from crmxl.validation.speed import paused_gc
from crmxl.workbook import reader_messages  # noqa: F401  (registers the messages)
from crmxl.workbook.cell_marks import scan, scan_xml
from crmxl.workbook.csv_reader import read_csv_grid
from crmxl.workbook.sheet_parts import read_in_parts
from crmxl.workbook.sniff import ZIP_ERRORS, sniff

HEADER_SCAN_ROWS = 20  # the header row is looked for below a title of up to this many rows


def read_table(path: Path, tpl: Template, *, progress: Progress = no_progress) -> Table:
    """Read the data sheet of ``path`` for template ``tpl``; raise ``UnusableInput`` if it cannot be used."""
    path = Path(path)
    progress("read", 0, None)
    kind = sniff(path)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmxl-digest") as pool:
        digest = pool.submit(_sha256, path)  # hashlib and calamine both release the GIL: this costs no time
        with paused_gc():
            table = _read(path, tpl, kind)
        table.sha256 = digest.result()
    progress("read", len(table.rows), len(table.rows))
    return table


def _read(path: Path, tpl: Template, kind: str) -> Table:
    if kind == "csv":
        grid = read_csv_grid(path)
        if not any(any(str(v).strip() for v in row) for row in grid):
            raise UnusableInput("empty_file", file=path.name)
        table = _table(path, tpl, tpl.sheet_en, grid, stamp=None, by_name=False)
    else:
        table = _read_workbook(path, tpl)
    return table


# A zip bomb inflates a tiny file into gigabytes: refuse parts that would, before any parser sees them.
MAX_PART_BYTES = 400_000_000
MAX_TOTAL_BYTES = 800_000_000
MAX_RATIO = 200


def check_package(path: Path) -> None:
    """Refuse a workbook whose parts would inflate beyond sane sizes (checked from the zip directory)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except ZIP_ERRORS:
        return  # not a readable zip: the reader reports it as damaged
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (info.file_size > 20_000_000 and ratio > MAX_RATIO):
            raise UnusableInput("package_too_large", file=path.name, part=info.filename,
                                size=info.file_size // 1_000_000)
    if total > MAX_TOTAL_BYTES:
        raise UnusableInput("package_too_large", file=path.name, part="*", size=total // 1_000_000)


def _read_workbook(path: Path, tpl: Template) -> Table:
    check_package(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise UnusableInput("file_encrypted", file=path.name) from None
    except Exception:  # calamine raises its own errors and plain ones on a damaged file
        raise UnusableInput("corrupted_file", file=path.name) from None
    try:
        worksheets = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        visible = {m.name for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible}
        stamp = _read_stamp(book, worksheets)
        _check_stamp(path, tpl, stamp)
        wanted = {header_key(n) for n in tpl.sheet_names}
        named = [n for n in worksheets if header_key(n) in wanted]
        shown = [n for n in named if n in visible]
        copies = [n for n in worksheets if n in visible and n not in named and _a_copy_of(n, wanted)
                  and _holds_rows(tpl, _grid(book, path, n)[0])]  # Excel names a copied sheet 'Accounts (2)'
        if len(shown) + len(copies) > 1:
            raise UnusableInput("several_data_sheets", file=path.name, expected=tpl.id,
                                sheets=", ".join([*shown, *copies]))
        if shown or copies or named:  # the visible sheet of that name, or its visible copy, else the hidden one
            name = (shown or copies or named)[0]
            grid, merged, found = _grid_and_marks(book, path, name)
            found.merged = list(merged)
            return _table(path, tpl, name, grid, stamp, by_name=name in named, marks=found)
        other = _other_template(tpl, worksheets)
        if other is not None:
            raise UnusableInput("wrong_template", file=path.name, found=other.id, expected=tpl.id,
                                sheets=" / ".join(tpl.sheet_names))
        candidates: list[tuple[int, str, list[list[Any]], list]] = []
        for name in worksheets:
            if name not in visible or name == STAMP_SHEET or ours(name):
                continue
            grid, merged = _grid(book, path, name)
            score = max((_score(tpl, row) for row in grid[:HEADER_SCAN_ROWS]), default=0)
            if score >= _min_score(tpl):
                candidates.append((score, name, grid, merged))
        filled = [c for c in candidates if _holds_rows(tpl, c[2])]
        if len(filled) > 1:
            raise UnusableInput("several_data_sheets", file=path.name, expected=tpl.id,
                                sheets=", ".join(c[1] for c in filled))
        if candidates:
            _score_of, name, grid, merged = (filled or sorted(candidates, key=itemgetter(0)))[-1]
            found = scan(path, name)
            found.merged = list(merged)
            return _table(path, tpl, name, grid, stamp, by_name=False, marks=found)
        raise UnusableInput("no_data_sheet", file=path.name, expected=tpl.id, sheets=" / ".join(tpl.sheet_names),
                            headers=_expected_headers(tpl))
    finally:
        try:
            book.close()
        except Exception:  # already closed: nothing to release
            pass


def _grid_and_marks(book: CalamineWorkbook, path: Path, name: str) -> tuple[list[list[Any]], list, CellMarks]:
    """``_grid`` and the sheet's marks (``scan``), found while calamine parses the sheet (without the GIL):
    from the XML the parts are cut from, or for a sheet parsed whole by a streamed pass in a thread."""
    seen: list[CellMarks] = []
    in_parts = read_in_parts(path, name, meanwhile=lambda xml: seen.append(scan_xml(xml)))
    if in_parts is not None and seen:
        return *in_parts, seen[0]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmxl-scan") as pool:
        marks = pool.submit(scan, path, name)
        grid, merged = _whole(book, path, name)
        return grid, merged, marks.result()


def _grid(book: CalamineWorkbook, path: Path, name: str) -> tuple[list[list[Any]], list]:
    """The sheet's cells from A1, and its merged ranges (((row, col), (row, col)), 0-based): a large
    sheet parsed in parts on several cores, any other whole."""
    in_parts = read_in_parts(path, name)
    return in_parts if in_parts is not None else _whole(book, path, name)


def _whole(book: CalamineWorkbook, path: Path, name: str) -> tuple[list[list[Any]], list]:
    try:
        sheet = book.get_sheet_by_name(name)
        return sheet.to_python(skip_empty_area=False), list(sheet.merged_cell_ranges or ())
    except Exception:
        raise UnusableInput("corrupted_sheet", file=path.name, sheet=name) from None


def _read_stamp(book: CalamineWorkbook, worksheets: list[str]) -> dict[str, str] | None:
    if STAMP_SHEET not in worksheets:
        return None
    try:
        grid = book.get_sheet_by_name(STAMP_SHEET).to_python()
    except Exception:
        return None
    return stamp_from_rows(grid)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_stamp(path: Path, tpl: Template, stamp: dict[str, str] | None) -> None:
    if stamp is None:
        return
    found = stamp.get("template", "")
    if found not in TEMPLATES:
        raise UnusableInput("unknown_template", file=path.name, found=found, expected=tpl.id)
    if found != tpl.id:
        raise UnusableInput("wrong_template", file=path.name, found=found, expected=tpl.id,
                            sheets=" / ".join(tpl.sheet_names))
    version = stamp.get("version", "").strip()
    if not tpl.reads_version(version):
        code = ("template_version_missing" if not version else
                "template_version_newer" if tpl.is_newer(version) else "template_version_unsupported")
        raise UnusableInput(code, file=path.name, version=version, expected=tpl.id, expected_version=tpl.version)


def _score(tpl: Template, row: list[Any]) -> int:
    return len(map_headers(tpl, row).fields) if any(isinstance(v, str) and v for v in row) else 0


def _a_copy_of(name: str, sheet_keys: set[str]) -> bool:
    """``name`` begins with a template sheet's name: 'Accounts (2)', 'Contas antigas'."""
    key = header_key(name)
    return any(key.startswith(wanted) for wanted in sheet_keys)


def _holds_rows(tpl: Template, grid: list[list[Any]]) -> bool:
    """The grid has the template's header row and a filled row below it."""
    scores = [_score(tpl, row) for row in grid[:HEADER_SCAN_ROWS]]
    best = max(scores, default=0)
    if best < _min_score(tpl):
        return False
    return any(not _blank(value) for row in grid[scores.index(best) + 1:] for value in row)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (value.__class__ is str and value.isspace())


def _min_score(tpl: Template) -> int:
    return max(2, (len(tpl.mandatory_fields) + 1) // 2)


def _other_template(tpl: Template, worksheets: list[str]) -> Template | None:
    names = {header_key(n) for n in worksheets}
    for other in TEMPLATES.values():
        if other.id != tpl.id and names & {header_key(n) for n in other.sheet_names}:
            return other
    return None


def _expected_headers(tpl: Template, lang: str = "en") -> str:
    return ", ".join(tpl.column(f).header(lang) for f in tpl.mandatory_fields)


def table_from_grid(source: str, tpl: Template, sheet: str, grid: list[list[Any]],
                    stamp: dict[str, str] | None = None, marks: CellMarks | None = None) -> Table:
    """A ``Table`` from cell values already read (a live workbook's used range, an upload parsed elsewhere),
    with ``marks`` (e.g. its error values) if the reader found any.

    ``grid`` starts at cell A1; the same header search, stamp check and blank-row rules apply as for a file.
    """
    path = Path(source)
    _check_stamp(path, tpl, stamp)
    return _table(path, tpl, sheet, grid, stamp, by_name=True, marks=marks)


def stamp_from_rows(rows: list[list[Any]]) -> dict[str, str] | None:
    """The template stamp from the ``_crmxl`` sheet's cells (key in A, value in B)."""
    stamp = {_text(r[0]).lower(): _text(r[1]) for r in rows
             if len(r) >= 2 and isinstance(r[0], str) and r[0].strip() and r[1] is not None}
    return stamp if "template" in stamp else None


def _table(path: Path, tpl: Template, sheet: str, grid: list[list[Any]], stamp: dict[str, str] | None,
           *, by_name: bool, marks: CellMarks | None = None) -> Table:
    """The ``Table`` of ``grid``, with ``marks``: what the reader found that the values do not show (the
    validation reports it). A row with an unread cell (an error value, a formula without its result: read
    as empty) is a data row however empty it reads, so that it is reported, not skipped."""
    scores = [_score(tpl, row) for row in grid[:HEADER_SCAN_ROWS]]
    best = max(scores, default=0)
    if best == 0:
        raise UnusableInput("header_not_found", file=path.name, sheet=sheet, rows=HEADER_SCAN_ROWS,
                            headers=_expected_headers(tpl))
    header_index = scores.index(best)
    header_map = map_headers(tpl, grid[header_index])
    missing = header_map.missing(tpl)  # the columns the best header row lacks, not every mandatory one
    if missing:
        raise UnusableInput("missing_columns", file=path.name, sheet=sheet,
                            columns=", ".join(tpl.column(f).header("en") for f in missing),
                            headers=_expected_headers(tpl))
    lang = _language(tpl, sheet, grid[header_index], header_map, stamp)
    keep = _unread_rows(marks, header_map)
    return Table(
        file=str(path),
        sheet=sheet,
        template=tpl,
        template_version=stamp.get("version") if stamp else None,
        lang=lang,
        header_map=header_map,
        rows=_without_default_only(_data_rows(grid, header_index + 1, header_map, keep), header_map, stamp, keep),
        header_row=header_index + 1,
        marks=marks or CellMarks(),
    )


def _unread_rows(unread: CellMarks | None, header_map: HeaderMap) -> set[int]:
    """The worksheet rows with an unread cell in a mapped column."""
    if unread is None:
        return set()
    mapped = {*header_map.fields.values(), *header_map.hidden.values()}
    return {row for row, col in (*unread.errors, *unread.uncomputed) if col in mapped}


def _data_rows(grid: list[list[Any]], start: int, header_map: HeaderMap,
               keep: set[int] = frozenset()) -> list[tuple[int, list[Any]]]:
    """(worksheet row number, row) for every row with something other than whitespace in a mapped column,
    and every row numbered in ``keep`` (past the grid's end too)."""
    indices = sorted({*header_map.fields.values(), *header_map.hidden.values()})
    width = indices[-1] + 1
    get = itemgetter(*indices) if len(indices) > 1 else (lambda row: (row[indices[0]],))
    rows: list[tuple[int, list[Any]]] = []
    append = rows.append
    for number in range(start, len(grid)):
        row = grid[number]
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if number + 1 in keep:
            append((number + 1, row))
            continue
        for value in get(row):
            if value != "" and value is not None and not (value.__class__ is str and value.isspace()):
                append((number + 1, row))
                break
    rows += [(number, [""] * width) for number in sorted(keep) if number > max(len(grid), start)]
    return rows


def _without_default_only(rows: list[tuple[int, list[Any]]], header_map: HeaderMap,
                          stamp: dict[str, str] | None, keep: set[int] = frozenset()) -> list[tuple[int, list[Any]]]:
    """A distributed workbook pre-fills Portfolio with the agent's login: a row with nothing else is blank.
    Saved as CSV it has lost its stamp: then the rows at the end holding nothing but one same Portfolio (two or
    more of them: the pre-filled rows left over) are blank."""
    default = (stamp or {}).get("portfolio_default")
    column = header_map.fields.get("portfolio")
    if column is None:
        return rows
    others = [i for i in {*header_map.fields.values(), *header_map.hidden.values()} if i != column]

    def only_portfolio(row: list[Any]) -> bool:
        return not _blank(row[column]) and all(_blank(row[i]) for i in others if i < len(row))

    if default:
        return [(n, row) for n, row in rows if n in keep or not (only_portfolio(row) and _text(row[column]) == default)]
    tail = len(rows)
    while tail and rows[tail - 1][0] not in keep and only_portfolio(rows[tail - 1][1]) and \
            _text(rows[tail - 1][1][column]) == _text(rows[-1][1][column]):
        tail -= 1
    return rows[:tail] if len(rows) - tail >= 2 else rows


def _language(tpl: Template, sheet: str, headers: list[Any], header_map: HeaderMap,
              stamp: dict[str, str] | None) -> str:
    if stamp and stamp.get("lang") in ("en", "pt-BR"):
        return stamp["lang"]
    if header_key(sheet) == header_key(tpl.sheet_pt) and header_key(sheet) != header_key(tpl.sheet_en):
        return "pt-BR"
    en = pt = 0
    for name, index in header_map.fields.items():
        col = tpl.column(name)
        key = header_key(headers[index])
        en += key == header_key(col.header_en)
        pt += key == header_key(col.header_pt)
    return "pt-BR" if pt > en else "en"


def _sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None
