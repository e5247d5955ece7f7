"""xlwings' Sheets and Sheet implementations over openpyxl worksheets."""

from __future__ import annotations

import re

from xlwings import base_classes
from xlwings import utils as xlutils

from crmxl.workbook.xlengine.rng import MAX_COLUMNS, MAX_ROWS, Range

_A1 = re.compile(r"[A-Z]{1,3}[1-9][0-9]*(:[A-Z]{1,3}[1-9][0-9]*)?|[1-9][0-9]*:[1-9][0-9]*|[A-Z]{1,3}:[A-Z]{1,3}", re.I)


class Sheets(base_classes.Sheets):
    def __init__(self, book) -> None:
        self.book = book

    @property
    def api(self):
        return self.book.wb.worksheets

    @property
    def active(self) -> Sheet:
        return Sheet(self.book, self.book.wb.active)

    def __call__(self, name_or_index) -> Sheet:
        worksheets = self.book.wb.worksheets
        if isinstance(name_or_index, int):
            if not 1 <= name_or_index <= len(worksheets):
                raise IndexError(f"Sheet index {name_or_index} out of range")
            return Sheet(self.book, worksheets[name_or_index - 1])
        for ws in worksheets:
            if ws.title.lower() == str(name_or_index).lower():
                return Sheet(self.book, ws)
        raise KeyError(name_or_index)

    def __contains__(self, name) -> bool:
        return any(ws.title.lower() == str(name).lower() for ws in self.book.wb.worksheets)

    def __len__(self) -> int:
        return len(self.book.wb.worksheets)

    def __iter__(self):
        return (Sheet(self.book, ws) for ws in self.book.wb.worksheets)

    def add(self, before=None, after=None, name=None) -> Sheet:
        wb = self.book.wb
        if before is not None:
            index = wb.worksheets.index(before.ws)
        elif after is not None:
            index = wb.worksheets.index(after.ws) + 1
        else:  # Excel puts a new sheet before the active one
            index = wb.worksheets.index(wb.active) if wb.worksheets else 0
        if name is None:
            taken = {ws.title.lower() for ws in wb.worksheets}
            number = len(wb.worksheets) + 1
            while f"sheet{number}" in taken:
                number += 1
            name = f"Sheet{number}"
        ws = wb.create_sheet(title=name, index=index)
        sheet = Sheet(self.book, ws)
        sheet.activate()
        return sheet


class Sheet(base_classes.Sheet):
    def __init__(self, book, ws) -> None:
        self._book = book
        self.ws = ws

    @property
    def book(self):
        return self._book

    @property
    def api(self):
        return self.ws

    @property
    def name(self) -> str:
        return self.ws.title

    @name.setter
    def name(self, value: str) -> None:
        self.ws.title = value

    @property
    def names(self):
        from crmxl.workbook.xlengine.names import Names

        return Names(self.book, scope=self)

    @property
    def index(self) -> int:
        return self.book.wb.worksheets.index(self.ws) + 1

    def range(self, arg1, arg2=None) -> Range:
        if arg2 is None and isinstance(arg1, str) and "," in arg1:
            from crmxl.workbook.xlengine.rng import Areas

            return Areas(self, [self.range(part.strip()) for part in arg1.split(",") if part.strip()])
        boxes = [self._box(arg) for arg in (arg1, arg2) if arg is not None]
        row1 = min(box[0] for box in boxes)
        col1 = min(box[1] for box in boxes)
        row2 = max(box[2] for box in boxes)
        col2 = max(box[3] for box in boxes)
        return Range(self, row1, col1, row2, col2)

    def _box(self, arg) -> tuple[int, int, int, int]:
        if isinstance(arg, Range):
            return arg.row1, arg.col1, arg.row2, arg.col2
        if isinstance(arg, tuple):
            if len(arg) == 2:
                return arg[0], arg[1], arg[0], arg[1]
            if len(arg) == 4:
                row, col, rows, cols = arg
                return row, col, row + max(rows, 1) - 1, col + max(cols, 1) - 1
            raise ValueError(f"Invalid cell tuple {arg!r}")
        if isinstance(arg, str):
            address = arg.replace("$", "")
            if not _A1.fullmatch(address):
                return self._named_box(arg)
            first, second = xlutils.a1_to_tuples(address)
            second = second or first
            return first[0], first[1], second[0], second[1]
        raise ValueError(f"Invalid range argument {arg!r}")

    def _named_box(self, name: str) -> tuple[int, int, int, int]:
        from crmxl.workbook.xlengine.names import resolve

        target = resolve(self.book, name, self)
        if target is None or target.sheet.ws is not self.ws:
            raise ValueError(f"Invalid range address or name: {name!r}")
        return target.row1, target.col1, target.row2, target.col2

    @property
    def cells(self) -> Range:
        return Range(self, 1, 1, MAX_ROWS, MAX_COLUMNS)

    @property
    def used_range(self) -> Range:
        cells = self.ws._cells
        if not cells:
            return Range(self, 1, 1, 1, 1)
        rows = [key[0] for key in cells]
        cols = [key[1] for key in cells]
        return Range(self, min(rows), min(cols), max(rows), max(cols))

    def activate(self) -> None:
        wb = self.book.wb
        for ws in wb.worksheets:
            ws.sheet_view.tabSelected = ws is self.ws
        wb.active = self.ws
        if self.ws.sheet_state != "visible":
            self.ws.sheet_state = "visible"

    select = activate

    def clear_contents(self) -> None:
        self.cells.clear_contents()

    def clear_formats(self) -> None:
        self.cells.clear_formats()

    def clear(self) -> None:
        self.ws._cells.clear()

    def autofit(self, axis=None) -> None:
        """No layout engine here: column widths stay as they are."""

    def delete(self) -> None:
        wb = self.book.wb
        if len(wb.worksheets) == 1:
            raise ValueError("A workbook must contain at least one visible worksheet")
        was_active = wb.active is self.ws
        index = wb.worksheets.index(self.ws)
        wb.remove(self.ws)
        if was_active:  # like Excel: the next sheet, or the previous one when this was the last
            Sheet(self.book, wb.worksheets[min(index, len(wb.worksheets) - 1)]).activate()

    @property
    def visible(self) -> bool:
        return self.ws.sheet_state == "visible"

    @visible.setter
    def visible(self, value: bool) -> None:
        if not value and self.book.wb.active is self.ws:
            others = [ws for ws in self.book.wb.worksheets if ws is not self.ws and ws.sheet_state == "visible"]
            if not others:
                raise ValueError("A workbook must contain at least one visible worksheet")
            Sheet(self.book, others[0]).activate()
        self.ws.sheet_state = "visible" if value else "hidden"
