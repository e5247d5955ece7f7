"""Errors every face turns into a clear message (and exit status 2 on the command line)."""

from __future__ import annotations

from crmxl import i18n


class CrmxlError(Exception):
    """An error the user can act on. ``code`` is stable; the message is rendered per language."""

    exit_code = 2

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(i18n.message(code, "en", **params))

    def render(self, lang: str | None = None) -> str:
        return i18n.message(self.code, lang, **self.params)


class UnusableInput(CrmxlError):
    """The input file cannot be used at all (not a workbook, wrong template, ...)."""


class PermissionDenied(CrmxlError):
    """The acting user may not do this."""


class NotFound(CrmxlError):
    """A named thing (user, profile, batch, account) does not exist."""


class Conflict(CrmxlError):
    """The database changed in a way that makes the operation unsafe (stale plan, undo over newer changes)."""


class DatabaseUnavailable(CrmxlError):
    """The database cannot be reached or is locked."""


i18n.register(
    {
        "internal_error": {
            "en": "Unexpected error: {detail}",
            "pt-BR": "Erro inesperado: {detail}",
        },
    }
)
