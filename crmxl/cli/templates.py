"""`crmxl templates build|distribute`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from crmxl.cli.common import AsOption, DbOption, acting_user, console, open_database, settings
from crmxl.schema import TEMPLATES
from crmxl.services.templates import MANIFEST, distribute
from crmxl.workbook.templates import build_all, build_template, template_filename

templates_app = typer.Typer(help="Build the model workbooks and distribute them to agents.", no_args_is_help=True)


@templates_app.command("build")
def build(
    out: Path = typer.Option(Path("out/templates"), "--out", help="Folder to write the templates into."),
    lang: str | None = typer.Option(None, "--lang", help="Only this language: en or pt-BR (default: both)."),
) -> None:
    """Write the model workbooks (mandatory columns red, notes, dropdowns, version stamp)."""
    if lang is None:
        paths = list(build_all(out).values())
    elif lang in ("en", "pt-BR"):
        paths = [build_template(t, out / template_filename(t, lang), lang) for t in TEMPLATES.values()]
    else:
        raise typer.BadParameter("use en or pt-BR", param_hint="--lang")
    for path in paths:
        console.print(f"wrote {path}")


@templates_app.command("distribute")
def distribute_cmd(
    manager: str = typer.Option(..., "--manager", help="The manager whose agents get a workbook each."),
    out: Path = typer.Option(..., "--out", help="Folder for the workbooks and the manifest."),
    lang: str = typer.Option("en", "--lang", help="en or pt-BR."),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """One accounts and one contacts workbook per agent of MANAGER, with a manifest (version, SHA-256)."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    written = distribute(database, acting_user(database, cfg.login), manager, out, lang)
    table = Table("Agent", "Template", "Version", "File", "SHA-256")
    for d in written:
        table.add_row(d.agent, d.template, d.version, d.file, d.sha256[:16] + "…")
    console.print(table)
    console.print(f"Manifest: {out / MANIFEST}")


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
