"""The model workbooks as distributed: one per template and language, built from the schema."""

from __future__ import annotations

from pathlib import Path

from crmxl.domain.specialties import default_specialties
from crmxl.domain.text import sorted_names
from crmxl.schema import LANGS, TEMPLATES, Template
from crmxl.workbook.layout import Lists, write_model_workbook


def template_filename(tpl: Template, lang: str = "en", suffix: str = "") -> str:
    tail = "" if lang == "en" else f"-{lang}"
    return f"crmxl-{tpl.id}-template{suffix}{tail}.xlsx"


def build_template(tpl: Template, out: Path, lang: str = "en", lists: Lists | None = None,
                   portfolio_default: str | None = None) -> Path:
    """One empty model workbook; the Lists sheet holds the default registry unless ``lists`` is given."""
    write_model_workbook(out, tpl, lang=lang, lists=lists or Lists(qualifications=sorted_names(default_specialties())),
                         portfolio_default=portfolio_default)
    return out


def build_all(out_dir: Path, langs: tuple[str, ...] = LANGS) -> dict[str, Path]:
    """Every template in every language: keys ``accounts``, ``contacts``, ``accounts_pt-BR``, ``contacts_pt-BR``."""
    out_dir = Path(out_dir)
    built: dict[str, Path] = {}
    for lang in langs:
        for tpl in TEMPLATES.values():
            key = tpl.id if lang == "en" else f"{tpl.id}_{lang}"
            built[key] = build_template(tpl, out_dir / template_filename(tpl, lang), lang)
    return built
