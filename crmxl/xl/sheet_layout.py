"""The model-workbook layout of a sheet the Export button writes, from the schema, as ``crmxl export`` lays
it out: whole-column number formats (text for the identifiers, CEP, phones...; dd/mm/yyyy for a birth
date), widths, dropdowns for the closed lists, header notes with help and an example.

Only xlwings' public object model is used (``range("E:E").number_format``, ``.column_width``,
``.data_validation.set_list``, ``.note``), so it runs in Excel on Windows and macOS as on files.
What that model cannot do here is left out: a frozen header row (``sheet.freeze_panes`` is implemented
by none of xlwings' desktop engines), the portfolio dropdown (a new rule's alert is Excel's Stop, which
would refuse a login the Lists sheet does not know yet; the template's only warns), and the notes' size.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from crmxl.domain.enums import UFS, AccountType, ContactType
from crmxl.schema import KEY_WIDTH, TEMPLATES, TEXT_FORMAT, Column, Kind, column_letter, key_headers

LAST_ROW = 1_048_576
CHOICES: dict[Kind, tuple[str, ...]] = {  # the closed lists, as the template's dropdowns offer them
    Kind.ACCOUNT_TYPE: tuple(t.value for t in AccountType),
    Kind.CONTACT_TYPE: tuple(t.value for t in ContactType),
    Kind.UF: tuple(UFS),
}


def _columns(entity: str, fields: Sequence[str]) -> list[Column]:
    tpl = TEMPLATES[entity]
    return [tpl.column(f) for f in fields]


def _runs(values: Sequence[Any]):
    """(first, last, value) of each run of equal values, 1-based column numbers: one call per run."""
    index = 1
    for value, run in groupby(values):
        count = len(list(run))
        yield index, index + count - 1, value
        index += count


def _columns_address(first: int, last: int) -> str:
    return f"{column_letter(first - 1)}:{column_letter(last - 1)}"


def prepare(sheet, entity: str, fields: Sequence[str]) -> None:
    """Before any value is written (so that Excel keeps a text as text): the columns' formats, for the rows
    to come too, their widths (the hidden key columns' too) and the dropdowns of the closed lists."""
    cols = _columns(entity, fields)
    for first, last, number_format in _runs([c.number_format for c in cols]):
        if number_format:
            sheet.range(_columns_address(first, last)).number_format = number_format
    keys = len(key_headers(entity, list(fields)))
    for first, last, width in _runs([c.width for c in cols] + [KEY_WIDTH] * keys):
        sheet.range(_columns_address(first, last)).column_width = width
    for index, col in enumerate(cols, start=1):
        if col.kind in CHOICES:
            sheet.range((2, index), (LAST_ROW, index)).data_validation.set_list(list(CHOICES[col.kind]))


def cell_values(grid: list[list[Any]], entity: str, fields: Sequence[str], as_typed) -> list[list[Any]]:
    """The rows to write: in a text column a value as it is (a Text cell keeps it, and would show a prefix),
    elsewhere as Excel keeps it when written (``as_typed``)."""
    text = {i for i, c in enumerate(_columns(entity, fields)) if c.number_format == TEXT_FORMAT}
    return [[(None if v == "" else v) if i in text else as_typed(v) for i, v in enumerate(row)] for row in grid]


def annotate(sheet, entity: str, fields: Sequence[str], lang: str) -> None:
    """The header's notes (help and example); the header row frozen where the engine can."""
    for index, col in enumerate(_columns(entity, fields), start=1):
        sheet.range((1, index)).add_note(col.note(lang))  # a new sheet: no note of the user's to keep
    try:
        sheet.freeze_panes.freeze_at("1:1")
    except NotImplementedError:  # Excel on Windows and macOS: xlwings has no freeze panes there
        pass
