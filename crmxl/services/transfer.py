"""Portfolio transfer: move accounts from one portfolio (or Without Portfolio) to another.

A dry run lists what moves; the commit moves exactly those accounts in one transaction and
records a batch that ``crmxl undo`` reverses. Contacts reference their account, so they follow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update

from crmxl import i18n
from crmxl.db.models import Account, User, utcnow
from crmxl.db.session import Database
from crmxl.domain.account_number import detect_account_number, display_account_number
from crmxl.domain.enums import PORTFOLIO_ROLES, WITHOUT_PORTFOLIO, WITHOUT_PORTFOLIO_WORDS, AccountType, parse_enum
from crmxl.domain.errors import FieldError
from crmxl.errors import Conflict, NotFound, UnusableInput
from crmxl.services.access import Actor, as_stored
from crmxl.services.bulk import Bulk
from crmxl.services.history import BatchRecorder
from crmxl.services.images import chunks, load_images

A, U = Account.__table__, User.__table__


@dataclass(frozen=True)
class Moving:
    id: int
    number: str
    name: str
    type: str
    version: int


@dataclass
class TransferPlan:
    actor: str
    from_login: str | None  # None = Without Portfolio
    to_login: str | None
    accounts: list[Moving] = field(default_factory=list)

    def label(self, login: str | None) -> str:
        return login or WITHOUT_PORTFOLIO


def _source_id(conn, login: str | None) -> int | None:
    """The owner whose accounts move; an inactive user's portfolio can still be handed over."""
    if login is None:
        return None
    found = conn.execute(select(U.c.id).where(U.c.login == login)).scalar()
    if found is None:
        raise NotFound("user_unknown", login=login)
    return found


def _target_id(conn, login: str | None) -> int | None:
    """The new owner: an active agent or manager (the users who hold portfolios)."""
    if login is None:
        return None
    found = conn.execute(select(U.c.id, U.c.role, U.c.active).where(U.c.login == login)).first()
    if found is None or not found.active:
        raise NotFound("user_unknown", login=login)
    if found.role not in PORTFOLIO_ROLES:
        raise UnusableInput("transfer_target_not_portfolio", login=login, role=found.role)
    return found.id


def plan_transfer(db: Database, actor: Actor, from_login: str | None, to_login: str | None, *,
                  types: Sequence[str] = (), accounts: Sequence[str] = ()) -> TransferPlan:
    """The accounts of ``from_login`` (None: Without Portfolio) that would move to ``to_login`` (logins in any
    case: the plan names them as stored)."""
    with db.transaction() as conn:
        from_login, to_login = as_stored(conn, from_login), as_stored(conn, to_login)
    if from_login == to_login:
        raise UnusableInput("transfer_same_portfolio", portfolio=from_login or WITHOUT_PORTFOLIO_WORDS)
    actor.require(from_login)
    actor.require(to_login)
    try:
        wanted_types = [parse_enum(AccountType, t).value for t in types]
        numbers = [detect_account_number(n)[1] for n in accounts]
    except FieldError as exc:
        raise UnusableInput("transfer_filter_invalid", detail=exc) from None
    with db.transaction() as conn:
        from_id = _source_id(conn, from_login)
        _target_id(conn, to_login)
        query = select(A.c.id, A.c.number, A.c.name, A.c.type, A.c.version).order_by(A.c.id)
        query = query.where(A.c.owner_id.is_(None) if from_id is None else A.c.owner_id == from_id)
        if wanted_types:
            query = query.where(A.c.type.in_(wanted_types))
        found: list[Moving] = []
        if numbers:
            for part in chunks(numbers):
                found += [Moving(*r) for r in conn.execute(query.where(A.c.number.in_(part)))]
            missing = sorted(set(numbers) - {m.number for m in found})
            if missing:
                raise NotFound("transfer_accounts_not_in_portfolio", numbers=", ".join(missing[:10]),
                               portfolio=from_login or WITHOUT_PORTFOLIO_WORDS)
            found.sort(key=lambda m: m.id)
        else:
            found = [Moving(*r) for r in conn.execute(query)]
    return TransferPlan(actor.login, from_login, to_login, found)


def commit_transfer(db: Database, actor: Actor, plan: TransferPlan) -> int | None:
    """Move the planned accounts; refuse if any of them changed since the plan. Returns the batch id."""
    if not plan.accounts:
        return None
    if plan.actor != actor.login:
        raise Conflict("plan_other_user", login=actor.login, owner=plan.actor)
    actor.require(plan.from_login)
    actor.require(plan.to_login)
    with db.transaction() as conn, Bulk(conn).writing():  # SQLite: the write lock before the versions are read
        to_id = _target_id(conn, plan.to_login)
        ids = [m.id for m in plan.accounts]
        if conn.dialect.name == "postgresql":
            for part in chunks(ids):
                conn.execute(select(A.c.id).where(A.c.id.in_(part)).with_for_update())
        before = load_images(conn, "account", ids)
        stale = [display_account_number(m.number) for m in plan.accounts
                 if before.get(m.id, {}).get("version") != m.version]
        if stale:
            raise Conflict("transfer_stale", count=len(stale), numbers=", ".join(stale[:10]))
        now = utcnow()
        conn.execute(update(A).where(A.c.id == bindparam("_id")).values(
            owner_id=to_id, version=bindparam("_version"), updated_at=now),
            [{"_id": m.id, "_version": m.version + 1} for m in plan.accounts])
        recorder = BatchRecorder(conn, "transfer", actor)
        recorder.start()
        for m in plan.accounts:
            old = before[m.id]
            new = {**old, "owner_id": to_id, "version": m.version + 1, "updated_at": now.isoformat(sep=" ")}
            recorder.add("account", m.id, "update", old, new)
        return recorder.finish({"portfolio_moves": len(plan.accounts), "from": plan.label(plan.from_login),
                                "to": plan.label(plan.to_login)})


i18n.register({
    "transfer_same_portfolio": {"en": "Nothing to move: from and to are both {portfolio}.",
                                "pt-BR": "Nada a transferir: origem e destino são {portfolio}."},
    "transfer_target_not_portfolio": {
        "en": "{login} is a {role}: accounts can move only to an agent's or a manager's portfolio.",
        "pt-BR": "{login} é {role}: contas só podem ir para a carteira de um agente ou gerente."},
    "transfer_filter_invalid": {"en": "Invalid filter: {detail}", "pt-BR": "Filtro inválido: {detail}"},
    "transfer_accounts_not_in_portfolio": {
        "en": "Not in the portfolio {portfolio} (or not of the types given): {numbers}.",
        "pt-BR": "Não estão na carteira {portfolio} (ou não são dos tipos dados): {numbers}."},
    "transfer_stale": {"en": "{count:plural:account:accounts} changed since the plan ({numbers}): run the transfer again.",
                       "pt-BR": "{count:plural:conta mudou:contas mudaram} desde o plano ({numbers}): rode a transferência de novo."},
    "plan_other_user": {"en": "This plan belongs to {owner}, not {login}.",
                        "pt-BR": "Este plano é de {owner}, não de {login}."},
})
