"""The qualifications registry: the specialties recognised for doctors, matched leniently."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from crmxl import i18n
from crmxl.domain.errors import FieldError
from crmxl.domain.text import normalize, suggest


def default_specialties() -> list[str]:
    text = (files("crmxl.domain") / "data" / "specialties.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _key(name: str) -> str:
    """How names are compared: case, accents and spaces do not matter, around a '/' neither."""
    return "/".join(part.strip() for part in normalize(name).split("/"))


class SpecialtyRegistry:
    def __init__(self, names: Iterable[str]) -> None:
        self.names: list[str] = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
        self._by_key = {_key(n): n for n in self.names}
        self.suggest = lru_cache(maxsize=4096)(self._suggest)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return self.match(str(name)) is not None

    def match(self, name: str) -> str | None:
        return self._by_key.get(_key(name))

    def _suggest(self, name: str) -> str | None:
        """The registry's name the user most likely meant: the names of a list separated the wrong way
        (',' or '/') with ';'; the one name that begins with what was typed ('Ginecologia' -> 'Ginecologia e
        Obstetrícia'), or holds every word of it ('Medicina Laboratorial' -> 'Patologia Clínica/Medicina
        Laboratorial'); else the closest spelling ('Cardiolgia' -> 'Cardiologia')."""
        for separator in (",", "/"):
            if separator in name:  # several names, separated the wrong way: suggest them with ';'
                parts = [self.match(part) for part in name.split(separator) if part.strip()]
                if len(parts) > 1 and all(parts):
                    return "; ".join(parts)  # type: ignore[arg-type]
        key = _key(name)
        if len(key) >= 4:
            starting = [n for k, n in self._by_key.items() if k.startswith(key)]
            if len(starting) == 1:
                return starting[0]
            words = set(key.replace("/", " ").split())
            holding = [n for k, n in self._by_key.items() if words <= set(k.replace("/", " ").split())]
            if len(holding) == 1:
                return holding[0]
            if len(starting) > 1 or len(holding) > 1:  # 'Cirurgia': one of many, no guess
                return None
        return suggest(name, self.names, cutoff=0.7)

    def parse_list(self, cell: object) -> tuple[list[str], list[FieldError]]:
        """Split a cell on ';' -> (canonical names, errors for the unknown ones)."""
        found: list[str] = []
        errors: list[FieldError] = []
        for item in str(cell or "").split(";"):
            item = item.strip()
            if not item:
                continue
            canonical = self.match(item)
            if canonical is None:
                errors.append(FieldError("qualification_unknown", value=item, suggestion=self.suggest(item)))
            elif canonical not in found:
                found.append(canonical)
        return found, errors


i18n.register({
    "qualification_unknown": {
        "en": "'{value}' is not a qualification in the registry{suggestion_text}",
        "pt-BR": "'{value}' não é uma qualificação do cadastro{suggestion_text}",
    },
})
