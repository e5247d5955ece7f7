"""xlwings' Note and Font implementations: a cell's note (legacy comment) and font over openpyxl."""

from __future__ import annotations

from copy import copy
from typing import TYPE_CHECKING

from openpyxl.comments import Comment
from openpyxl.styles import Font as OpenpyxlFont
from xlwings import base_classes

from crmxl.workbook.xlengine import values as V

if TYPE_CHECKING:
    from crmxl.workbook.xlengine.rng import Range

NOTE_AUTHOR = "crmxl"


class Note(base_classes.Note):
    """The note (legacy comment) of one cell."""

    def __init__(self, rng: Range) -> None:
        self.range = rng

    @property
    def _cell(self):
        return self.range._ws.cell(row=self.range.row1, column=self.range.col1)

    @property
    def api(self):
        return self._cell.comment

    @property
    def text(self) -> str:
        comment = self._cell.comment
        return comment.text if comment is not None else None

    @text.setter
    def text(self, value: str) -> None:
        cell = self._cell
        author = cell.comment.author if cell.comment is not None else NOTE_AUTHOR
        cell.comment = Comment(value, author)

    @property
    def author(self) -> str | None:
        comment = self._cell.comment
        return comment.author if comment is not None else None

    @property
    def location(self) -> str:
        return self.range.get_address(False, False)

    def delete(self) -> None:
        self._cell.comment = None


class Font(base_classes.Font):
    """The font of a range: reads the top-left cell, writes every cell."""

    def __init__(self, rng: Range) -> None:
        self.range = rng

    @property
    def api(self):
        cell = self.range._top_left()
        return None if cell is V.MISSING else cell.font

    def _get(self, attribute):
        font = self.api
        return getattr(font if font is not None else OpenpyxlFont(), attribute)

    def _set(self, **changes) -> None:
        for cell in self.range._all_cells():
            font = copy(cell.font)
            for key, value in changes.items():
                setattr(font, key, value)
            cell.font = font

    @property
    def bold(self) -> bool:
        return bool(self._get("b"))

    @bold.setter
    def bold(self, value: bool) -> None:
        self._set(b=bool(value))

    @property
    def italic(self) -> bool:
        return bool(self._get("i"))

    @italic.setter
    def italic(self, value: bool) -> None:
        self._set(i=bool(value))

    @property
    def size(self):
        return self._get("sz")

    @size.setter
    def size(self, value) -> None:
        self._set(sz=value)

    @property
    def name(self):
        return self._get("name")

    @name.setter
    def name(self, value) -> None:
        self._set(name=value)

    @property
    def color(self):
        return V.from_openpyxl_color(self._get("color"))

    @color.setter
    def color(self, color_or_rgb) -> None:
        argb = V.to_argb(color_or_rgb)
        self._set(color=argb)
