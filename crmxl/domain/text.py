"""Text matching that ignores case, accents and extra spaces, with near-miss suggestions."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=65536)
def normalize(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", str(value))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def fold_case(value: str) -> str:
    """``value`` as compared where a name is the same in any case: Unicode's full case folding ('Éden' and
    'éden', 'Straße' and 'STRASSE' are one), of the composed form; accents and spaces still count."""
    return unicodedata.normalize("NFC", str(value)).casefold()


def suggest(value: str, candidates: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The candidate closest to ``value`` (in its own spelling), or None when nothing is near."""
    by_key: dict[str, str] = {}
    for candidate in candidates:
        by_key.setdefault(normalize(candidate), candidate)
    matches = difflib.get_close_matches(normalize(value), list(by_key), n=1, cutoff=cutoff)
    return by_key[matches[0]] if matches else None


def sort_key(value: str) -> tuple[str, str]:
    """How names are ordered wherever a list is shown: ignoring case and accents ('Cirurgia da Mão' before
    'Cirurgia Vascular', 'Ágil' before 'beta'), the same on any database and locale; ties by the text itself."""
    return normalize(value), str(value)


def sorted_names(values: Iterable[str]) -> list[str]:
    return sorted(values, key=sort_key)
