"""The error a domain parser raises: a stable code, its parameters, an English message."""

from __future__ import annotations

from crmxl import i18n


class FieldError(ValueError, i18n.Localized):
    """Its message is in the language of the message it is a detail of (``detail=exc``), not always English."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(i18n.message(code, "en", **params))

    def render(self, lang: str | None = None) -> str:
        return i18n.message(self.code, lang, **self.params)

    def localize(self, lang: str | None) -> str:
        return self.render(lang)

    __str__ = ValueError.__str__
