"""Apply an ``ImportPlan`` in one transaction, with a batch holding a before/after image of every row.

Bulk Core statements only: ``INSERT ... RETURNING`` executemany for creates, ``UPDATE ... WHERE id``
executemany (one statement per set of changed columns) for updates; no per-row queries. The plan's
fingerprint is re-read first (rows locked on PostgreSQL): any difference and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crmxl import i18n
from crmxl.db.models import utcnow
from crmxl.db.session import Database
from crmxl.errors import Conflict, CrmxlError, PermissionDenied
from crmxl.services.access import Actor
from crmxl.services.history import BatchRecorder
from crmxl.services.images import chunks, load_images, replace_qualifications, to_json
from crmxl.services.importing.model import ImportPlan
from crmxl.services.importing.plan import ACCOUNT_FIELDS, CONTACT_FIELDS
from crmxl.services.importing.reference import ACCOUNTS, CONTACTS, LINKS, QUALIFICATIONS
from crmxl.services.progress import Progress, no_progress
from crmxl.validation.cells import name_key

WRITE_CHUNK = 2000
STALE_LIST = 10


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
    except IntegrityError:  # a concurrent writer took a number or removed an account after the check
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
    for part in chunks(sorted(fp.new_numbers)):
        stale += [f"account {n}" for n in conn.execute(select(ACCOUNTS.c.number).where(ACCOUNTS.c.number.in_(part))
                                                       ).scalars()]
    identifiers = sorted({identifier for identifier, _ in fp.new_contacts})
    for part in chunks(identifiers):
        for identifier, name in conn.execute(
            select(CONTACTS.c.identifier, CONTACTS.c.name).where(CONTACTS.c.identifier.in_(part))
        ):
            if (identifier, name_key(name)) in fp.new_contacts:
                stale.append(f"contact {identifier} {name}")
    if stale:
        raise Conflict("plan_stale", count=len(stale), rows=", ".join(sorted(set(stale))[:STALE_LIST]))


def _versions(conn: Connection, table: Any, ids: list[int], lock: bool) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in chunks(ids):
        query = select(table.c.id, table.c.version).where(table.c.id.in_(part))
        if lock:
            query = query.with_for_update()
        found.update((i, v) for i, v in conn.execute(query))
    return found


class _Writer:
    def __init__(self, conn: Connection, actor: Actor, plan: ImportPlan, progress: Progress, total: int) -> None:
        self.conn, self.actor, self.plan, self.progress, self.total = conn, actor, plan, progress, total
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

    def insert(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` and return their new ids, in order."""
        if self.conn.dialect.name == "sqlite":
            return self._insert_sqlite(table, rows)
        return self._insert_with_sequence(table, rows)

    def _insert_with_sequence(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """PostgreSQL: draw the ids from the table's sequence in one query, then insert them with the
        rows (much faster than ``RETURNING`` on a large executemany)."""
        ids = list(self.conn.execute(
            text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)"),
            {"n": len(rows)}).scalars())
        stmt = insert(table)
        for start in range(0, len(rows), WRITE_CHUNK):
            part = [{**row, "id": new_id} for row, new_id in zip(rows[start:start + WRITE_CHUNK],
                                                                 ids[start:start + WRITE_CHUNK], strict=True)]
            self.conn.execute(stmt, part)
            self.step(len(part))
        return ids

    def _insert_sqlite(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """SQLite gives a new row the largest id plus one, and this transaction holds the only write
        lock: the ids are the next ``len(rows)`` numbers (checked), without a RETURNING round trip."""
        last = self.conn.execute(select(func.max(table.c.id))).scalar() or 0
        stmt = insert(table)
        for part in chunks(rows, WRITE_CHUNK):
            self.conn.execute(stmt, list(part))
            self.step(len(part))
        count, low, high = self.conn.execute(
            select(func.count(), func.min(table.c.id), func.max(table.c.id)).where(table.c.id > last)).one()
        if (count, low, high) != (len(rows), last + 1, last + len(rows)):
            raise RuntimeError(f"unexpected ids after a bulk insert into {table.name}")
        return list(range(last + 1, last + 1 + len(rows)))

    def update(self, table: Any, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """``updates``: (id, {column: new value}); one executemany per set of columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row_id, values in updates:
            groups[tuple(sorted(values))].append({"_id": row_id, **{f"v_{k}": v for k, v in values.items()}})
        for columns, rows in groups.items():
            stmt = (update(table).where(table.c.id == bindparam("_id"))
                    .values({**{c: bindparam(f"v_{c}") for c in columns},
                             "version": table.c.version + 1, "updated_at": self.now}))
            for part in chunks(rows, WRITE_CHUNK):
                self.conn.execute(stmt, list(part))
                self.step(len(part))

    # accounts ----------------------------------------------------------------------------------
    def create_accounts(self) -> None:
        creates = self.plan.accounts_create
        if not creates:
            return
        rows = [{"number": c.number, **c.values, "owner_id": self.owner_id(c.owner), "created_at": self.now,
                 "updated_at": self.now, "version": 1} for c in creates]
        ids = self.insert(ACCOUNTS, rows)
        stamps = {"created_at": self.now_json, "updated_at": self.now_json}
        add = self.recorder.add
        for create, row, new_id in zip(creates, rows, ids, strict=True):
            self.account_ids[create.number] = new_id
            add("account", new_id, "create", None, {"id": new_id, **row, **stamps}, create.row)

    def update_accounts(self) -> None:
        updates = self.plan.accounts_update
        if not updates:
            return
        before = load_images(self.conn, "account", [u.id for u in updates])
        writes = []
        for upd in updates:
            values = {("owner_id" if k == "owner" else k): (self.owner_id(new) if k == "owner" else new)
                      for k, (_old, new) in upd.changes.items()}
            writes.append((upd.id, values))
            old = before[upd.id]
            after = {**old, **{k: to_json(v) for k, v in values.items()}, "version": old["version"] + 1,
                     "updated_at": to_json(self.now)}
            self.recorder.add("account", upd.id, "update", old, after, upd.row)
        self.update(ACCOUNTS, writes)

    # contacts ----------------------------------------------------------------------------------
    def create_contacts(self) -> None:
        creates = self.plan.contacts_create
        if not creates:
            return
        rows = [{"account_id": c.account_id if c.account_id is not None else self.account_ids[c.identifier],
                 "identifier": c.identifier, "name": c.name, **{f: c.values.get(f) for f in CONTACT_FIELDS},
                 "created_at": self.now, "updated_at": self.now, "version": 1} for c in creates]
        ids = self.insert(CONTACTS, rows)
        links = []
        stamps = {"created_at": self.now_json, "updated_at": self.now_json}
        add = self.recorder.add
        for create, row, new_id in zip(creates, rows, ids, strict=True):
            qualification_ids = self.quals(create.qualifications)
            links += [{"contact_id": new_id, "qualification_id": q} for q in qualification_ids]
            after = {"id": new_id, **row, **stamps, "qualifications": qualification_ids}
            if after["birth_date"] is not None:
                after["birth_date"] = to_json(after["birth_date"])
            add("contact", new_id, "create", None, after, create.row)
        for part in chunks(links, WRITE_CHUNK):
            self.conn.execute(insert(LINKS), list(part))

    def update_contacts(self) -> None:
        updates = self.plan.contacts_update
        if not updates:
            return
        before = load_images(self.conn, "contact", [u.id for u in updates])
        writes = []
        links: dict[int, list[int]] = {}
        for upd in updates:
            values = {k: new for k, (_old, new) in upd.changes.items() if k != "qualifications"}
            old = before[upd.id]
            after = {**old, **{k: to_json(v) for k, v in values.items()}, "version": old["version"] + 1,
                     "updated_at": to_json(self.now)}
            if "qualifications" in upd.changes:
                links[upd.id] = after["qualifications"] = self.quals(upd.changes["qualifications"][1])
            writes.append((upd.id, values))
            self.recorder.add("contact", upd.id, "update", old, after, upd.row)
        self.update(CONTACTS, writes)
        if links:
            replace_qualifications(self.conn, links)


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
