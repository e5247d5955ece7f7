"""Batches: record what a commit changed (before/after images), list them, undo them.

Imports and transfers share this machinery. Every commit writes one
``import_batches`` row and one ``row_changes`` row per touched row, in the same
transaction as the change itself; ``undo`` restores the before-images in one
transaction and refuses if any of those rows changed again since.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.engine import Connection

from crmxl import i18n
from crmxl.db.models import AuditEvent, ImportBatch, Qualification, RowChange, User, utcnow
from crmxl.domain.enums import WITHOUT_PORTFOLIO
from crmxl.db.session import Database, bump_data_version
from crmxl.errors import Conflict, NotFound, PermissionDenied, UnusableInput
from crmxl.services.access import Actor, stored_login
from crmxl.services.bulk import Bulk
from crmxl.services.limits import fit
from crmxl.services.progress import Progress, no_progress
from crmxl.services.restore import ENTITIES, Restore

BATCHES = ImportBatch.__table__
CHANGES = RowChange.__table__
AUDIT = AuditEvent.__table__


def audit(conn: Connection, actor_login: str, action: str, target: str | None = None, **detail: Any) -> None:
    conn.execute(insert(AUDIT).values(at=utcnow(), user_login=actor_login, action=action, target=target, detail=detail))


@dataclass
class BatchRecorder:
    """Collects row changes during a commit and writes them with the batch, in bulk."""

    conn: Connection
    kind: str
    actor: Actor
    file_name: str | None = None
    file_sha256: str | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)
    batch_id: int | None = None

    def __post_init__(self) -> None:  # a file's name is only shown: kept cut to its column, never refused
        self.file_name = fit(self.file_name, BATCHES.c.file_name)

    def start(self) -> int:
        result = self.conn.execute(
            insert(BATCHES).values(
                kind=self.kind,
                user_login=self.actor.login,
                created_at=utcnow(),
                file_name=self.file_name,
                file_sha256=self.file_sha256,
                counts={},
                status="committed",
            )
        )
        self.batch_id = result.inserted_primary_key[0]
        return self.batch_id

    def add(self, entity: str, entity_id: int, action: str, before: dict | None, after: dict | None,
            row: int | None = None) -> None:
        self.changes.append(
            {"entity": entity, "entity_id": entity_id, "action": action, "before": before, "after": after, "row": row}
        )

    def flush(self) -> int:
        """Write the changes added so far (row_changes keep the order the changes were added in); returns
        the batch id, for changes the caller writes itself next."""
        if self.batch_id is None:
            self.start()
        if self.changes:
            Bulk(self.conn).write_changes(self.batch_id, self.changes)
            self.changes = []
        return self.batch_id

    def finish(self, counts: dict[str, int]) -> int:
        self.flush()
        self.conn.execute(update(BATCHES).where(BATCHES.c.id == self.batch_id).values(counts=counts))
        audit(self.conn, self.actor.login, self.kind, f"batch:{self.batch_id}", file=self.file_name, counts=counts)
        bump_data_version(self.conn)
        return self.batch_id


@dataclass(frozen=True)
class BatchSummary:
    id: int
    kind: str
    user_login: str
    created_at: str
    file_name: str | None
    counts: dict[str, int]
    status: str
    undone_by: int | None
    undo_of: int | None


def _summary(row: Any) -> BatchSummary:
    return BatchSummary(row.id, row.kind, row.user_login, row.created_at.isoformat(sep=" "), row.file_name,
                        dict(row.counts or {}), row.status, row.undone_by, row.undo_of)


def _visible_logins(conn: Connection, actor: Actor) -> set[str] | None:
    if actor.portfolios is None:
        return None
    return set(actor.portfolios)


def parse_day(value: str | None) -> dt.date | None:
    """A day written YYYY-MM-DD (none when empty); anything else is a usage error that says how to write it."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) == 10:  # 2026-03-31, not the other forms fromisoformat takes
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(text)
    raise UnusableInput("history_bad_date", value=value)


KINDS = ("import", "transfer", "undo")  # what a listing may be filtered by (import: of accounts or contacts)


