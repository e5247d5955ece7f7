"""How much text a column holds: checked before writing, the same on SQLite (which holds any length) as on
PostgreSQL (which refuses what is longer). The lengths are the models' (``crmxl/db/models.py``)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from crmxl.errors import UnusableInput

ELLIPSIS = "…"


def length_of(column: Any) -> int:
    """The most characters a model's column (``User.login``, a ``Table.c`` column) holds."""
    return column.type.length


def check_length(value: str, column: Any, code: str) -> None:
    """Refuse ``value`` when it is longer than ``column`` holds: ``code``'s message names the field, its
    limit (``limit``) and the value's length (``length``)."""
    limit = length_of(column)
    if len(value) > limit:
        raise UnusableInput(code, limit=limit, length=len(value))


def fit(text: str | None, column: Any) -> str | None:
    """``text`` cut to what ``column`` holds, for a name that is only shown (a file's): the middle gives way
    to an ellipsis, so that the start and the end (its extension) stay visible."""
    limit = length_of(column)
    if text is None or len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    tail = min(max(room // 3, len(PurePath(text).suffix)), room)
    return text[: room - tail] + ELLIPSIS + (text[-tail:] if tail else "")
