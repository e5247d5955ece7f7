"""Messages in the user's language (en, pt-BR).

Every module that produces user-facing messages registers its catalogue here,
keyed by a stable snake_case code; a message is rendered only at the edge
(a finding, a CLI line, a web page) in the language the user chose.
"""

from __future__ import annotations

LANGUAGES = ("en", "pt-BR")
DEFAULT_LANGUAGE = "en"

_CATALOG: dict[str, dict[str, str]] = {}


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add messages: ``{code: {"en": "...", "pt-BR": "..."}}``."""
    for code, texts in messages.items():
        if "en" not in texts:
            raise ValueError(f"message {code!r} has no English text")
        _CATALOG[code] = texts


def is_language(lang: str) -> bool:
    """``lang`` names a language we speak: en or pt-BR, any case, with ``_`` or ``-`` and a region or not."""
    return lang.replace("_", "-").lower().split("-")[0] in ("en", "pt")


def normalize_language(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANGUAGE
    low = lang.replace("_", "-").lower()
    if low.startswith("pt"):
        return "pt-BR"
    return "en"


def message(code: str, lang: str | None = None, /, **params: object) -> str:
    """Render the message for ``code``; unknown codes fall back to the code itself."""
    texts = _CATALOG.get(code)
    if texts is None:
        return code if not params else f"{code}: " + ", ".join(f"{k}={v}" for k, v in params.items())
    lang = normalize_language(lang)
    template = texts.get(lang) or texts["en"]
    if "suggestion_text" not in params:
        hint = params.get("suggestion")
        params = {**params, "suggestion_text": _DID_YOU_MEAN[lang].format(hint) if hint else ""}
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return texts["en"].format_map(_Default(params))


_DID_YOU_MEAN = {"en": " (did you mean {}?)", "pt-BR": " (você quis dizer {}?)"}


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def has_message(code: str) -> bool:
    return code in _CATALOG
