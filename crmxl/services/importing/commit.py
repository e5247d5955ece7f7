"""Apply an ``ImportPlan`` in one transaction, with a batch holding a before/after image of every row.

Set-based, no per-row queries (see ``bulk``): creates get their ids up front and go in by ``COPY``
(PostgreSQL) or one ``executemany`` (SQLite), their after images serialised once; updates are staged
in a temporary table, their images written by one ``INSERT ... SELECT`` and the rows changed by one
``UPDATE ... FROM``. The plan's fingerprint is re-read first (rows locked on PostgreSQL): any
difference and nothing is written.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crmxl import i18n
from crmxl.db.models import utcnow
from crmxl.db.session import Database
from crmxl.errors import Conflict, CrmxlError, PermissionDenied
from crmxl.services.access import Actor
from crmxl.services.history import BatchRecorder
from crmxl.services.images import to_json
from crmxl.services.importing.bulk import Bulk, RowsVanished, Stage
from crmxl.services.importing.model import ImportPlan
from crmxl.services.importing.plan import ACCOUNT_FIELDS, CONTACT_FIELDS
from crmxl.services.importing.reference import ACCOUNTS, CONTACTS, LINKS, QUALIFICATIONS
from crmxl.services.progress import Progress, no_progress
from crmxl.validation.cells import name_key

STALE_LIST = 10
FIXED_COLUMNS = ("id", "created_at", "updated_at", "version")  # set by the commit itself, never staged


class ImportHasErrors(CrmxlError):
    """The plan has errors and the caller did not ask to commit the valid rows only."""

    exit_code = 1


def commit_plan(db: Database, actor: Actor, plan: ImportPlan, *, skip_invalid: bool = False,
                progress: Progress = no_progress) -> int | None:
    """Apply ``plan``; returns the batch id, or None when there is nothing to change (no empty batches)."""
    if actor.login != plan.actor:
        raise PermissionDenied("import_plan_forbidden", login=actor.login, owner=plan.actor)
    if plan.has_errors and not skip_invalid:
        raise ImportHasErrors("import_has_errors", errors=len(plan.result.errors), rows=len(plan.error_rows))
    check_rights(actor, plan)
    if plan.is_empty:
        return None
    total = len(plan.accounts_create) + len(plan.accounts_update) + len(plan.contacts_create) + len(plan.contacts_update)
    progress("commit", 0, total)
    try:
        with db.transaction() as conn:
            check_fresh(conn, plan, lock=db.dialect == "postgresql")
            writer = _Writer(conn, actor, plan, progress, total)
            return writer.run()
    except (IntegrityError, RowsVanished):  # a concurrent writer took a number or removed an account after the check
        raise Conflict("plan_stale", count="?", rows="a row the plan creates or refers to") from None


def check_rights(actor: Actor, plan: ImportPlan) -> None:
    """The actor may place accounts in every portfolio the plan writes, and touch every account it updates."""
    for create in plan.accounts_create:
        actor.require(create.owner)
    for upd in plan.accounts_update:
        actor.require(upd.owner)
        if "owner" in upd.changes:
            actor.require(upd.changes["owner"][1])


def check_fresh(conn: Connection, plan: ImportPlan, *, lock: bool) -> None:
    """Raise ``Conflict('plan_stale')`` unless the database still is as the plan saw it."""
    fp = plan.fingerprint
    stale: list[str] = []
    accounts = _versions(conn, ACCOUNTS, sorted(set(fp.accounts) | set(fp.parents)), lock)
    stale += [f"account {i}" for i, v in fp.accounts.items() if accounts.get(i) != v]
    stale += [f"account {i}" for i in fp.parents if i not in accounts]
    contacts = _versions(conn, CONTACTS, sorted(fp.contacts), lock)
    stale += [f"contact {i}" for i, v in fp.contacts.items() if contacts.get(i) != v]
    if fp.new_numbers:
        taken = select(ACCOUNTS.c.number).where(_among(conn, ACCOUNTS.c.number, sorted(fp.new_numbers)))
        stale += [f"account {n}" for n in conn.execute(taken).scalars()]
    identifiers = sorted({identifier for identifier, _ in fp.new_contacts})
    if identifiers:
        for identifier, name in conn.execute(select(CONTACTS.c.identifier, CONTACTS.c.name)
                                             .where(_among(conn, CONTACTS.c.identifier, identifiers))):
            if (identifier, name_key(name)) in fp.new_contacts:
                stale.append(f"contact {identifier} {name}")
    if stale:
        raise Conflict("plan_stale", count=len(stale), rows=", ".join(sorted(set(stale))[:STALE_LIST]))


def _versions(conn: Connection, table: Any, ids: list[int], lock: bool) -> dict[int, int]:
    """id -> version of the rows ``ids`` that exist (locked, in id order, with ``lock``)."""
    if not ids:
        return {}
    query = select(table.c.id, table.c.version).where(_among(conn, table.c.id, ids)).order_by(table.c.id)
    if lock:
        query = query.with_for_update()
    return {i: v for i, v in conn.execute(query)}


def _among(conn: Connection, column: Any, values: list[Any]) -> Any:
    """``column IN values`` with a single bound parameter however many values (an array on PostgreSQL,
    a JSON array on SQLite)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    if conn.dialect.name == "sqlite":
        each = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)


