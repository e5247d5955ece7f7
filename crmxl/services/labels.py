"""Batches, plans and their changes in a person's words, for the pages: labels in the user's language,
logins for owners, values as the user writes them in a workbook (dates dd/mm/yyyy, lists joined with
"; ", nothing for a value not given), never the stored keys or Python's spelling of a value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from crmxl import i18n
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.domain.enums import WITHOUT_PORTFOLIO, without_portfolio_label
from crmxl.domain.formats import format_date
from crmxl.schema import TEMPLATES
from crmxl.services import history

HIDDEN = frozenset({"id", "account_id", "created_at", "updated_at", "version"})  # bookkeeping, not the user's data
ALIASES = {"owner": "portfolio", "owner_id": "portfolio", "number": "account_number"}  # stored name -> column
NUMBERS = frozenset({"number", "identifier", "account_number"})  # account numbers: shown formatted
DATES = frozenset({"birth_date"})  # kept as ISO text in a batch's images
TEMPLATE_OF = {"account": "accounts", "contact": "contacts"}


def field_label(template_id: str, key: str, lang: str) -> str:
    """The column header (without the mandatory mark) of a field, or of the stored column holding it."""
    try:
        column = TEMPLATES[template_id].column(ALIASES.get(key, key))
    except KeyError:
        return key.replace("_", " ")
    return column.header_pt if lang == "pt-BR" else column.header_en


def show_value(value: Any, key: str | None = None, lang: str = "en") -> str:
    """A value as the user writes it in a cell; empty when there is none."""
    if value is None or value == "" or value == [] or value == ():
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(show_value(v, None, lang) for v in value)
    if isinstance(value, dt.datetime):
        return format_date(value) + ("" if value.time() == dt.time() else f" {value:%H:%M}")
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    if isinstance(value, str):
        if key in DATES:
            try:
                return format_date(dt.date.fromisoformat(value))
            except ValueError:
                return value
        if key in NUMBERS:
            return display_account_number(value)
        if value == WITHOUT_PORTFOLIO:
            return without_portfolio_label(lang)
    return str(value)


def show_when(stamp: str) -> str:
    """A batch's time (UTC, ISO) as dd/mm/yyyy HH:MM."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{format_date(when)} {when:%H:%M}"


def count_labels(counts: dict[str, Any], lang: str, *, planned: bool = False) -> dict[str, str]:
    """Counts keyed by their labels: a plan's (what Next will do) or a batch's (what was done); zeros left out
    of a batch's."""
    if planned:
        from crmxl.services.importing import model  # noqa: F401  (registers the plan's count labels)
    shown: dict[str, str] = {}
    for key, value in counts.items():
        if not planned and not value:
            continue
        code = f"plan_{key}" if planned else f"batch_count_{key}"
        label = i18n.message(code, lang) if i18n.has_message(code) else key.replace("_", " ")
        shown[label] = show_value(value, None, lang) if not isinstance(value, int) else str(value)
    return shown


@dataclass(frozen=True)
class BatchView:
    id: int
    kind: str
    user_login: str
    created_at: str
    file_name: str
    counts: dict[str, str]
    status: str
    undoable: bool


def batch_view(batch: history.BatchSummary, lang: str) -> BatchView:
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    kind = t(f"batch_kind_{batch.kind}") if i18n.has_message(f"batch_kind_{batch.kind}") else batch.kind
    status = t("batch_status_undone", by=batch.undone_by) if batch.undone_by else (
        t(f"batch_status_{batch.status}") if i18n.has_message(f"batch_status_{batch.status}") else batch.status)
    if batch.undo_of:
        status += " " + t("batch_status_undo_of", of=batch.undo_of)
    return BatchView(batch.id, kind, batch.user_login, show_when(batch.created_at), batch.file_name or "",
                     count_labels(batch.counts, lang), status,
                     batch.status == "committed" and batch.kind != "undo")


@dataclass(frozen=True)
class ChangeView:
    row: int | None
    what: str
    action: str
    details: str


def change_views(db: Database, changes: list[dict[str, Any]], lang: str) -> list[ChangeView]:
    """A batch's row changes: which account or contact, what was done, and what changed (label: before →
    after), owners by login and specialties by name."""
    t = lambda code, **p: i18n.message(code, lang, **p)  # noqa: E731
    shown = []
    for change in history.readable(db, changes):
        entity, before, after = change["entity"], change["before"] or {}, change["after"] or {}
        template_id = TEMPLATE_OF.get(entity, "accounts")
        image = after or before
        if entity == "contact":
            number = show_value(image.get("identifier"), "identifier")
            what = f"{t('entity_contact').capitalize()} {image.get('name', '')} ({number})"
        else:
            what = f"{t('entity_account').capitalize()} {show_value(image.get('number'), 'number')}"
        label = lambda key: field_label(template_id, key, lang)  # noqa: E731
        if before and after:
            parts = [f"{label(k)}: {show_value(before.get(k), k, lang)} → {show_value(v, k, lang)}"
                     for k, v in after.items() if k not in HIDDEN and before.get(k) != v]
        else:
            parts = [f"{label(k)}: {show_value(v, k, lang)}" for k, v in image.items()
                     if k not in HIDDEN | {"number", "identifier", "name"} and show_value(v, k, lang)]
        action = t(f"change_action_{change['action']}") if i18n.has_message(f"change_action_{change['action']}") \
            else change["action"]
        shown.append(ChangeView(change["row"], what, action, "; ".join(parts)))
    return shown


