"""xlwings' Range implementation over openpyxl cells: geometry, values, fills, navigation."""

from __future__ import annotations

from copy import copy

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from xlwings import base_classes
from xlwings import utils as xlutils

from crmxl.workbook.xlengine import values as V
from crmxl.workbook.xlengine.columns import WHOLE_COLUMN, ColumnProperties, column_styles

MAX_ROWS = WHOLE_COLUMN
MAX_COLUMNS = 16_384
_NO_FILL = PatternFill(fill_type=None)
_TEXT = 49  # the built-in "@"


_PLAIN_TYPES = {str: "s", float: "n", int: "n", bool: "b", type(None): "n"}


def _strings_are_plain(data) -> bool:
    """No character of the block's texts is one openpyxl refuses (one search for the whole block)."""
    texts = [value for row in data for value in row if type(value) is str]
    return not texts or ILLEGAL_CHARACTERS_RE.search("".join(texts)) is None


def _empty(cell) -> bool:
    value = cell._value
    return value is None or value == ""


class Range(ColumnProperties, base_classes.Range):
    """Rows ``row1..row2`` and columns ``col1..col2`` (1-based, inclusive) of one sheet."""

    def __init__(self, sheet, row1: int, col1: int, row2: int, col2: int) -> None:
        if not (1 <= row1 <= MAX_ROWS and 1 <= col1 <= MAX_COLUMNS):
            raise IndexError(f"Cell ({row1}, {col1}) is outside the sheet")
        self.sheet = sheet
        self.row1, self.col1 = row1, col1
        self.row2, self.col2 = min(row2, MAX_ROWS), min(col2, MAX_COLUMNS)
        self.options = {}

    # --- geometry ---------------------------------------------------------------------------
    @property
    def api(self):
        return self.sheet.api

    @property
    def coords(self):
        return self.sheet.name, self.row1, self.col1, self.shape[0], self.shape[1]

    @property
    def row(self) -> int:
        return self.row1

    @property
    def column(self) -> int:
        return self.col1

    @property
    def shape(self) -> tuple[int, int]:
        return self.row2 - self.row1 + 1, self.col2 - self.col1 + 1

    def __len__(self) -> int:
        rows, cols = self.shape
        return rows * cols

    def __call__(self, arg1, arg2=None) -> Range:
        if arg2 is None:
            cols = self.shape[1]
            arg1, arg2 = (arg1 - 1) // cols + 1, (arg1 - 1) % cols + 1
        row, col = self.row1 + arg1 - 1, self.col1 + arg2 - 1
        return Range(self.sheet, row, col, row, col)

    def get_address(self, row_absolute=True, col_absolute=True, external=False) -> str:
        def one(row, col):
            return "%s%s%s%d" % ("$" if col_absolute else "", xlutils.col_name(col), "$" if row_absolute else "", row)

        address = one(self.row1, self.col1)
        if self.shape != (1, 1):
            address += ":" + one(self.row2, self.col2)
        if external:
            sheet = self.sheet.name
            if not sheet.replace("_", "").isalnum():
                sheet = "'" + sheet.replace("'", "''") + "'"
            address = f"[{self.sheet.book.name}]{sheet}!{address}"
        return address

    @property
    def address(self) -> str:
        return self.get_address()

    @property
    def max_cells_per_read(self):
        return None

    @property
    def max_cells_per_write(self):
        return None

    # --- cells --------------------------------------------------------------------------------
    @property
    def _ws(self):
        return self.sheet.ws

    def _existing_cells(self):
        """The openpyxl cells of this range that exist (cheap for whole rows, columns or sheets)."""
        r1, c1, r2, c2 = self.row1, self.col1, self.row2, self.col2
        cells = self._ws._cells
        if len(self) > len(cells):
            return [cell for (r, c), cell in cells.items() if r1 <= r <= r2 and c1 <= c <= c2]
        get = cells.get
        found = (get((r, c)) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
        return [cell for cell in found if cell is not None]

    def _all_cells(self):
        """Every cell of the range, created when missing (for styles and notes)."""
        if len(self) > 5_000_000:
            raise ValueError(f"Range {self.address} is too large to format cell by cell")
        ws = self._ws
        return [ws.cell(row=r, column=c) for r in range(self.row1, self.row2 + 1)
                for c in range(self.col1, self.col2 + 1)]

    @property
    def raw_value(self):
        if len(self) > 50_000_000:
            raise ValueError(f"Range {self.address} is too large to read at once")
        block = V.read_block(self._ws._cells, self.row1, self.col1, self.row2, self.col2)
        if self.shape == (1, 1):
            return block[0][0]
        return block

    @raw_value.setter
    def raw_value(self, data) -> None:
        if not isinstance(data, (list, tuple)):
            rows, cols = self.shape
            data = [[data] * cols for _ in range(rows)]
        elif data and not isinstance(data[0], (list, tuple)):
            data = [data]
        self._write_block(data)

    def _write_block(self, data) -> None:
        with V.paused_gc(len(data) * len(data[0] if data else ())):
            self._write_cells(data)

    def _write_cells(self, data) -> None:
        ws = self._ws
        cells = ws._cells
        get = cells.get
        plain = _strings_are_plain(data)
        types = _PLAIN_TYPES if plain else {}
        styles = column_styles(ws, self.col1, self.col1 + max(map(len, data), default=1) - 1)
        for r, row in enumerate(data, start=self.row1):
            for c, value in enumerate(row, start=self.col1):
                cell = get((r, c))
                if cell is None:
                    if value is None:
                        continue
                    cell = cells[(r, c)] = Cell(ws, row=r, column=c)
                    if c in styles:  # a cell typed into a formatted column takes the column's format
                        cell._style = copy(styles[c])
                data_type = types.get(type(value))
                if plain and value.__class__ is str and cell._style and cell._style.numFmtId == _TEXT:
                    cell._value, cell.data_type = value, "s"  # a Text (@) cell keeps what is written: =... and '...
                    continue  # too (a prefix written into a Text cell shows in Excel)
                if value.__class__ is str and value[:1] == "'" and len(value) <= 32768:
                    value, data_type = value[1:], "s"  # Excel's text prefix: what follows is text, as typed
                    cell.quotePrefix = True
                elif data_type == "s" and (value[:1] == "=" or value in ERROR_CODES or len(value) > 32767):
                    data_type = None
                if data_type is None:
                    cell.value = value  # openpyxl decides: formulas, error codes, dates, checks
                else:
                    cell._value = value
                    cell.data_type = data_type

    def clear_contents(self) -> None:
        for cell in self._existing_cells():
            cell.value = None

    def clear_formats(self) -> None:
        for cell in self._existing_cells():
            cell.style = "Normal"

    def clear(self) -> None:
        r1, c1, r2, c2 = self.row1, self.col1, self.row2, self.col2
        cells = self._ws._cells
        for key in [k for k in cells if r1 <= k[0] <= r2 and c1 <= k[1] <= c2]:
            del cells[key]

    # --- navigation ---------------------------------------------------------------------------
    def end(self, direction: str) -> Range:
        direction = direction.lower()
        step = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
        if direction not in step:
            raise ValueError(f"Invalid direction {direction!r}")
        dr, dc = step[direction]
        cells = self._ws._cells
        get = cells.get
        row, col = self.row1, self.col1

        def filled(r, c):
            cell = get((r, c))
            return cell is not None and not _empty(cell)

        def inside(r, c):
            return 1 <= r <= MAX_ROWS and 1 <= c <= MAX_COLUMNS

        if not inside(row + dr, col + dc):
            return Range(self.sheet, row, col, row, col)
        if filled(row, col) and filled(row + dr, col + dc):
            while inside(row + dr, col + dc) and filled(row + dr, col + dc):
                row, col = row + dr, col + dc
            return Range(self.sheet, row, col, row, col)
        # jump over the empty cells to the next filled one, or to the edge of the sheet
        if dr:
            line = [r for (r, c), cell in cells.items() if c == col and (r - row) * dr > 0 and not _empty(cell)]
            target = (min(line) if dr > 0 else max(line)) if line else (MAX_ROWS if dr > 0 else 1)
            return Range(self.sheet, target, col, target, col)
        line = [c for (r, c), cell in cells.items() if r == row and (c - col) * dc > 0 and not _empty(cell)]
        target = (min(line) if dc > 0 else max(line)) if line else (MAX_COLUMNS if dc > 0 else 1)
        return Range(self.sheet, row, target, row, target)

    @property
    def current_region(self) -> Range:
        from xlwings.main import Range as XwRange

        return XwRange(impl=self).expand("table").impl

    @property
    def has_array(self) -> bool:
        return False

    def select(self) -> None:
        self.sheet.ws.sheet_view.selection[0].sqref = self.get_address(False, False)

    # --- formulas and formats ----------------------------------------------------------------
    def _top_left(self):
        return self._ws._cells.get((self.row1, self.col1), V.MISSING)

    @property
    def formula(self):
        def text(cell):
            return "" if cell._value is None else str(cell._value)

        if self.shape == (1, 1):
            return text(self._top_left())
        get = self._ws._cells.get
        return tuple(tuple(text(get((r, c), V.MISSING)) for c in range(self.col1, self.col2 + 1))
                     for r in range(self.row1, self.row2 + 1))

    @formula.setter
    def formula(self, value) -> None:
        self.raw_value = value

    formula2 = formula

    @property
    def color(self):
        existing = self._existing_cells()
        colors = {V.fill_rgb(cell) for cell in existing}
        if len(self) > len(existing):
            colors.add(None)
        return colors.pop() if len(colors) == 1 else None

    @color.setter
    def color(self, color_or_rgb) -> None:
        argb = V.to_argb(color_or_rgb)
        fill = _NO_FILL if argb is None else PatternFill(fill_type="solid", fgColor=argb, bgColor=argb)
        cells = self._existing_cells() if argb is None else self._all_cells()
        for cell in cells:
            cell.fill = fill

    @property
    def font(self):
        from crmxl.workbook.xlengine.formats import Font

        return Font(self)

    @property
    def data_validation(self):
        from crmxl.workbook.xlengine.validation import DataValidation

        return DataValidation(self)

    # --- notes ----------------------------------------------------------------------------------
    @property
    def note(self):
        from crmxl.workbook.xlengine.formats import Note

        cell = self._top_left()
        if cell is V.MISSING or cell.comment is None:
            return None
        return Note(self(1, 1))

    def add_note(self, text: str):
        from crmxl.workbook.xlengine.formats import NOTE_AUTHOR, Note

        cell = self._ws.cell(row=self.row1, column=self.col1)
        cell.comment = Comment(text, NOTE_AUTHOR)
        return Note(self(1, 1))

    @property
    def name(self):
        """The defined name that refers to exactly this range, if any."""
        for _, name in self.sheet.book.names.snapshot():
            target = name.refers_to_range
            if target is not None and target.sheet.ws is self._ws and target.coords == self.coords:
                return name
        return None

    @name.setter
    def name(self, value: str) -> None:
        sheet = self.sheet.name
        if not sheet.replace("_", "").isalnum():
            sheet = "'" + sheet.replace("'", "''") + "'"
        self.sheet.book.names.add(value, f"={sheet}!{self.address}")

    @property
    def merge_cells(self) -> bool:
        return False


class Areas(base_classes.Range):
    """A union such as ``"A1,C5:D7"``: what Excel's ``Range("A1,C5")`` gives, for formatting in one call."""

    def __init__(self, sheet, areas: list[Range]) -> None:
        self.sheet = sheet
        self.areas = areas
        self.options = {}

    @property
    def api(self):
        return self.sheet.api

    @property
    def address(self) -> str:
        return ",".join(area.address for area in self.areas)

    def get_address(self, row_absolute=True, col_absolute=True, external=False) -> str:
        return ",".join(a.get_address(row_absolute, col_absolute, external) for a in self.areas)

    @property
    def row(self) -> int:
        return self.areas[0].row

    @property
    def column(self) -> int:
        return self.areas[0].column

    @property
    def shape(self):
        return self.areas[0].shape

    @property
    def raw_value(self):
        return self.areas[0].raw_value

    def __len__(self) -> int:
        return sum(len(area) for area in self.areas)

    @property
    def color(self):
        colors = {area.color for area in self.areas}
        return colors.pop() if len(colors) == 1 else None

    @color.setter
    def color(self, color_or_rgb) -> None:
        for area in self.areas:
            area.color = color_or_rgb

    def clear_contents(self) -> None:
        for area in self.areas:
            area.clear_contents()

    def clear_formats(self) -> None:
        for area in self.areas:
            area.clear_formats()

    def clear(self) -> None:
        for area in self.areas:
            area.clear()
