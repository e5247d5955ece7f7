"""The error a domain parser raises: a stable code, its parameters, an English message."""

from __future__ import annotations

from crmxl import i18n


class FieldError(ValueError):
    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(i18n.message(code, "en", **params))

    def render(self, lang: str | None = None) -> str:
        return i18n.message(self.code, lang, **self.params)