@dataclass(frozen=True)
class ProfileView:
    name: str
    entity: str
    columns: str
    filters: str


def entity_label(template_id: str, lang: str) -> str:
    code = f"entity_label_{template_id}"
    return i18n.message(code, lang) if i18n.has_message(code) else template_id


def profile_view(profile: Any, lang: str) -> ProfileView:
    """An export profile's entity, columns (their headers) and filters in words."""
    t = lambda code: i18n.message(code, lang)  # noqa: E731
    flt = profile.filters
    portfolios = [*flt.portfolios, *([without_portfolio_label(lang)] if flt.without_portfolio else [])]
    parts = [(t("filter_portfolios"), portfolios), (t("filter_types"), list(flt.types)), ("UF", list(flt.ufs))]
    if flt.active is not None:
        parts.append((t("filter_status"), [t("filter_active" if flt.active else "filter_inactive")]))
    filters = " · ".join(f"{label}: {show_value(values)}" for label, values in parts if values)
    columns = ", ".join(field_label(profile.entity, c, lang) for c in profile.columns)
    return ProfileView(profile.name, entity_label(profile.entity, lang), columns, filters)


i18n.register({
    "entity_label_accounts": {"en": "Accounts", "pt-BR": "Contas"},
    "entity_label_contacts": {"en": "Contacts", "pt-BR": "Contatos"},
    "filter_portfolios": {"en": "Portfolios", "pt-BR": "Carteiras"},
    "filter_types": {"en": "Account types", "pt-BR": "Tipos de conta"},
    "filter_status": {"en": "Status", "pt-BR": "Situação"},
    "filter_active": {"en": "active", "pt-BR": "ativas"},
    "filter_inactive": {"en": "inactive", "pt-BR": "inativas"},
    "batch_kind_import_accounts": {"en": "Accounts import", "pt-BR": "Importação de contas"},
    "batch_kind_import_contacts": {"en": "Contacts import", "pt-BR": "Importação de contatos"},
    "batch_kind_transfer": {"en": "Portfolio transfer", "pt-BR": "Transferência de carteira"},
    "batch_kind_undo": {"en": "Undo", "pt-BR": "Desfazer"},
    "batch_status_committed": {"en": "Committed", "pt-BR": "Gravado"},
    "batch_status_undone": {"en": "Undone by batch {by}", "pt-BR": "Desfeito pelo lote {by}"},
    "batch_status_undo_of": {"en": "(undo of batch {of})", "pt-BR": "(desfaz o lote {of})"},
    "batch_count_accounts_create": {"en": "Accounts created", "pt-BR": "Contas criadas"},
    "batch_count_accounts_update": {"en": "Accounts updated", "pt-BR": "Contas atualizadas"},
    "batch_count_accounts_unchanged": {"en": "Accounts unchanged", "pt-BR": "Contas sem alteração"},
    "batch_count_portfolio_moves": {"en": "Portfolio transfers", "pt-BR": "Transferências de carteira"},
    "batch_count_contacts_create": {"en": "Contacts created", "pt-BR": "Contatos criados"},
    "batch_count_contacts_update": {"en": "Contacts updated", "pt-BR": "Contatos atualizados"},
    "batch_count_contacts_unchanged": {"en": "Contacts unchanged", "pt-BR": "Contatos sem alteração"},
    "batch_count_rows": {"en": "Rows", "pt-BR": "Linhas"},
    "batch_count_committed_rows": {"en": "Rows committed", "pt-BR": "Linhas gravadas"},
    "batch_count_reported_rows": {"en": "Rows with errors (not committed)", "pt-BR": "Linhas com erros (não gravadas)"},
    "batch_count_rows_restored": {"en": "Rows restored", "pt-BR": "Linhas restauradas"},
    "batch_count_from": {"en": "From", "pt-BR": "De"},
    "batch_count_to": {"en": "To", "pt-BR": "Para"},
    "change_action_create": {"en": "Created", "pt-BR": "Criação"},
    "change_action_update": {"en": "Updated", "pt-BR": "Alteração"},
    "change_action_delete": {"en": "Deleted", "pt-BR": "Exclusão"},
    "change_action_restore": {"en": "Restored", "pt-BR": "Restauração"},
})
