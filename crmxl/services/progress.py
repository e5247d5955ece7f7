"""Progress reporting handed to long services by each face (a Rich bar, an Excel status bar, a web poll)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None = None) -> None: ...


def no_progress(stage: str, done: int, total: int | None = None) -> None:
    """The default: report nothing."""
