"""Messages in the user's language (en, pt-BR).

Every module that produces user-facing messages registers its catalogue here,
keyed by a stable snake_case code; a message is rendered only at the edge
(a finding, a CLI line, a web page) in the language the user chose.

A count is written with its noun in the singular for 1 and the plural otherwise (both languages) by the
format spec ``plural:SINGULAR:PLURAL``: ``"{errors:plural:error:errors} in {rows:plural:row:rows}"`` renders
``1 error in 1 row`` and ``5 errors in 3 rows``. A word that agrees with a count without the count itself is
written by ``one:SINGULAR:PLURAL``: ``"Fix {errors:one:it:them}"`` renders ``Fix it`` for 1, ``Fix them`` otherwise.

A parameter may be words of its own (a parser's error, an entity's name, Without Portfolio): give it as a
``Phrase("code", ...)`` (or any ``Localized``) and it is rendered in the language of the message it is part of,
never English inside Portuguese.

A message that names a command-line option (``--allow-transfers``) also has a wording per face that
has no such option: ``"web"`` (the pages: the checkbox or field) and ``"api"`` (the JSON API: the
parameter). A face says it speaks with ``speaking_to(face)``; without one, the base wording is used.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

LANGUAGES = ("en", "pt-BR")
DEFAULT_LANGUAGE = "en"
FACES = ("web", "api")  # the faces with wordings of their own (the command line and Excel: the base one)

_CATALOG: dict[str, dict[str, Any]] = {}
_FACE: ContextVar[str | None] = ContextVar("crmxl_face", default=None)


def register(messages: dict[str, dict[str, Any]]) -> None:
    """Add messages: ``{code: {"en": "...", "pt-BR": "...", ["web": {"en": ..., "pt-BR": ...}]}}``."""
    for code, texts in messages.items():
        if "en" not in texts:
            raise ValueError(f"message {code!r} has no English text")
        for face in FACES:
            if face in texts and "en" not in texts[face]:
                raise ValueError(f"message {code!r} has no English text for the {face} face")
        _CATALOG[code] = texts


@contextlib.contextmanager
def speaking_to(face: str | None) -> Iterator[None]:
    """Messages rendered inside use ``face``'s wording where a message has one."""
    token = _FACE.set(face)
    try:
        yield
    finally:
        _FACE.reset(token)


def current_face() -> str | None:
    return _FACE.get()


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
    face = _FACE.get()
    if face is not None and face in texts:
        texts = texts[face]
    template = texts.get(lang) or texts["en"]
    if any(isinstance(v, Localized) for v in params.values()):
        params = {k: v.localize(lang) if isinstance(v, Localized) else v for k, v in params.items()}
    if "suggestion_text" not in params:
        hint = params.get("suggestion")
        params = {**params, "suggestion_text": _DID_YOU_MEAN[lang].format(hint) if hint else ""}
    try:
        return (_FORMATTER.vformat(template, (), params) if PLURAL in template or ONE in template
                else template.format(**params))
    except (KeyError, IndexError):
        return _FORMATTER.vformat(texts["en"], (), _Default(params))


class Localized:
    """A message parameter with words of its own: rendered in the language of the message that holds it."""

    def localize(self, lang: str | None) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.localize(DEFAULT_LANGUAGE)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class Phrase(Localized):
    """The message ``code`` as a parameter of another message."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code, self.params = code, params

    def localize(self, lang: str | None) -> str:
        return message(self.code, lang, **self.params)

    def __repr__(self) -> str:
        return f"Phrase({self.code!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Phrase) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)


PLURAL = ":plural:"
ONE = ":one:"  # the word only: ``{count:one:it:them}``


def plural(count: object, singular: str, plural_form: str) -> str:
    """``count`` and its noun: ``1 error``, ``0 errors``, ``5 erros`` (the singular for 1 only, as in both languages)."""
    try:
        one = int(str(count)) == 1
    except ValueError:
        one = False
    return f"{count} {singular if one else plural_form}"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec.startswith(PLURAL[1:]):
            _kind, singular, plural_form = format_spec.split(":", 2)
            return plural(value, singular, plural_form)
        if format_spec.startswith(ONE[1:]):
            _kind, singular, plural_form = format_spec.split(":", 2)
            return plural(value, singular, plural_form).split(" ", 1)[1]
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


_DID_YOU_MEAN = {"en": " (did you mean {}?)", "pt-BR": " (você quis dizer {}?)"}


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def has_message(code: str) -> bool:
    return code in _CATALOG
