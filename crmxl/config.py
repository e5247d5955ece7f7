"""Settings shared by every face: database URL, acting login, language.

Sources, later ones winning: built-in defaults, the config file
(``$CRMXL_CONFIG`` or ``<user config dir>/crmxl/config.toml``), environment
variables (``CRMXL_DATABASE_URL``, ``CRMXL_LOGIN``, ``CRMXL_LANG``), then
explicit overrides (command-line options, an Excel workbook's ``xlwings.conf`` sheet).
"""

from __future__ import annotations

import os
import tomllib
from typing import Any
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from crmxl import i18n
from crmxl.errors import UnusableInput

APP_NAME = "crmxl"
DEMO_ADMIN_LOGIN = "admin"


def data_dir() -> Path:
    """Where the default database and server-side files live (``$CRMXL_HOME`` wins)."""
    home = os.environ.get("CRMXL_HOME")
    path = Path(home) if home else Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'crmxl.sqlite3'}"


def config_path() -> Path:
    explicit = os.environ.get("CRMXL_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str
    login: str | None = None
    lang: str = i18n.DEFAULT_LANGUAGE
    source: str = "defaults"
    lang_chosen: bool = False  # set by the config file, the environment or an option (else: the default)

    def with_overrides(self, **values: str | None) -> Settings:
        given = {k: v for k, v in values.items() if v not in (None, "")}
        if "lang" in given:
            given["lang"] = i18n.normalize_language(given["lang"])
            given["lang_chosen"] = True
        return replace(self, **given) if given else self


def load_settings(**overrides: str | None) -> Settings:
    """Read defaults, the config file and the environment, then apply ``overrides``."""
    values: dict[str, Any] = {"database_url": default_database_url(), "lang": i18n.DEFAULT_LANGUAGE}
    source = "defaults"
    path = config_path()
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UnusableInput("config_invalid", path=str(path), detail=str(exc)) from None
        section = data.get("crmxl", data)
        for key in ("database_url", "login", "lang"):
            if isinstance(section.get(key), str):
                values[key] = section[key]
        values["lang_chosen"] = isinstance(section.get("lang"), str)
        source = str(path)
    env = {
        "database_url": os.environ.get("CRMXL_DATABASE_URL"),
        "login": os.environ.get("CRMXL_LOGIN"),
        "lang": os.environ.get("CRMXL_LANG"),
    }
    settings = Settings(**values, source=source).with_overrides(**env)
    return settings.with_overrides(**overrides)


i18n.register(
    {
        "config_invalid": {
            "en": "The config file {path} cannot be read: {detail}",
            "pt-BR": "O arquivo de configuração {path} não pode ser lido: {detail}",
        }
    }
)
