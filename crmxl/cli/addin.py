"""`crmxl addin build`: the macro-enabled model workbooks and the crmxl.xlam add-in."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from crmxl import i18n
from crmxl.errors import UnusableInput
from crmxl.cli.common import out_folder, settings

app = typer.Typer(help="Build the Excel add-in and the macro-enabled model workbooks.", no_args_is_help=True)


@app.callback()
def _addin() -> None:
    """Build the Excel add-in and the macro-enabled model workbooks."""


def _build_templates(out_dir: Path) -> dict[str, Path]:
    """The model workbooks (.xlsx) the macro-enabled ones are made from."""
    try:
        build_all = importlib.import_module("crmxl.workbook.templates").build_all
    except (ImportError, AttributeError):
        raise UnusableInput("addin_templates_unavailable") from None
    return {name: Path(path) for name, path in build_all(out_dir).items()}


@app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", callback=out_folder,
                                      help="Folder for the .xlsm workbooks and crmxl.xlam.")] = Path("out/addin"),
) -> None:
    """Write <template>.xlsm for every model workbook (ribbon and macros inside) and crmxl.xlam."""
    from crmxl.xl.addin_build import build_addin, load_sources

    sources = load_sources()  # fail on broken sources before building anything
    with tempfile.TemporaryDirectory(prefix="crmxl-templates-") as tmp:
        templates = _build_templates(Path(tmp))
        written = build_addin(out, templates, sources=sources)
    lang = settings().lang
    for path in written:
        typer.echo(i18n.message("addin_wrote", lang, path=str(path)))
    typer.echo(i18n.message("addin_install", lang, xlam=str(out / "crmxl.xlam")))


i18n.register(
    {
        "addin_wrote": {"en": "wrote {path}", "pt-BR": "gerado {path}"},
        "addin_install": {
            "en": "Each user installs the xlwings add-in once: xlwings addin install\n"
                  "For the CRM tab in every workbook: xlwings addin install -f {xlam}",
            "pt-BR": "Cada usuário instala o suplemento xlwings uma vez: xlwings addin install\n"
                     "Para a guia CRM em todas as pastas de trabalho: xlwings addin install -f {xlam}",
        },
        "addin_templates_unavailable": {
            "en": "The model workbooks cannot be built: crmxl.workbook.templates.build_all is not available",
            "pt-BR": "As pastas de trabalho modelo não podem ser geradas: crmxl.workbook.templates.build_all não está disponível",
        },
    }
)