def parse_kind(value: str | None) -> str | None:
    """A kind of batch to list (none when empty); anything else is a usage error naming the kinds."""
    text = (value or "").strip()
    if not text:
        return None
    if text not in KINDS:
        raise UnusableInput("history_bad_kind", value=value, kinds=", ".join(KINDS))
    return text


def check_days(since: dt.date | None, until: dt.date | None) -> None:
    if since is not None and until is not None and since > until:
        raise UnusableInput("history_dates_reversed", since=since.isoformat(), until=until.isoformat())


@dataclass(frozen=True)
class Filters:
    """Which batches a listing shows: of ``user`` only, of ``kind`` only (import, transfer, undo), made from
    ``since`` to ``until`` (days in UTC, both included)."""

    user: str | None = None
    kind: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self, conn: Connection, actor: Actor) -> list[Any]:
        check_days(self.since, self.until)
        clauses: list[Any] = []
        logins = _visible_logins(conn, actor)
        if self.user:  # a login in any case; one that names no user is said so (not "no batches")
            login = stored_login(conn, self.user)
            if logins is not None and login not in logins:  # a non-admin learns nothing of other logins
                raise NotFound("history_user_not_visible", login=self.user, actor=actor.login)
            if login is None:
                raise NotFound("login_unknown", login=self.user)
            clauses.append(BATCHES.c.user_login == login)
        if self.kind == "import":  # import_accounts, import_contacts
            clauses.append(BATCHES.c.kind.startswith("import_"))
        elif self.kind:
            clauses.append(BATCHES.c.kind == self.kind)
        if self.since is not None:
            clauses.append(BATCHES.c.created_at >= dt.datetime.combine(self.since, dt.time()))
        if self.until is not None:
            clauses.append(BATCHES.c.created_at < dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time()))
        if logins is not None:
            clauses.append(BATCHES.c.user_login.in_(sorted(logins)))
        return clauses


def list_batches(db: Database, actor: Actor, limit: int = 50, *, user: str | None = None,
                 kind: str | None = None, since: dt.date | None = None,
                 until: dt.date | None = None) -> list[BatchSummary]:
    """The newest batches the actor may see (admin: all; others: their own and their agents'), filtered as
    ``Filters`` says."""
    return page_batches(db, actor, limit, Filters(user, kind, since, until)).batches


@dataclass(frozen=True)
class BatchPage:
    """One page of a listing, newest first; ``older`` / ``newer``: the batch id to page on from (pass it as
    ``before`` / ``after``), none at the end of the listing."""

    batches: list[BatchSummary]
    older: int | None
    newer: int | None


def page_batches(db: Database, actor: Actor, size: int, filters: Filters = Filters(), *,
                 before: int | None = None, after: int | None = None) -> BatchPage:
    """``size`` batches older than batch ``before``, or newer than batch ``after``, or else the newest ones.
    Pages are cut at batch ids, so a batch committed meanwhile shifts nothing; paging newer up to the newest
    batches gives the first page again. Both at once is refused: the page was neither, and its links led
    elsewhere."""
    if before is not None and after is not None:
        raise UnusableInput("history_before_and_after", before=before, after=after)
    with db.transaction() as conn:
        where = filters.where(conn, actor)
        ids = BATCHES.c.id
        if after is not None:
            rows = list(conn.execute(select(BATCHES).where(*where, ids > after).order_by(ids.asc()).limit(size + 1)))
            if len(rows) > size:
                rows = rows[:size][::-1]
                older = rows[-1].id if _more(conn, where, ids < rows[-1].id) else None
                return BatchPage([_summary(r) for r in rows], older, rows[0].id)
            before = None  # the newest batches: the first page
        query = select(BATCHES).where(*where).order_by(ids.desc()).limit(size + 1)
        if before is not None:
            query = query.where(ids < before)
        rows = list(conn.execute(query))
        older = rows[size - 1].id if len(rows) > size else None
        rows = rows[:size]
        newer = rows[0].id if rows and _more(conn, where, ids > rows[0].id) else None
        if not rows and before is not None and _more(conn, where, ids >= before):
            newer = before - 1  # past the oldest (an old link): the way back
        return BatchPage([_summary(r) for r in rows], older, newer)


