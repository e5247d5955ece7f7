"""Export a portfolio's accounts or contacts into the model-workbook layout (or CSV), streamed.

The rows come from ``export_query`` (ordered, streamed queries), so memory stays flat however
many rows there are. Each row carries its database key and version in hidden columns, for the
import's conflict check; the file is written beside ``out`` and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from crmxl import i18n
from crmxl.db.models import User
from crmxl.db.session import Database
from crmxl.domain.enums import AccountType, parse_enum, parse_uf
from crmxl.errors import NotFound, UnusableInput
from crmxl.schema import TEMPLATES, importable_columns
from crmxl.services.access import Actor, as_stored
from crmxl.services.export_query import ROWS, count_rows
from crmxl.services.profiles import Filters, Profile, default_profile, get_profile
from crmxl.services.progress import Progress, no_progress
from crmxl.workbook.files import written_atomically

U = User.__table__
FORMATS = ("xlsx", "csv")
STAGE = "export"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    entity: str
    profile: str
    columns: tuple[str, ...]


def resolve_filters(actor: Actor, profile: Profile, *, portfolios: Sequence[str] = (), without_portfolio: bool = False,
                    types: Sequence[str] = (), ufs: Sequence[str] = (), active: bool | None = None) -> Filters:
    """The profile's filters, overridden by what the caller gave; checked against the actor's rights.

    Portfolios given (logins and/or Without Portfolio) replace the profile's; so do types, UFs and
    ``active``. With no portfolio at all, the export is refused: say whose accounts to export.
    """
    base = profile.filters
    given_portfolio = bool(portfolios) or without_portfolio
    try:
        wanted_types = tuple(dict.fromkeys(parse_enum(AccountType, t).value for t in types))
        wanted_ufs = tuple(dict.fromkeys(parse_uf(u) for u in ufs))
    except ValueError as exc:
        raise UnusableInput("export_filter_invalid", detail=exc) from None
    flt = Filters(
        portfolios=tuple(dict.fromkeys(p.strip() for p in portfolios)) if given_portfolio else base.portfolios,
        without_portfolio=without_portfolio if given_portfolio else base.without_portfolio,
        types=wanted_types or base.types,
        active=active if active is not None else base.active,
        ufs=wanted_ufs or base.ufs,
    )
    if not flt.portfolios and not flt.without_portfolio:
        raise UnusableInput("export_needs_portfolio")
    flt.check()
    for login in flt.portfolios:
        actor.require(login)
    if flt.without_portfolio:
        actor.require(None)
    return flt


def _check_logins(conn: Connection, logins: Sequence[str]) -> None:
    if not logins:
        return
    known = set(conn.execute(select(U.c.login).where(U.c.login.in_(list(logins)))).scalars())
    missing = [login for login in logins if login not in known]
    if missing:
        raise NotFound("export_login_unknown", logins=", ".join(missing))


def _with_total(progress: Progress, total: int) -> Progress:
    def report(stage: str, done: int, _total: int | None = None) -> None:
        progress(STAGE, done, total)

    return report


def export(db: Database, actor: Actor, entity: str, out: Path, *, portfolios: Sequence[str] = (),
           without_portfolio: bool = False, types: Sequence[str] = (), ufs: Sequence[str] = (),
           active: bool | None = None, profile: str | None = None, fmt: str = "xlsx", lang: str = "en",
           progress: Progress = no_progress) -> ExportResult:
    """Write the selected rows to ``out`` (xlsx in the model layout, or csv); returns what was written."""
    lang = i18n.normalize_language(lang)  # 'pt', 'pt_br', 'PT-BR' -> 'pt-BR'; anything else: English
    if entity not in TEMPLATES:
        raise UnusableInput("profile_entity_unknown", entity=entity, known=", ".join(TEMPLATES))
    if fmt not in FORMATS:
        raise UnusableInput("export_format_unknown", fmt=fmt)
    suffix = Path(out).suffix.lower()
    workbook_name = suffix in (".xlsx", ".xlsm", ".xls")
    if (fmt == "xlsx" and suffix != ".xlsx") or (fmt == "csv" and workbook_name):  # it would open as the other
        raise UnusableInput("export_suffix", path=str(out), fmt=fmt)
    chosen = get_profile(db, profile) if profile else default_profile(db, entity)
    if chosen.entity != entity:
        raise UnusableInput("export_profile_entity", name=chosen.name, entity=i18n.Phrase(f"export_entity_{chosen.entity}"),
                            wanted=i18n.Phrase(f"export_entity_{entity}"))
    with db.transaction() as conn:  # logins in any case: as stored
        portfolios = [as_stored(conn, p.strip()) for p in portfolios]
    flt = resolve_filters(actor, chosen, portfolios=portfolios, without_portfolio=without_portfolio, types=types,
                          ufs=ufs, active=active)
    tpl = TEMPLATES[entity]
    columns = importable_columns(tpl, chosen.columns)  # a profile saved before a column became needed too
    out = Path(out)
    with db.transaction() as conn:
        _check_logins(conn, flt.portfolios)
    if fmt == "xlsx":
        from crmxl.services.templates import current_lists

        lists = current_lists(db, actor)
    with db.transaction() as conn:
        total = count_rows(conn, entity, flt)
        report = _with_total(progress, total)
        report(STAGE, 0)
        rows = ROWS[entity](conn, flt, columns, lang)
        try:
            if fmt == "csv":
                from crmxl.workbook.csv_writer import write_csv

                count = write_csv(out, tpl, columns, rows, lang=lang, progress=report)
            else:
                count = _write_xlsx(out, tpl, columns, rows, lang, lists, report)
        except OSError as exc:  # an unwritable folder, a full disk: named by the user's path (the temp file is gone)
            raise UnusableInput("export_unwritable", path=str(out), detail=exc.strerror or str(exc)) from None
    return ExportResult(out, count, entity, chosen.name, columns)


def _write_xlsx(out: Path, tpl, columns, rows, lang: str, lists, progress: Progress) -> int:
    from crmxl.workbook.layout import write_model_workbook

    with written_atomically(out) as temp:
        return write_model_workbook(temp, tpl, lang=lang, lists=lists, columns=columns, rows=rows, with_keys=True,
                                    progress=progress)


i18n.register({
    "export_suffix": {
        "en": "{path}: the name does not say the {fmt} format the export is written in (a workbook is named "
              ".xlsx; a CSV may not be); give another name, or choose the format (--format).",
        "pt-BR": "{path}: o nome não indica o formato {fmt} em que a exportação é gravada (uma planilha se chama "
                 ".xlsx; um CSV não pode); dê outro nome, ou escolha o formato (--format).",
    },
    "export_unwritable": {
        "en": "The export cannot be written to {path}: {detail}. Nothing else was changed.",
        "pt-BR": "A exportação não pode ser gravada em {path}: {detail}. Nada mais foi alterado.",
    },
    "export_needs_portfolio": {
        "en": "Say whose accounts to export: --portfolio LOGIN (one or more) and/or --without-portfolio.",
        "pt-BR": "Diga de quem exportar: --portfolio LOGIN (um ou mais) e/ou --without-portfolio.",
        "web": {"en": "Say whose accounts to export: tick one or more portfolios under “Portfolios” (Without "
                      "Portfolio among them, if you may), or choose a profile that names them.",
                "pt-BR": "Diga de quem exportar: marque uma ou mais carteiras em “Carteiras” (Sem Carteira entre "
                         "elas, se puder), ou escolha um perfil que as indique."},
        "api": {"en": "Say whose accounts to export: \"portfolios\" (one or more logins) and/or "
                      "\"without_portfolio\": true, or a \"profile\" that names them.",
                "pt-BR": "Diga de quem exportar: \"portfolios\" (um ou mais logins) e/ou \"without_portfolio\": "
                         "true, ou um \"profile\" que as indique."},
    },
    "export_login_unknown": {"en": "There is no user with the login(s) {logins}.",
                             "pt-BR": "Não existe usuário com o(s) login(s) {logins}."},
    "export_entity_accounts": {"en": "accounts", "pt-BR": "contas"},
    "export_entity_contacts": {"en": "contacts", "pt-BR": "contatos"},
    "export_filter_invalid": {"en": "Invalid filter: {detail}", "pt-BR": "Filtro inválido: {detail}"},
    "export_profile_entity": {"en": "Profile '{name}' exports {entity}, not {wanted}.",
                              "pt-BR": "O perfil '{name}' exporta {entity}, não {wanted}."},
    "export_format_unknown": {"en": "Unknown format '{fmt}': use xlsx or csv.",
                              "pt-BR": "Formato desconhecido '{fmt}': use xlsx ou csv."},
})
