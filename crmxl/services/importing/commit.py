"""Apply an ``ImportPlan`` in one transaction, with a batch holding a before/after image of every row.

Set-based, no per-row queries, the ORM off the path (see ``bulk``): created rows get their ids up
front and go in by ``COPY`` (PostgreSQL) or ``executemany`` of tuples (SQLite); updates are staged in a
temporary table and applied by ``UPDATE ... FROM``; the row changes are written by ``INSERT ... SELECT``
with the images built by the database from the stored rows. The plan's fingerprint is read first, in
the write transaction (rows locked on PostgreSQL, the write lock held on SQLite): any difference and
nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crmxl import i18n
from crmxl.db.models import utcnow
from crmxl.db.session import Database
from crmxl.domain.account_number import display_account_number
from crmxl.errors import Conflict, CrmxlError, PermissionDenied
from crmxl.services.access import Actor
from crmxl.services.bulk import Bulk, RowsVanished, Stage
from crmxl.services.history import BatchRecorder
from crmxl.services.images import to_json
from crmxl.services.importing.model import ImportPlan
from crmxl.services.importing.plan import ACCOUNT_FIELDS, CONTACT_FIELDS
from crmxl.services.importing.reference import ACCOUNTS, CONTACTS, LINKS, QUALIFICATIONS
from crmxl.services.progress import Progress, no_progress
from crmxl.validation.cells import name_key
from crmxl.validation.speed import paused_gc

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
        with paused_gc(), db.transaction() as conn, Bulk(conn).writing():
            check_fresh(conn, plan, lock=db.dialect == "postgresql")
            writer = _Writer(conn, actor, plan, progress, total)
            return writer.run()
    except RowsVanished:  # a concurrent writer removed a row after the check
        raise Conflict("plan_stale", count="?", rows="a row the plan creates or refers to") from None
    except IntegrityError as exc:
        if not _lost_a_race(exc):  # not the database moving under the plan: a plan that cannot be applied
            raise
        raise Conflict("plan_stale", count="?", rows="a row the plan creates or refers to") from None


def _lost_a_race(exc: IntegrityError) -> bool:
    """A unique or foreign key violation: a concurrent writer took a number or removed a row after the check
    (any other violation, e.g. a value missing, is no race)."""
    state = getattr(exc.orig, "sqlstate", None)
    if state is not None:
        return state in ("23505", "23503")
    return str(exc.orig).startswith(("UNIQUE constraint failed", "FOREIGN KEY constraint failed"))


def check_rights(actor: Actor, plan: ImportPlan) -> None:
    """The actor may place accounts in every portfolio the plan writes, and touch every account it updates."""
    owners: dict[str | None, None] = dict.fromkeys(create.owner for create in plan.accounts_create)
    for upd in plan.accounts_update:
        owners[upd.owner] = None
        if "owner" in upd.changes:
            owners[upd.changes["owner"][1]] = None
    for owner in owners:  # each portfolio once, in the order the plan names them
        actor.require(owner)


def check_fresh(conn: Connection, plan: ImportPlan, *, lock: bool) -> None:
    """Raise ``Conflict('plan_stale')`` unless the database still is as the plan saw it."""
    fp = plan.fingerprint
    # rows named as the user knows them: accounts by number, contacts by name and account
    account = {u.id: display_account_number(u.number) for u in plan.accounts_update}
    account.update((c.account_id, display_account_number(c.identifier)) for c in plan.contacts_create if c.account_id)
    contact = {u.id: f"{u.name} ({display_account_number(u.identifier)})" for u in plan.contacts_update}
    stale: list[str] = []
    accounts = _versions(conn, ACCOUNTS, sorted(set(fp.accounts) | set(fp.parents)), lock)
    stale += [account.get(i, f"#{i}") for i, v in fp.accounts.items() if accounts.get(i) != v]
    stale += [account.get(i, f"#{i}") for i in fp.parents if i not in accounts]
    contacts = _versions(conn, CONTACTS, sorted(fp.contacts), lock)
    stale += [contact.get(i, f"#{i}") for i, v in fp.contacts.items() if contacts.get(i) != v]
    if fp.new_numbers:
        taken = select(ACCOUNTS.c.number).where(_among(conn, ACCOUNTS.c.number, sorted(fp.new_numbers)))
        stale += [display_account_number(n) for n in conn.execute(taken).scalars()]
    identifiers = sorted({identifier for identifier, _ in fp.new_contacts})
    if identifiers:
        for identifier, name in conn.execute(select(CONTACTS.c.identifier, CONTACTS.c.name)
                                             .where(_among(conn, CONTACTS.c.identifier, identifiers))):
            if (identifier, name_key(name)) in fp.new_contacts:
                stale.append(f"{name} ({display_account_number(identifier)})")
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
    """Writes a plan set-based (see ``bulk``), in this order, each part with its row changes: account
    creates, account updates, contact creates, contact updates."""

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

    def create(self, table: Any, entity: str, columns: list[str], rows: list[tuple], sources: list[int],
               quals: list[list[int]] | None = None) -> None:
        """Insert ``rows`` (driver-ready tuples of ``columns``, the new id first), from the worksheet rows
        ``sources`` (contacts: with ``quals``, their qualification ids), and record their creation: the
        stored rows as after images."""
        self.bulk.insert_rows(table.name, columns, rows, self.step)
        if quals is not None:
            self.bulk.insert_rows(LINKS.name, ["contact_id", "qualification_id"],
                                  [(row[0], q) for row, qs in zip(rows, quals) for q in qs])
        stage = self.bulk.stage(f"crmxl_{entity}_creates", table,
                                [(seq, row[0], source, 0) for seq, (row, source) in enumerate(zip(rows, sources), 1)])
        stage.record(self.recorder.flush(), entity, "create", with_quals=quals is not None)
        stage.drop()

    def update(self, table: Any, entity: str, updates: list[Any], convert: dict[str, tuple[str, Callable[[Any], Any]]],
               *, quals: bool = False) -> Stage:
        """Stage ``updates`` (plan updates: id, row, changes), record their images, apply them. A change of
        a key in ``convert`` (column or "quals", function) is staged in that column as the function of the
        new value."""
        columns = updatable(table)
        slots = {c: i for i, c in enumerate([*columns, "quals"])}
        layouts: dict[tuple[str, ...], tuple[int, Any, list[tuple[int, Callable[[Any], Any]]]]] = {}
        rows = []
        for seq, upd in enumerate(updates, start=1):
            changes = upd.changes
            keys = tuple(changes)
            layout = layouts.get(keys)
            if layout is None:
                layout = layouts[keys] = _layout(keys, slots, convert, len(columns) + quals)
            mask, scatter, conversions = layout
            news = [new for _old, new in changes.values()]
            for i, function in conversions:
                news[i] = function(news[i])
            news.append(None)
            rows.append((seq, upd.id, upd.row, mask, *scatter(news)))
        stage = self.bulk.stage(f"crmxl_{entity}_updates", table, rows, columns, quals=quals)
        stage.record(self.recorder.flush(), entity, "update", now_json=self.now_json, with_quals=entity == "contact")
        stage.apply(self.now, self.step)
        return stage

    # accounts ----------------------------------------------------------------------------------
    def create_accounts(self) -> None:
        creates = self.plan.accounts_create
        if not creates:
            return
        now = self.bulk.stored(ACCOUNTS.c.created_at, self.now)
        values, owner_id = itemgetter(*ACCOUNT_FIELDS), self.owner_id
        ids = self.bulk.next_ids(ACCOUNTS, len(creates))
        rows = [(new_id, c.number, *values(c.values), owner_id(c.owner), now, now, 1)
                for new_id, c in zip(ids, creates, strict=True)]
        self.create(ACCOUNTS, "account", ["id", "number", *ACCOUNT_FIELDS, "owner_id", "created_at", "updated_at",
                                          "version"], rows, [c.row for c in creates])
        self.account_ids.update(zip((c.number for c in creates), ids))

    def update_accounts(self) -> None:
        if self.plan.accounts_update:
            self.update(ACCOUNTS, "account", self.plan.accounts_update, {"owner": ("owner_id", self.owner_id)}).drop()

    # contacts ----------------------------------------------------------------------------------
    def create_contacts(self) -> None:
        creates = self.plan.contacts_create
        if not creates:
            return
        now = self.bulk.stored(CONTACTS.c.created_at, self.now)
        birth = CONTACTS.c.birth_date
        ids = self.bulk.next_ids(CONTACTS, len(creates))
        rows = []
        for new_id, c in zip(ids, creates, strict=True):
            values = {f: c.values.get(f) for f in CONTACT_FIELDS}
            values["birth_date"] = self.bulk.stored(birth, values["birth_date"])
            account_id = c.account_id if c.account_id is not None else self.account_ids[c.identifier]
            rows.append((new_id, account_id, c.identifier, c.name, *values.values(), now, now, 1))
        self.create(CONTACTS, "contact", ["id", "account_id", "identifier", "name", *CONTACT_FIELDS, "created_at",
                                          "updated_at", "version"], rows, [c.row for c in creates],
                    [self.quals(c.qualifications) for c in creates])

    def update_contacts(self) -> None:
        updates = self.plan.contacts_update
        if not updates:
            return
        birth, dumps = CONTACTS.c.birth_date, self.bulk.dumps
        stage = self.update(CONTACTS, "contact", updates, {
            "birth_date": ("birth_date", lambda value: self.bulk.stored(birth, value)),
            "qualifications": ("quals", lambda names: dumps(self.quals(names))),
        }, quals=True)
        links = {u.id: self.quals(u.changes["qualifications"][1]) for u in updates if "qualifications" in u.changes}
        if links:
            self.conn.execute(text(f"DELETE FROM {LINKS.name} WHERE contact_id IN ({stage.ids_where(stage.quals_bit)})"))
            self.bulk.insert_rows(LINKS.name, ["contact_id", "qualification_id"],
                                  [(cid, q) for cid, qs in links.items() for q in qs])
        stage.drop()


def _layout(keys: tuple[str, ...], slots: dict[str, int], convert: dict[str, tuple[str, Callable[[Any], Any]]],
            width: int) -> tuple[int, Any, list[tuple[int, Callable[[Any], Any]]]]:
    """How an update changing ``keys`` is staged: (mask, a function placing the new values (and a last
    None) in the staged columns, [(position, conversion)])."""
    places = [len(keys)] * width  # the None after the new values
    mask = 0
    conversions = []
    for i, key in enumerate(keys):
        if key in convert:
            key, function = convert[key]
            conversions.append((i, function))
        places[slots[key]] = i
        mask |= 1 << slots[key]
    scatter = itemgetter(*places) if width > 1 else lambda values: (values[places[0]],)
    return mask, scatter, conversions


def updatable(table: Any) -> list[str]:
    """The columns an update may set (all but those the commit itself sets)."""
    return [c.name for c in table.columns if c.name not in FIXED_COLUMNS]


__all__ = ["ACCOUNT_FIELDS", "ImportHasErrors", "check_fresh", "check_rights", "commit_plan"]

i18n.register(
    {
        "import_has_errors": {
            "en": "Nothing was committed: the file has {errors:plural:error:errors} in {rows:plural:row:rows}. Fix {errors:one:it:them}, or commit "
                  "the valid rows only (--skip-invalid).",
            "pt-BR": "Nada foi gravado: o arquivo tem {errors:plural:erro:erros} em {rows:plural:linha:linhas}. Corrija-{errors:one:o:os}, ou grave "
                     "só as linhas válidas (--skip-invalid).",
            "web": {"en": "Nothing was committed: the file has {errors:plural:error:errors} in {rows:plural:row:rows}. Fix {errors:one:it:them} and upload "
                          "the file again.",
                    "pt-BR": "Nada foi gravado: o arquivo tem {errors:plural:erro:erros} em {rows:plural:linha:linhas}. Corrija-{errors:one:o:os} e envie o "
                             "arquivo de novo."},
            "api": {"en": "Nothing was committed: the file has {errors:plural:error:errors} in {rows:plural:row:rows}. Fix {errors:one:it:them}, or commit "
                          "the valid rows only (skip_invalid=true).",
                    "pt-BR": "Nada foi gravado: o arquivo tem {errors:plural:erro:erros} em {rows:plural:linha:linhas}. Corrija-{errors:one:o:os}, ou grave "
                             "só as linhas válidas (skip_invalid=true)."},
        },
        "import_plan_forbidden": {
            "en": "User {login} may not commit a plan computed for {owner}.",
            "pt-BR": "O usuário {login} não pode gravar um plano calculado para {owner}.",
        },
        "plan_stale": {
            "en": "Nothing was committed: the database changed since the plan was computed ({count:plural:row:rows}: "
                  "{rows}). Validate the file again.",
            "pt-BR": "Nada foi gravado: o banco de dados mudou desde o cálculo do plano ({count:plural:linha:linhas}: "
                     "{rows}). Valide o arquivo novamente.",
        },
    }
)
