"""`crmxl templates build|distribute`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from crmxl import i18n
from crmxl.cli.common import AsOption, DbOption, acting_user, console, open_database, out_folder, settings, speaking
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
    said = lang or settings().lang  # the language of the workbooks asked for, else the one chosen
    for path in build_all(out, langs=(lang,) if lang else LANGS).values():
        console.print(i18n.message("cli_template_wrote", said, path=str(path)), highlight=False)


@templates_app.command("distribute")
def distribute_cmd(
    manager: str = typer.Option(..., "--manager", help="The manager whose agents get a workbook each."),
    out: Path = typer.Option(..., "--out", callback=out_folder, help="Folder for the workbooks and the manifest."),
    lang: str | None = typer.Option(None, "--lang", callback=_lang, help="Language of the workbooks: en or pt-BR.",
                                    show_default="en"),
    db: DbOption = None,
    as_login: AsOption = None,
) -> None:
    """One accounts and one contacts workbook per agent of MANAGER, with a manifest (version, SHA-256)."""
    cfg = settings(db=db, login=as_login)
    database = open_database(cfg.database_url)
    actor = acting_user(database, cfg.login)
    manifest = distribute(database, actor, manager, out, lang or "en")
    t = lambda code, **p: i18n.message(code, lang or speaking(cfg, actor), **p)  # noqa: E731
    table = Table(t("cli_distribute_agent"), t("cli_distribute_template"), t("cli_distribute_version"),
                  t("cli_distribute_file"), "SHA-256")
    for d in manifest.files:
        table.add_row(d.agent, d.template, d.version, d.file, d.sha256[:16] + "…")
    console.print(table)
    console.print(t("cli_distributed", files=len(manifest.files), agents=len(manifest.agents),
                    manager=manifest.manager, path=str(manifest.path)), highlight=False)
    if manifest.removed:
        console.print(t("distribute_removed", count=len(manifest.removed), files=", ".join(manifest.removed)),
                      highlight=False)
    if manifest.beside:
        console.print(t("distribute_beside", files=", ".join(manifest.beside),
                        written=", ".join(manifest.beside.values())), highlight=False)
    if manifest.kept:
        console.print(t("distribute_kept", files=", ".join(manifest.kept)), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")


i18n.register({
    "cli_template_wrote": {"en": "wrote {path}", "pt-BR": "gerado {path}"},
    "cli_distribute_agent": {"en": "Agent", "pt-BR": "Agente"},
    "cli_distribute_template": {"en": "Template", "pt-BR": "Modelo"},
    "cli_distribute_version": {"en": "Version", "pt-BR": "Versão"},
    "cli_distribute_file": {"en": "File", "pt-BR": "Arquivo"},
    "cli_distributed": {
        "en": "{files:plural:workbook:workbooks} for {agents:plural:agent:agents} of {manager}; manifest: {path}",
        "pt-BR": "{files:plural:pasta de trabalho:pastas de trabalho} para {agents:plural:agente:agentes} de {manager}; "
                 "manifesto: {path}"},
})
