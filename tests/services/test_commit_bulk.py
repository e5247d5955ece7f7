"""The set-based commit (``crmxl.services.bulk``): the images the database builds are exactly the
images of the rows, PostgreSQL's COPY path and SQLite's path write the same tables and history, every
chunk boundary works, a failure half way leaves nothing, and undo restores the database exactly."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from crmxl.db.session import Database
from crmxl.errors import Conflict
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services import bulk, history
from crmxl.services.images import load_images
from crmxl.services.importing import commit
from crmxl.services.imports import commit_import, plan_import
from tests.conftest import restored, table_dump
from tests.services.import_files import actor, contacts_of, demo_accounts, execute, query, workbook
from tests.validation.builders import cnpj

ODD_NAME = 'Clínica "Ação" \\ São João – 🩺 <b>&amp;</b>'


def accounts_rows(url):
    """Creates (one with an odd name, one medical with contacts and qualifications), updates with portfolio
    moves, a cleared-by-omission-free update, a contact added to an existing account."""
    a, b, c, d = demo_accounts(url, "agent.sp1", 4)
    doctor = contacts_of(url, a["account_number"])[0]
    return [
        {**a, "name": ODD_NAME, "phone": "(11) 3333-4444", "contact_name": doctor.name, "contact_type": "DOCTOR",
         "qualifications": "Cardiologia; Pediatria"},
        {**b, "portfolio": "Without Portfolio"},
        {**c, "portfolio": "agent.sp2", "email": "nova@example.com.br", "city": "Santos"},
        {**d, "contact_name": "Nova Pessoa", "contact_type": "OTHERS", "contact_email": "np@example.com.br"},
        {"account_number": cnpj("998877660001"), "name": ODD_NAME, "type": "COMPANY", "portfolio": "agent.sp2",
         "uf": "SP", "contact_name": "Rosa Prado", "contact_type": "OTHERS"},
        {"account_number": "4321/SP", "name": "Dra. Nova", "type": "MEDICAL", "portfolio": "agent.sp1", "uf": "SP",
         "city": "São Paulo", "contact_name": "Nova Médica", "contact_type": "DOCTOR",
         "qualifications": "Dermatologia; Cardiologia"},
        {"account_number": cnpj("998877660002"), "name": "Sem Carteira", "type": "COMPANY",
         "portfolio": "Without Portfolio", "uf": "RJ"},
    ]


def contacts_rows(url):
    """Contacts from an export (hidden keys: empty cells clear values), birth dates set and cleared,
    qualifications replaced and emptied, a new contact."""
    a, b = demo_accounts(url, "agent.sp1", 2)
    first, *rest = contacts_of(url, a["account_number"])
    other = contacts_of(url, b["account_number"])[0]
    rows = [{"account_number": a["account_number"], "identifier": a["account_number"], "name": first.name,
             "type": "DOCTOR", "qualifications": "Neurologia; Pediatria", "birth_date": "25/12/1980",
             "email": "novo@example.com.br"},
            {"account_number": b["account_number"], "identifier": b["account_number"], "name": other.name,
             "type": other.type}]
    keys = [(first.id, first.version), (other.id, other.version)]
    return rows, keys, [first.id, other.id]


def plan_accounts(db, url, tmp_path):
    path = workbook(tmp_path / "accounts.xlsx", accounts_rows(url))
    plan = plan_import(db, actor(db), path, "accounts", allow_transfers=True)
    assert not plan.has_errors, plan.result.findings
    return plan


def plan_contacts(db, url, tmp_path):
    rows, keys, _ = contacts_rows(url)
    new = {"account_number": rows[1]["account_number"], "identifier": rows[1]["account_number"],
           "name": "Lia Médica", "type": "DOCTOR", "birth_date": "01/02/1990", "qualifications": "Pediatria"}
    path = workbook(tmp_path / "contacts.xlsx", rows, tpl=CONTACTS, keys=keys)
    first = plan_import(db, actor(db), path, "contacts")
    path = workbook(tmp_path / "contacts-new.xlsx", [new], tpl=CONTACTS)
    second = plan_import(db, actor(db), path, "contacts")
    assert not first.has_errors and not second.has_errors, (first.result.findings, second.result.findings)
    return first, second


def images_now(url, changes):
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {}
        for entity in ("account", "contact"):
            ids = [c["entity_id"] for c in changes if c["entity"] == entity]
            found.update({(entity, i): image for i, image in load_images(conn, entity, ids).items()})
    engine.dispose()
    return found


def check_images(db, url, plan, batch_id, before):
    """Every change's before image is the row's image before the commit, its after image the row's image
    now: the content ``images.image`` gives (same keys, same values)."""
    _, changes = history.get_batch(db, actor(db), batch_id)
    assert len(changes) == plan.counts()["accounts_create"] + plan.counts()["accounts_update"] + \
        plan.counts()["contacts_create"] + plan.counts()["contacts_update"]
    after = images_now(url, changes)
    for change in changes:
        key = (change["entity"], change["entity_id"])
        assert change["after"] == after[key]
        if change["action"] == "create":
            assert change["before"] is None
        else:
            assert change["action"] == "update" and change["before"] == before[key]
            assert change["after"]["version"] == change["before"]["version"] + 1
    return changes


def test_images_are_the_rows_images_and_undo_restores_everything(db, demo_db, tmp_path):
    dump = restored(demo_db.url)
    plan = plan_accounts(db, demo_db.url, tmp_path)
    touched = [("account", u.id) for u in plan.accounts_update] + [("contact", u.id) for u in plan.contacts_update]
    before = images_now(demo_db.url, [{"entity": e, "entity_id": i} for e, i in touched])
    batch_id = commit_import(db, actor(db), plan)
    changes = check_images(db, demo_db.url, plan, batch_id, before)
    assert {(c["entity"], c["action"]) for c in changes} == {("account", "create"), ("account", "update"),
                                                             ("contact", "create"), ("contact", "update")}
    assert [c["row"] for c in changes if c["entity"] == "account"] == [c.row for c in plan.accounts_create] + [
        u.row for u in plan.accounts_update]  # the plan's order
    odd = [c for c in changes if c["entity"] == "account" and c["after"]["name"] == ODD_NAME]
    assert len(odd) == 2
    new_doctor = next(c for c in changes if c["action"] == "create" and c["after"].get("name") == "Nova Médica")
    assert len(new_doctor["after"]["qualifications"]) == 2
    assert new_doctor["after"]["qualifications"] == sorted(new_doctor["after"]["qualifications"])

    history.undo(db, actor(db), batch_id)
    assert restored(demo_db.url) == dump


def test_contact_updates_clear_values_and_replace_qualifications(db, demo_db, tmp_path):
    _, _, ids = contacts_rows(demo_db.url)
    execute(demo_db.url, "UPDATE contacts SET birth_date = :d, phone = '(11) 2222-3333' WHERE id = :i",
            d="1970-01-02", i=ids[1])
    dump = restored(demo_db.url)
    first, second = plan_contacts(db, demo_db.url, tmp_path)
    assert first.counts()["contacts_update"] == 2 and second.counts()["contacts_create"] == 1
    before = images_now(demo_db.url, [{"entity": "contact", "entity_id": i} for i in ids])
    batch_id = commit_import(db, actor(db), first)
    changes = check_images(db, demo_db.url, first, batch_id, before)
    cleared = next(c for c in changes if c["entity_id"] == ids[1])
    assert cleared["before"]["phone"] == "(11) 2222-3333" and cleared["before"]["birth_date"] == "1970-01-02"
    assert cleared["after"]["phone"] is None and cleared["after"]["birth_date"] is None
    assert cleared["after"]["qualifications"] == []
    changed = next(c for c in changes if c["entity_id"] == ids[0])
    assert changed["after"]["birth_date"] == "1980-12-25" and len(changed["after"]["qualifications"]) == 2

    second_batch = commit_import(db, actor(db), second)
    (created,) = history.get_batch(db, actor(db), second_batch)[1]
    assert created["after"]["birth_date"] == "1990-02-01" and len(created["after"]["qualifications"]) == 1
    history.undo(db, actor(db), second_batch)
    history.undo(db, actor(db), batch_id)
    assert restored(demo_db.url) == dump


def test_microseconds_and_seconds_in_stored_datetimes(db, demo_db, tmp_path):
    (a, b) = demo_accounts(demo_db.url, "agent.sp1", 2)
    execute(demo_db.url, "UPDATE accounts SET created_at = '2024-05-06 07:08:09.012300' WHERE id = :i", i=a["id"])
    if demo_db.backend == "sqlite":  # written by an older tool: no fraction at all
        execute(demo_db.url, "UPDATE accounts SET created_at = '2024-05-06 07:08:09' WHERE id = :i", i=b["id"])
    path = workbook(tmp_path / "a.xlsx", [{**a, "city": "Campinas"}, {**b, "city": "Campinas"}])
    plan = plan_import(db, actor(db), path, "accounts")
    before = images_now(demo_db.url, [{"entity": "account", "entity_id": i} for i in (a["id"], b["id"])])
    assert before[("account", a["id"])]["created_at"] == "2024-05-06 07:08:09.012300"
    batch_id = commit_import(db, actor(db), plan)
    check_images(db, demo_db.url, plan, batch_id, before)
    history.undo(db, actor(db), batch_id)  # the images' datetimes go back as they were stored (a new version)
    after = images_now(demo_db.url, [{"entity": "account", "entity_id": i} for i in (a["id"], b["id"])])
    assert {key: {**image, "version": 0} for key, image in after.items()} == {
        key: {**image, "version": 0} for key, image in before.items()}
    assert all(after[key]["version"] == before[key]["version"] + 2 for key in before)  # commit, then undo


def test_every_chunk_boundary(db, demo_db, tmp_path, monkeypatch):
    for name in ("EXECUTEMANY_CHUNK", "COPY_CHUNK", "STATEMENT_CHUNK"):
        monkeypatch.setattr(bulk, name, 2)
    dump = restored(demo_db.url)
    plan = plan_accounts(db, demo_db.url, tmp_path)
    before = images_now(demo_db.url, [{"entity": "account", "entity_id": u.id} for u in plan.accounts_update] +
                        [{"entity": "contact", "entity_id": u.id} for u in plan.contacts_update])
    seen = []
    batch_id = commit_import(db, actor(db), plan, progress=lambda stage, done, total: seen.append((done, total)))
    check_images(db, demo_db.url, plan, batch_id, before)
    total = len(plan.accounts_create) + len(plan.accounts_update) + len(plan.contacts_create) + \
        len(plan.contacts_update)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 4
    history.undo(db, actor(db), batch_id)
    assert restored(demo_db.url) == dump


def test_a_failure_half_way_leaves_nothing_and_the_next_commit_works(db, demo_db, tmp_path, monkeypatch):
    dump = table_dump(demo_db.url, tables=("accounts", "contacts", "contact_qualifications", "import_batches",
                                           "row_changes", "audit_events"))
    plan = plan_accounts(db, demo_db.url, tmp_path)

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as patch:
        patch.setattr(bulk.Stage, "apply", broken)
        with pytest.raises(RuntimeError, match="disk on fire"):
            commit_import(db, actor(db), plan)
    assert table_dump(demo_db.url, tables=("accounts", "contacts", "contact_qualifications", "import_batches",
                                           "row_changes", "audit_events")) == dump
    assert commit_import(db, actor(db), plan) is not None  # no stage table left behind on the connection


def test_a_number_taken_after_the_check_is_a_stale_plan(db, demo_db, tmp_path, monkeypatch):
    plan = plan_accounts(db, demo_db.url, tmp_path)
    number = plan.accounts_create[0].number
    execute(demo_db.url, "INSERT INTO accounts (number, type, name, uf, created_at, updated_at, version) "
                         "VALUES (:n, 'COMPANY', 'Outra', 'SP', '2024-01-01 00:00:00', '2024-01-01 00:00:00', 1)",
            n=number)
    dump = table_dump(demo_db.url)
    monkeypatch.setattr(commit, "check_fresh", lambda *args, **kwargs: None)  # as if it won the race
    with pytest.raises(Conflict) as caught:
        commit_import(db, actor(db), plan)
    assert caught.value.code == "plan_stale"
    assert table_dump(demo_db.url) == dump


# the same plan on both databases --------------------------------------------------------------------
@pytest.fixture
def both(sqlite_templates, pg_server, tmp_path):
    """A demo database on SQLite and one on PostgreSQL."""
    target = tmp_path / "demo.sqlite3"
    shutil.copyfile(sqlite_templates["demo"], target)
    name = f"bulk_{tmp_path.name[-20:]}".replace("-", "_").lower()
    admin = create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE tpl_demo"))
    yield {"sqlite": f"sqlite:///{target}", "postgresql": pg_server.url(name)}
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def without_clock(value):
    """Tables and images with the timestamps left out (each database was built at its own moment)."""
    if isinstance(value, dict):
        return {k: without_clock(v) for k, v in value.items() if k not in ("created_at", "updated_at")}
    if isinstance(value, list):
        return [without_clock(v) for v in value]
    return value


def stable_dump(url):
    engine = create_engine(url)
    dump = {}
    with engine.connect() as conn:
        for table in ("accounts", "contacts", "contact_qualifications"):
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).mappings().all()
            dump[table] = [without_clock({k: (str(v) if v is not None else None) for k, v in r.items() if k != "version"})
                           for r in rows]
    engine.dispose()
    return dump


@pytest.mark.postgres
def test_postgresql_and_sqlite_write_the_same_tables_history_and_undo(both, tmp_path):
    results = {}
    for backend, url in both.items():
        db = Database(url)
        start = stable_dump(url)
        (tmp_path / backend).mkdir()
        plan = plan_accounts(db, url, tmp_path / backend)
        batch_id = commit_import(db, actor(db), plan)
        committed = stable_dump(url)
        _, changes = history.get_batch(db, actor(db), batch_id)
        undo_id = history.undo(db, actor(db), batch_id)
        _, restored = history.get_batch(db, actor(db), undo_id)
        results[backend] = (committed, without_clock(changes), without_clock(restored))
        assert stable_dump(url) == start
        db.dispose()
    assert results["sqlite"] == results["postgresql"]
    assert len(results["sqlite"][1]) == len(results["sqlite"][2]) > 8


def test_row_changes_stay_append_only(db, demo_db, tmp_path):
    plan = plan_accounts(db, demo_db.url, tmp_path)
    batch_id = commit_import(db, actor(db), plan)
    written = query(demo_db.url, "SELECT count(*) FROM row_changes WHERE batch_id = :b", b=batch_id)[0][0]
    assert written == sum(plan.counts()[k] for k in ("accounts_create", "accounts_update", "contacts_create",
                                                      "contacts_update"))
    with pytest.raises(Exception, match="append-only"):
        execute(demo_db.url, "UPDATE row_changes SET row = 0 WHERE batch_id = :b", b=batch_id)


def test_accounts_only_plan_without_contacts(db, demo_db, tmp_path):
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    path = workbook(tmp_path / "one.xlsx", [{**a, "name": "Só o nome"}])
    plan = plan_import(db, actor(db), path, ACCOUNTS.id)
    before = images_now(demo_db.url, [{"entity": "account", "entity_id": a["id"]}])
    batch_id = commit_import(db, actor(db), plan)
    (change,) = check_images(db, demo_db.url, plan, batch_id, before)
    assert {k for k, v in change["after"].items() if change["before"][k] != v} == {"name", "version", "updated_at"}


def test_sqlite_reads_the_fingerprint_under_the_write_lock_and_restores_its_cache(sqlite_demo_db, tmp_path,
                                                                                monkeypatch):
    db = Database(sqlite_demo_db.url)
    plan = plan_accounts(db, sqlite_demo_db.url, tmp_path)
    seen = {}
    original = commit.check_fresh

    def watching(conn, plan, *, lock):
        driver = conn.connection.driver_connection
        seen.update(driver=driver, in_transaction=driver.in_transaction,
                    cache=driver.execute("PRAGMA cache_size").fetchone()[0])
        return original(conn, plan, lock=lock)

    monkeypatch.setattr(commit, "check_fresh", watching)
    with db.engine.connect() as conn:
        default = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert commit_import(db, actor(db), plan) is not None
    assert seen["in_transaction"]  # a concurrent commit cannot slip in between the check and the writes
    assert seen["cache"] == -bulk.SQLITE_CACHE_KIB != default
    assert seen["driver"].execute("PRAGMA cache_size").fetchone()[0] == default  # the pooled connection as it was
    db.dispose()


def test_an_interrupt_in_a_bulk_write_is_not_hidden_by_the_cleanup(sqlite_demo_db):
    """Ctrl-C while the commit writes leaves the connection unusable: the cleanup (SQLite's cache size put
    back) must let the interrupt through, not replace it with SQLAlchemy's "pending rollback" error."""
    db = Database(sqlite_demo_db.url)
    with pytest.raises(KeyboardInterrupt):
        with db.transaction() as conn, bulk.Bulk(conn).writing():
            conn.execute(text("SELECT 1"))
            conn.invalidate()
            raise KeyboardInterrupt
    db.dispose()