def _more(conn: Connection, where: list[Any], beyond: Any) -> bool:
    return bool(conn.execute(select(exists().where(*where, beyond))).scalar())


def get_batch(db: Database, actor: Actor, batch_id: int) -> tuple[BatchSummary, list[dict[str, Any]]]:
    """A batch and its row changes (for a detail view)."""
    with db.transaction() as conn:
        row = conn.execute(select(BATCHES).where(BATCHES.c.id == batch_id)).first()
        if row is None:
            raise NotFound("batch_unknown", batch_id=batch_id)
        logins = _visible_logins(conn, actor)
        if logins is not None and row.user_login not in logins:
            raise PermissionDenied("batch_forbidden", login=actor.login, batch_id=batch_id)
        changes = [
            {"entity": c.entity, "entity_id": c.entity_id, "action": c.action, "before": c.before,
             "after": c.after, "row": c.row}
            for c in conn.execute(select(CHANGES).where(CHANGES.c.batch_id == batch_id).order_by(CHANGES.c.id))
        ]
        return _summary(row), changes


def readable(db: Database, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``changes`` as a person reads them: qualification ids as names, a portfolio's user id as its login
    (the images keep ids: they are what an undo writes back)."""
    with db.transaction() as conn:
        names = dict(conn.execute(select(Qualification.__table__.c.id, Qualification.__table__.c.name)).all())
        logins = dict(conn.execute(select(User.__table__.c.id, User.__table__.c.login)).all())

    def image(values: dict[str, Any] | None) -> dict[str, Any] | None:
        if values is None:
            return None
        shown = dict(values)
        if isinstance(shown.get("qualifications"), list):
            shown["qualifications"] = [names.get(q, q) for q in shown["qualifications"]]
        if "owner_id" in shown:
            owner = shown["owner_id"]
            shown["owner_id"] = WITHOUT_PORTFOLIO if owner is None else logins.get(owner, owner)
        return shown

    return [{**c, "before": image(c["before"]), "after": image(c["after"])} for c in changes]


def last_import(db: Database, actor: Actor, file_name: str | None = None) -> BatchSummary | None:
    """The actor's newest import (of ``file_name``, when given) that can still be undone."""
    query = select(BATCHES).where(BATCHES.c.user_login == actor.login, BATCHES.c.status == "committed",
                                  BATCHES.c.kind.like("import_%"))
    if file_name is not None:
        query = query.where(BATCHES.c.file_name == fit(file_name, BATCHES.c.file_name))  # as it was stored
    with db.transaction() as conn:
        row = conn.execute(query.order_by(BATCHES.c.id.desc()).limit(1)).first()
    return None if row is None else _summary(row)


def _owner_logins(conn: Connection, owner_ids: set[int]) -> dict[int, str]:
    users = User.__table__
    ids = sorted(i for i in owner_ids if i is not None)
    if not ids:
        return {}
    return {uid: login for uid, login in conn.execute(select(users.c.id, users.c.login).where(users.c.id.in_(ids)))}


def undo(db: Database, actor: Actor, batch_id: int, *, progress: Progress = no_progress) -> int:
    """Restore every row of ``batch_id`` to its before-image (set-based, see ``restore``); returns the
    undo batch's id. Nothing is written when a row changed again since, or the actor may not touch it."""
    with db.transaction() as conn, Bulk(conn).writing():
        batch = conn.execute(select(BATCHES).where(BATCHES.c.id == batch_id).with_for_update()).first()
        if batch is None:
            raise NotFound("batch_unknown", batch_id=batch_id)
        logins = _visible_logins(conn, actor)
        if logins is not None and batch.user_login not in logins:  # as get_batch: undo only what one may see
            raise PermissionDenied("batch_forbidden", login=actor.login, batch_id=batch_id)
        if batch.kind == "undo":
            raise Conflict("batch_is_an_undo", batch_id=batch_id, undo_of=batch.undo_of)
        if batch.status != "committed":
            raise Conflict("batch_already_undone", batch_id=batch_id, undone_by=batch.undone_by)
        restore = Restore(conn, batch_id)
        restore.lock()
        total = restore.count()
        progress("undo", 0, total)
        if actor.portfolios is not None:
            owner_ids = restore.owner_ids()
            logins = _owner_logins(conn, owner_ids)
            for owner_id in owner_ids:
                actor.require(logins.get(owner_id) if owner_id is not None else None)
        changed = restore.changed_again()
        if changed:
            raise Conflict("undo_conflict", batch_id=batch_id, count=len(changed), rows=", ".join(changed[:10]))
        parents = restore.accounts_with_new_contacts()
        if parents:
            raise Conflict("undo_contacts_added", batch_id=batch_id, accounts=", ".join(parents[:10]))

        recorder = BatchRecorder(conn, "undo", actor, batch.file_name, batch.file_sha256)
        new_id = recorder.start()
        restored = restore.record(new_id)
        progress("undo", total // 2, total)
        for entity in ENTITIES:
            restore.apply(entity)
        recorder.finish({"rows_restored": restored})
        conn.execute(update(BATCHES).where(BATCHES.c.id == batch_id).values(status="undone", undone_by=new_id))
        conn.execute(update(BATCHES).where(BATCHES.c.id == new_id).values(undo_of=batch_id))
        progress("undo", total, total)
        return new_id


i18n.register(
    {
        "history_before_and_after": {
            "en": "Ask for batches before a batch or after one, one at a time: before={before} and after={after} "
                  "were both given.",
            "pt-BR": "Peça os lotes antes de um lote ou depois de um, um de cada vez: before={before} e "
                     "after={after} foram informados juntos.",
        },
        "history_user_not_visible": {
            "en": "There is no user {login} among those whose batches {actor} may see.",
            "pt-BR": "Não há usuário {login} entre aqueles cujos lotes {actor} pode ver.",
        },
        "history_bad_date": {
            "en": "'{value}' is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31.",
            "pt-BR": "'{value}' não é uma data: escreva-a como AAAA-MM-DD (YYYY-MM-DD), por exemplo 2026-03-31.",
        },
        "history_bad_kind": {
            "en": "'{value}' is not one of {kinds}.",
            "pt-BR": "'{value}' não é um destes tipos de lote: {kinds}.",
        },
        "history_dates_reversed": {
            "en": "The first day ({since}) is after the last day ({until}): no batch can be in between.",
            "pt-BR": "O primeiro dia ({since}) é depois do último dia ({until}): nenhum lote pode estar entre eles.",
        },
        "batch_unknown": {"en": "There is no batch {batch_id}.", "pt-BR": "Não existe o lote {batch_id}."},
        "batch_forbidden": {
            "en": "User {login} may not see batch {batch_id}.",
            "pt-BR": "O usuário {login} não pode ver o lote {batch_id}.",
        },
        "batch_is_an_undo": {
            "en": "Batch {batch_id} is the undo of batch {undo_of}: it cannot be undone itself; import the file "
                  "again to make those changes again.",
            "pt-BR": "O lote {batch_id} é o desfazer do lote {undo_of}: ele mesmo não pode ser desfeito; importe o "
                     "arquivo de novo para refazer aquelas alterações.",
        },
        "batch_already_undone": {
            "en": "Batch {batch_id} was undone already, by batch {undone_by}.",
            "pt-BR": "O lote {batch_id} já foi desfeito, pelo lote {undone_by}.",
        },
        "undo_contacts_added": {
            "en": "Batch {batch_id} cannot be undone: contacts were added since to accounts it created "
                  "({accounts}). Undo the batches that added them first.",
            "pt-BR": "O lote {batch_id} não pode ser desfeito: foram adicionados contatos às contas que ele "
                     "criou ({accounts}). Desfaça antes os lotes que os adicionaram.",
        },
        "undo_conflict": {
            "en": "Batch {batch_id} cannot be undone: {count} of its rows changed again since ({rows}).",
            "pt-BR": "O lote {batch_id} não pode ser desfeito: {count:plural:linha mudou:linhas mudaram} desde então ({rows}).",
        },
    }
)
