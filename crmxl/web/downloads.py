"""Downloads: any name the user's file had, in a header every browser reads (RFC 6266); a file the server
cannot make is said so in the user's words, its path only in the server's log."""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import PurePath
from urllib.parse import quote

from crmxl import i18n
from crmxl.errors import CrmxlError, UnusableInput

log = logging.getLogger("crmxl.web")

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


class NotMade(CrmxlError):
    """A download the server could not write (a full disk, a folder it may not write): a server error."""


UNWRITABLE = {"report_unwritable": "web_report_not_made", "export_unwritable": "web_export_not_made"}


@contextlib.contextmanager
def made_on_the_server() -> Iterator[None]:
    """Turn "cannot be written to /tmp/crmxl-…" into a message without the server's path (logged instead)."""
    try:
        yield
    except UnusableInput as exc:
        if exc.code not in UNWRITABLE:
            raise
        log.error("%s: %s (%s)", exc.code, exc.params.get("path"), exc.params.get("detail"))
        raise NotMade(UNWRITABLE[exc.code]) from None


i18n.register({
    "web_report_not_made": {
        "en": "The annotated workbook could not be made on the server: try again in a moment; if it fails again, "
              "tell your administrator. Nothing else was changed.",
        "pt-BR": "Não foi possível gerar a planilha anotada no servidor: tente de novo em instantes; se falhar de "
                 "novo, avise o administrador. Nada mais foi alterado."},
    "web_export_not_made": {
        "en": "The export could not be made on the server: try again in a moment; if it fails again, tell your "
              "administrator. Nothing else was changed.",
        "pt-BR": "Não foi possível gerar a exportação no servidor: tente de novo em instantes; se falhar de novo, "
                 "avise o administrador. Nada mais foi alterado."},
})
