"""Cell values and colours between xlwings' conversion pipeline and openpyxl cells."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import numbers

from openpyxl.styles.colors import COLOR_INDEX
from xlwings import utils as xlutils

try:  # optional, as in xlwings itself
    import numpy as np
except ImportError:  # pragma: no cover
    np = None
try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None


@contextlib.contextmanager
def paused_gc(cells: int):
    """Pause the cycle collector while a large block of cells is built (it would only rescan them)."""
    if cells < 10_000 or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class XlError(str):
    """The value of an error cell (``#N/A``, ``#DIV/0!``...), told apart from text that looks alike."""

    __slots__ = ()


class _Missing:
    """Stands in for a cell openpyxl never created: no value, no style."""

    __slots__ = ()
    _value = None
    data_type = "n"


MISSING = _Missing()


def read_cell(cell) -> object:
    """The raw value of one openpyxl cell (or ``MISSING``) as the engine hands it to xlwings."""
    value = cell._value
    if cell.data_type == "e" and value is not None:
        return XlError(value)
    return value


def read_block(cells: dict, row1: int, col1: int, row2: int, col2: int) -> list[list[object]]:
    """Values of a rectangle as rows of lists; cells openpyxl never created read as None."""
    get = cells.get
    cols = range(col1, col2 + 1)
    with paused_gc((row2 - row1 + 1) * len(cols)):
        return [
            [cell._value if cell.data_type != "e" else read_cell(cell) for cell in [get((r, c), MISSING) for c in cols]]
            for r in range(row1, row2 + 1)
        ]


def _clean(value, datetime_builder, empty_as, number_builder, err_to_str):
    kind = type(value)
    if value is None or (kind is str and value == ""):
        return empty_as
    if kind is XlError:
        return str(value) if err_to_str else None
    if kind is bool or kind is str:
        return value
    if isinstance(value, dt.datetime):
        return datetime_builder(
            year=value.year, month=value.month, day=value.day, hour=value.hour,
            minute=value.minute, second=value.second, microsecond=value.microsecond,
        )
    if isinstance(value, dt.date):
        return datetime_builder(year=value.year, month=value.month, day=value.day)
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    if isinstance(value, numbers.Real):
        value = float(value)
        return number_builder(value) if number_builder is not None else value
    return value


_PASS = frozenset({str, float, bool})


def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
    """What Excel would hand back: numbers as float, dates as ``datetime``, empty as ``empty_as``."""
    args = (datetime_builder, empty_as, number_builder, err_to_str)
    with paused_gc(len(data) * len(data[0] if data else ())):
        if number_builder is not None:
            return [[_clean(v, *args) for v in row] for row in data]
        return [
            [v if type(v) in _PASS and v != "" else float(v) if type(v) is int else _clean(v, *args) for v in row]
            for row in data
        ]


def prepare_xl_data_element(value, options=None):
    """A Python value as openpyxl should store it (NaN/NaT -> empty, numpy scalars -> Python)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if pd is not None:
        if value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            return value.to_pydatetime().replace(tzinfo=None)
    if np is not None:
        if isinstance(value, np.datetime64):
            return None if np.isnat(value) else xlutils.np_datetime_to_datetime(value)
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return None if np.isnan(value) else float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, numbers.Real) and not isinstance(value, (int, float)):
        return float(value)
    return value


# --- colours -------------------------------------------------------------------------------------

def to_rgb(color) -> tuple[int, int, int] | None:
    """An RGB tuple from what xlwings accepts: ``(r, g, b)``, ``"#rrggbb"`` or an Excel colour int."""
    if color is None:
        return None
    if isinstance(color, str):
        rgb = xlutils.hex_to_rgb(color)
    elif isinstance(color, numbers.Integral):
        rgb = xlutils.int_to_rgb(color)
    else:
        rgb = tuple(int(part) for part in color)
    if len(rgb) != 3 or any(not 0 <= part <= 255 for part in rgb):
        raise ValueError(f"Not a colour: {color!r}")
    return rgb


def to_argb(color) -> str | None:
    rgb = to_rgb(color)
    return None if rgb is None else "FF%02X%02X%02X" % rgb


def from_openpyxl_color(color) -> tuple[int, int, int] | None:
    """The RGB of an openpyxl ``Color`` when it names one (rgb or indexed); theme colours give None."""
    if color is None:
        return None
    if color.type == "rgb" and isinstance(color.rgb, str) and len(color.rgb) in (6, 8):
        return xlutils.hex_to_rgb(color.rgb[-6:])
    if color.type == "indexed" and isinstance(color.indexed, int) and color.indexed < len(COLOR_INDEX):
        return xlutils.hex_to_rgb(COLOR_INDEX[color.indexed][-6:])
    return None


def fill_rgb(cell) -> tuple[int, int, int] | None:
    if cell is MISSING or not cell.has_style:
        return None
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    return from_openpyxl_color(fill.fgColor)
