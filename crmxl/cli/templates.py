"""`crmxl templates build|distribute`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from crmxl import i18n
from crmxl.i18n import plural
from crmxl.cli.common import AsOption, DbOption, acting_user, console, open_database, out_folder, settings
from crmxl.errors import UnusableInput
from crmxl.schema import LANGS
from crmxl.services.templates import distribute
from crmxl.workbook.templates import build_all

templates_app = typer.Typer(help="Build the model workbooks and distribute them to agents.", no_args_is_help=True)


def _lang(value: str | None) -> str | None:
    """en or pt-BR, in any case (``pt-br``)."""
    if value is not None and not i18n.is_language(value):
        raise UnusableInput("template_lang_unknown", lang=value, langs=", ".join(LANGS))
    return i18n.normalize_language(value) if value is not None else None


@templates_app.command("build")
def build(
    out: Path = typer.Option(Path("out/templates"), "--out", callback=out_folder,
                             help="Folder to write the templates into."),
    lang: str | None = typer.Option(None, "--lang", callback=_lang,
                                    help="Only this language: en or pt-BR (default: both)."),
) -> None:
    """Write the model workbooks (mandatory columns red, notes, dropdowns, version stamp)."""
    for path in build_all(out, langs=(lang,) if lang else LANGS).values():
        console.print(f"wrote {path}")


@templates_app.command("distribute")
def distribute_cmd(
    manager: str = typer.Option(..., "--manager", help="The manager whose agents get a workbook each."),
    out: Path = typer.Option(..., "--out", callback=out_folder, help="Folder for the workbooks and the manifest."),
    lang: str = typer.Option("en", "--lang", callback=_lang, help="Language of the workbooks: en or pt-BR."),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """One accounts and one contacts workbook per agent of MANAGER, with a manifest (version, SHA-256)."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    manifest = distribute(database, acting_user(database, cfg.login), manager, out, lang)
    table = Table("Agent", "Template", "Version", "File", "SHA-256")
    for d in manifest.files:
        table.add_row(d.agent, d.template, d.version, d.file, d.sha256[:16] + "…")
    console.print(table)
    console.print(f"{plural(len(manifest.files), 'workbook', 'workbooks')} for "
                  f"{plural(len(manifest.agents), 'agent', 'agents')} of {manifest.manager}; "
                  f"manifest: {manifest.path}")
    if manifest.removed:
        console.print(i18n.message("distribute_removed", cfg.lang, count=len(manifest.removed),
                                   files=", ".join(manifest.removed)))
    if manifest.kept:
        console.print(i18n.message("distribute_kept", cfg.lang, files=", ".join(manifest.kept)))


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
