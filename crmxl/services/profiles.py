"""Export profiles: a saved choice of entity, columns (exported in the model workbook's order) and filters (the seed's gear icon)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update

from crmxl import i18n
from crmxl.db.models import ExportProfile, User, utcnow
from crmxl.db.session import Database
from crmxl.domain.enums import WITHOUT_PORTFOLIO_WORDS, AccountType, parse_enum, parse_uf
from crmxl.domain.text import fold_case, sort_key
from crmxl.errors import Conflict, NotFound, PermissionDenied, UnusableInput
from crmxl.schema import TEMPLATES, importable_columns
from crmxl.services.access import Actor
from crmxl.services.history import audit
from crmxl.services.limits import check_length

PROFILES = ExportProfile.__table__
ENTITIES = tuple(TEMPLATES)


@dataclass(frozen=True)
class Filters:
    portfolios: tuple[str, ...] = ()
    without_portfolio: bool = False
    types: tuple[str, ...] = ()
    active: bool | None = None  # True: only accounts with an owner; False: only without
    ufs: tuple[str, ...] = ()

    def check(self) -> None:
        """Refuse filters that exclude everything they ask for (an export of them was empty, without a word):
        only accounts without a portfolio are inactive, only those with one are active. (Portfolios and
        Without Portfolio together, with active or inactive, keep one of the two: a narrowing, not a
        contradiction.)"""
        if self.active is False and self.portfolios and not self.without_portfolio:
            raise UnusableInput("filters_contradict", asked=", ".join(self.portfolios), active=i18n.Phrase("filters_inactive"))
        if self.active is True and self.without_portfolio and not self.portfolios:
            raise UnusableInput("filters_contradict", asked=WITHOUT_PORTFOLIO_WORDS, active=i18n.Phrase("filters_active"))

    def as_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Filters:
        data = data or {}
        return cls(tuple(data.get("portfolios") or ()), bool(data.get("without_portfolio")),
                   tuple(data.get("types") or ()), data.get("active"), tuple(data.get("ufs") or ()))


@dataclass(frozen=True)
class Profile:
    name: str
    entity: str
    columns: tuple[str, ...]
    filters: Filters = field(default_factory=Filters)
    is_default: bool = False
    created_by: str | None = None


def normalise(entity: str, columns: list[str] | tuple[str, ...] | None, filters: Filters,
              known_logins: set[str]) -> tuple[tuple[str, ...], Filters]:
    """Check a profile's parts; the columns an export needs to be imported back are always included
    (``importable_columns``). Portfolio logins may be typed in any case: they are kept as stored."""
    if entity not in TEMPLATES:
        raise UnusableInput("profile_entity_unknown", entity=entity, known=", ".join(ENTITIES))
    tpl = TEMPLATES[entity]
    wanted = [c.strip() for c in (columns or tpl.fields) if c and c.strip()]
    unknown = [c for c in wanted if c not in tpl.fields]
    if unknown:
        raise UnusableInput("profile_column_unknown", columns=", ".join(unknown), known=", ".join(tpl.fields))
    ordered = importable_columns(tpl, wanted)
    stored = {login.lower(): login for login in known_logins}
    missing = [p for p in filters.portfolios if p.lower() not in stored]
    if missing:
        raise UnusableInput("profile_login_unknown", logins=", ".join(missing))
    try:
        types = tuple(parse_enum(AccountType, t).value for t in filters.types)
        ufs = tuple(parse_uf(u) for u in filters.ufs)
    except ValueError as exc:
        raise UnusableInput("profile_filter_invalid", detail=exc) from None
    portfolios = tuple(dict.fromkeys(stored[p.lower()] for p in filters.portfolios))
    checked = Filters(portfolios, filters.without_portfolio, types, filters.active, ufs)
    checked.check()
    return ordered, checked


def _known_logins(conn) -> set[str]:
    return set(conn.execute(select(User.__table__.c.login)).scalars())


def _row_to_profile(row) -> Profile:
    return Profile(row.name, row.entity, tuple(row.columns or ()), Filters.from_json(row.filters), row.is_default,
                   row.created_by)


def list_profiles(db: Database, entity: str | None = None) -> list[Profile]:
    with db.transaction() as conn:
        query = select(PROFILES)
        if entity:
            query = query.where(PROFILES.c.entity == entity)
        found = [_row_to_profile(r) for r in conn.execute(query)]
    return sorted(found, key=lambda p: (p.entity, sort_key(p.name)))  # the same order on any database


def _named(conn, name: str, columns=None):
    """The row of the profile named ``name`` in any case, or None. Names are compared by ``fold_case`` here, in
    Python, the same on every database (SQLite's lower() folds ASCII only: 'Éden' and 'éden' were two names; the
    unique index on lower(name) stays, a second guard); the profiles table is small. The exact name wins."""
    rows = conn.execute(select(*(columns or PROFILES.c))).all()
    exact = [r for r in rows if r.name == name]
    if exact:
        return exact[0]
    folded = [r for r in rows if fold_case(r.name) == fold_case(name)]
    if len(folded) > 1:  # two names written before this rule: never a guess
        raise Conflict("profile_name_ambiguous", name=name, names=", ".join(sorted(r.name for r in folded)))
    return folded[0] if folded else None


def _refuse_taken(conn, name: str, renaming: str | None = None) -> None:
    rows = conn.execute(select(PROFILES.c.name)).scalars()
    for existing in rows:  # any profile but the one renamed whose name folds the same
        if existing != renaming and fold_case(existing) == fold_case(name):
            raise Conflict("profile_exists", name=existing)


def get_profile(db: Database, name: str) -> Profile:
    """The profile named ``name`` in any case (``fold_case``)."""
    with db.transaction() as conn:
        row = _named(conn, name)
    if row is None:
        raise NotFound("profile_unknown", name=name)
    return _row_to_profile(row)


def may_create(actor: Actor) -> bool:
    """Whether ``actor`` may create export profiles: managers and admins (agents use the shared ones)."""
    return actor.role.value != "agent"


def _require_manager(actor: Actor) -> None:
    if not may_create(actor):
        raise PermissionDenied("profile_forbidden", login=actor.login)


def may_change(actor: Actor, profile: Profile) -> bool:
    """Whether ``actor`` may edit or delete ``profile``: its author (a manager), or an admin (the default
    profiles are the admins')."""
    return actor.is_admin or (may_create(actor) and profile.created_by == actor.login)


def _require_may_change(actor: Actor, profile: Profile) -> None:
    _require_manager(actor)
    if not may_change(actor, profile):
        raise PermissionDenied("profile_not_yours", login=actor.login, name=profile.name,
                               owner=profile.created_by or "system")


def add_profile(db: Database, actor: Actor, name: str, entity: str, columns=None, filters: Filters | None = None) -> Profile:
    _require_manager(actor)
    name = name.strip()
    if not name:
        raise UnusableInput("profile_name_empty")
    check_length(name, ExportProfile.name, "profile_name_too_long")
    with db.transaction() as conn:
        cols, flt = normalise(entity, columns, filters or Filters(), _known_logins(conn))
        _refuse_taken(conn, name)
        now = utcnow()
        conn.execute(insert(PROFILES).values(name=name, entity=entity, columns=list(cols), filters=flt.as_json(),
                                             is_default=False, created_by=actor.login, created_at=now, updated_at=now))
        audit(conn, actor.login, "profile_add", f"profile:{name}", entity=entity, columns=list(cols),
              filters=flt.as_json())
    return Profile(name, entity, cols, flt, False, actor.login)


def edit_profile(db: Database, actor: Actor, name: str, *, new_name: str | None = None, columns=None,
                 filters: Filters | None = None) -> Profile:
    current = get_profile(db, name)
    name = current.name
    _require_may_change(actor, current)
    with db.transaction() as conn:
        cols, flt = normalise(current.entity, columns or current.columns, filters or current.filters,
                              _known_logins(conn))
        target = name if new_name is None else new_name.strip()
        if not target:
            raise UnusableInput("profile_name_empty")
        check_length(target, ExportProfile.name, "profile_name_too_long")
        if target != name:
            _refuse_taken(conn, target, renaming=name)  # Alfa may become ALFA, not the name of another
        conn.execute(update(PROFILES).where(PROFILES.c.name == name).values(
            name=target, columns=list(cols), filters=flt.as_json(), updated_at=utcnow()))
        audit(conn, actor.login, "profile_edit", f"profile:{name}", name=target, columns=list(cols),
              filters=flt.as_json())
    return Profile(target, current.entity, cols, flt, current.is_default, current.created_by)


def delete_profile(db: Database, actor: Actor, name: str) -> None:
    _require_manager(actor)
    profile = get_profile(db, name)
    name = profile.name
    if profile.is_default:
        raise Conflict("profile_default_kept", name=name)
    _require_may_change(actor, profile)
    with db.transaction() as conn:
        conn.execute(delete(PROFILES).where(PROFILES.c.name == name))
        audit(conn, actor.login, "profile_delete", f"profile:{name}")


def default_profile(db: Database, entity: str) -> Profile:
    for profile in list_profiles(db, entity):
        if profile.is_default:
            return profile
    tpl = TEMPLATES[entity]
    return Profile(f"default {entity}", entity, tpl.fields)


i18n.register({
    "profile_entity_unknown": {"en": "Unknown entity '{entity}' (one of {known}).",
                               "pt-BR": "Entidade desconhecida '{entity}' (uma de {known})."},
    "profile_column_unknown": {"en": "Unknown column(s): {columns}. Columns are: {known}.",
                               "pt-BR": "Coluna(s) desconhecida(s): {columns}. As colunas são: {known}."},
    "profile_login_unknown": {"en": "Unknown login(s): {logins}.", "pt-BR": "Login(s) desconhecido(s): {logins}."},
    "filters_active": {"en": "active", "pt-BR": "ativas"},
    "filters_inactive": {"en": "inactive", "pt-BR": "inativas"},
    "filters_contradict": {
        "en": "These filters cannot be combined: {asked} and only {active} accounts (inactive accounts are those "
              "Without Portfolio; active ones have a portfolio).",
        "pt-BR": "Estes filtros não podem ser combinados: {asked} e só contas {active} (contas inativas são as Sem "
                 "Carteira; as ativas têm carteira)."},
    "profile_filter_invalid": {"en": "Invalid filter: {detail}", "pt-BR": "Filtro inválido: {detail}"},
    "profile_unknown": {"en": "There is no export profile named '{name}'.",
                        "pt-BR": "Não existe perfil de exportação chamado '{name}'."},
    "profile_exists": {"en": "An export profile named '{name}' exists already.",
                       "pt-BR": "Já existe um perfil de exportação chamado '{name}'."},
    "profile_name_ambiguous": {"en": "'{name}' could be any of the export profiles {names}: type the name exactly.",
                               "pt-BR": "'{name}' pode ser qualquer um dos perfis de exportação {names}: digite o "
                                        "nome exatamente."},
    "profile_name_empty": {"en": "A profile needs a name.", "pt-BR": "Um perfil precisa de um nome."},
    "profile_name_too_long": {
        "en": "An export profile's name may have at most {limit} characters; this one has {length}.",
        "pt-BR": "O nome de um perfil de exportação pode ter no máximo {limit} caracteres; este tem {length}."},
    "profile_forbidden": {"en": "User {login} may not change export profiles (managers and admins may).",
                          "pt-BR": "O usuário {login} não pode alterar perfis de exportação (gerentes e admins podem)."},
    "profile_not_yours": {"en": "User {login} may not change the export profile '{name}': it is {owner}'s "
                                "(its author and the admins may).",
                          "pt-BR": "O usuário {login} não pode alterar o perfil de exportação '{name}': ele é de "
                                   "{owner} (o autor e os admins podem)."},
    "profile_default_kept": {"en": "'{name}' is a default profile and cannot be deleted.",
                             "pt-BR": "'{name}' é um perfil padrão e não pode ser excluído."},
})
