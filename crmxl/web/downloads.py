"""File names of downloads: any name the user's file had, in a header every browser reads (RFC 6266)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath
from urllib.parse import quote

MAX_STEM = 120  # characters of the user's name kept in a download's name (the tail is added to it)
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


def download_name(original: str, tail: str) -> str:
    """``original``'s stem, cut to ``MAX_STEM`` characters, and ``tail`` (e.g. ``-report.xlsx``)."""
    stem = PurePath(original.replace("\\", "/")).stem.strip() or "crmxl"
    return stem[:MAX_STEM].rstrip() + tail


def ascii_name(name: str) -> str:
    """A plain name for clients that read only ``filename``: accents dropped, other characters as ``_``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = _UNSAFE.sub("_", plain).strip(" .") or "download"
    return plain


def attachment(name: str) -> dict[str, str]:
    """The Content-Disposition header of a download named ``name``: a plain ASCII ``filename`` and the
    exact name, UTF-8 and percent-encoded, in ``filename*`` (RFC 5987)."""
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name(name)}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}"}