class _Writer:
    """Writes a plan set-based (see ``bulk``): account creates, account updates, contact creates, contact
    updates, each with its row changes, in that order."""

    def __init__(self, conn: Connection, actor: Actor, plan: ImportPlan, progress: Progress, total: int) -> None:
        self.conn, self.actor, self.plan, self.progress, self.total = conn, actor, plan, progress, total
        self.bulk = Bulk(conn)
        self.now = utcnow()
        self.now_json = to_json(self.now)
        self.done = 0
        self.recorder = BatchRecorder(conn, f"import_{plan.template_id}", actor, plan.file_name, plan.sha256)
        self.user_ids = plan.user_ids
        self.qualification_ids = {n: i for n, i in conn.execute(select(QUALIFICATIONS.c.name, QUALIFICATIONS.c.id))}
        self.account_ids: dict[str, int] = {}

    def step(self, count: int) -> None:
        self.done += count
        self.progress("commit", self.done, self.total)

    def owner_id(self, login: str | None) -> int | None:
        return None if login is None else self.user_ids[login]

    def quals(self, names: tuple[str, ...]) -> list[int]:
        return sorted(self.qualification_ids[n] for n in names)

    def run(self) -> int:
        self.recorder.start()
        self.create_accounts()
        self.update_accounts()
        self.create_contacts()
        self.update_contacts()
        plan = self.plan
        counts = {**plan.counts(), "rows": plan.rows, "committed_rows": plan.valid_rows,
                  "reported_rows": len(plan.error_rows)}
        return self.recorder.finish(counts)

    def create(self, table: Any, entity: str, rows: list[dict[str, Any]], source_rows: list[int],
               extra: list[dict[str, Any]] | None = None) -> list[int]:
        """Insert ``rows`` (every column but id) with new ids; record their after images. Returns the ids."""
        ids = self.bulk.next_ids(table, len(rows))
        names = list(rows[0])
        values = itemgetter(*names)
        store = self.bulk.storer(table, ["id", *names])
        self.bulk.insert_rows(table.name, ["id", *names], [store((new_id, *values(row))) for new_id, row in zip(ids, rows)],
                              self.step)
        stamps = {"created_at": self.now_json, "updated_at": self.now_json}
        temporal = [c for c in rows[0] if c not in stamps and isinstance(table.c[c].type, (Date, DateTime))]
        add = self.recorder.add
        for i, (new_id, row, source) in enumerate(zip(ids, rows, source_rows, strict=True)):
            after = {"id": new_id, **row, **stamps}
            for name in temporal:
                after[name] = to_json(after[name])
            if extra is not None:
                after.update(extra[i])
            add(entity, new_id, "create", None, after, source)
        return ids

    def stage_updates(self, table: Any, name: str, updates: list[tuple[int, int, dict[str, Any]]],
                      quals: dict[int, list[int]] | None = None) -> Stage:
        """Stage (id, worksheet row, {column: new value}) in a temporary table (see ``bulk.Stage``)."""
        columns = [c.name for c in table.columns if c.name not in FIXED_COLUMNS]
        bits = {c: 1 << i for i, c in enumerate(columns)}
        quals_bit = 1 << len(columns)
        store = self.bulk.storer(table, columns)
        rows = []
        for seq, (row_id, source, values) in enumerate(updates, start=1):
            mask = 0
            for column in values:
                mask |= bits[column]
            staged = store([values.get(c) for c in columns])
            extra: tuple = ()
            if quals is not None:
                new = quals.get(row_id)
                if new is not None:
                    mask |= quals_bit
                extra = (None if new is None else self.bulk.dumps(new),)
            rows.append((seq, row_id, source, mask, *staged, *extra))
        return self.bulk.stage(name, table, columns, rows, extra=("v_quals",) if quals is not None else ())

    # accounts ----------------------------------------------------------------------------------
    def create_accounts(self) -> None:
        creates = self.plan.accounts_create
        if not creates:
            return
        now = self.now
        rows = [{"number": c.number, **c.values, "owner_id": self.owner_id(c.owner), "created_at": now,
                 "updated_at": now, "version": 1} for c in creates]
        ids = self.create(ACCOUNTS, "account", rows, [c.row for c in creates])
        self.account_ids.update(zip((c.number for c in creates), ids))

    def update_accounts(self) -> None:
        updates = self.plan.accounts_update
        if not updates:
            return
        owner_id = self.owner_id
        staged = []
        for upd in updates:
            values = {k: new for k, (_old, new) in upd.changes.items() if k != "owner"}
            if "owner" in upd.changes:
                values["owner_id"] = owner_id(upd.changes["owner"][1])
            staged.append((upd.id, upd.row, values))
        stage = self.stage_updates(ACCOUNTS, "crmxl_account_updates", staged)
        stage.record(self.recorder.flush(), "account", self.now_json)
        stage.apply(self.now, self.step)
        stage.drop()

    # contacts ----------------------------------------------------------------------------------
    def create_contacts(self) -> None:
        creates = self.plan.contacts_create
        if not creates:
            return
        now = self.now
        rows = [{"account_id": c.account_id if c.account_id is not None else self.account_ids[c.identifier],
                 "identifier": c.identifier, "name": c.name, **{f: c.values.get(f) for f in CONTACT_FIELDS},
                 "created_at": now, "updated_at": now, "version": 1} for c in creates]
        quals = [self.quals(c.qualifications) for c in creates]
        ids = self.create(CONTACTS, "contact", rows, [c.row for c in creates],
                          [{"qualifications": q} for q in quals])
        links = [(new_id, q) for new_id, qs in zip(ids, quals) for q in qs]
        self.bulk.insert_rows(LINKS.name, ["contact_id", "qualification_id"], links)

    def update_contacts(self) -> None:
        updates = self.plan.contacts_update
        if not updates:
            return
        staged = []
        links: dict[int, list[int]] = {}
        for upd in updates:
            values = {k: new for k, (_old, new) in upd.changes.items() if k != "qualifications"}
            if "qualifications" in upd.changes:
                links[upd.id] = self.quals(upd.changes["qualifications"][1])
            staged.append((upd.id, upd.row, values))
        stage = self.stage_updates(CONTACTS, "crmxl_contact_updates", staged, links)
        stage.record(self.recorder.flush(), "contact", self.now_json, quals="v_quals")
        stage.apply(self.now, self.step)
        if links:
            self.conn.execute(text(f"DELETE FROM {LINKS.name} WHERE contact_id IN ({stage.ids_where(stage.quals_bit)})"))
            self.bulk.insert_rows(LINKS.name, ["contact_id", "qualification_id"],
                                  [(cid, q) for cid, qs in links.items() for q in qs])
        stage.drop()


__all__ = ["ACCOUNT_FIELDS", "ImportHasErrors", "check_fresh", "check_rights", "commit_plan"]

i18n.register(
    {
        "import_has_errors": {
            "en": "Nothing was committed: the file has {errors} errors in {rows} rows. Fix them, or commit "
                  "the valid rows only (--skip-invalid).",
            "pt-BR": "Nada foi gravado: o arquivo tem {errors} erros em {rows} linhas. Corrija-os, ou grave "
                     "só as linhas válidas (--skip-invalid).",
        },
        "import_plan_forbidden": {
            "en": "User {login} may not commit a plan computed for {owner}.",
            "pt-BR": "O usuário {login} não pode gravar um plano calculado para {owner}.",
        },
        "plan_stale": {
            "en": "Nothing was committed: the database changed since the plan was computed ({count} rows: "
                  "{rows}). Validate the file again.",
            "pt-BR": "Nada foi gravado: o banco de dados mudou desde o cálculo do plano ({count} linhas: "
                     "{rows}). Valide o arquivo novamente.",
        },
    }
)
