"""Undo written back by the database (``crmxl.services.restore``), on SQLite and PostgreSQL: the undo's
own history, rows gone or changed again since the batch, accounts that got contacts from a later batch,
a batch that deleted rows, images written as SQL NULL by an older writer, progress."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, null, select

from crmxl.domain.account_number import display_account_number
from crmxl.db.models import utcnow
from crmxl.errors import Conflict
from crmxl.services import history
from crmxl.services.history import BATCHES, CHANGES, BatchRecorder
from crmxl.services.images import ACCOUNTS, CONTACTS, LINKS, load_images
from crmxl.schema import CONTACTS as CONTACTS_TEMPLATE
from crmxl.services.imports import commit_import, plan_import
from tests.conftest import restored, table_dump
from tests.services.import_files import actor, contacts_of, demo_accounts, execute, query, workbook
from tests.services.test_commit_bulk import images_now, plan_accounts
from tests.validation.builders import cnpj


def test_the_undo_records_each_row_as_it_was_and_what_it_goes_back_to(db, demo_db, tmp_path):
    dump = restored(demo_db.url)
    plan = plan_accounts(db, demo_db.url, tmp_path)
    batch_id = commit_import(db, actor(db), plan)
    _, committed = history.get_batch(db, actor(db), batch_id)
    now = images_now(demo_db.url, committed)
    steps = []

    undo_id = history.undo(db, actor(db), batch_id, progress=lambda *step: steps.append(step))

    summary, undo_changes = history.get_batch(db, actor(db), undo_id)
    expected = [c for c in committed if c["entity"] == "contact"] + [c for c in committed if c["entity"] == "account"]
    assert [(c["entity"], c["entity_id"], c["row"]) for c in undo_changes] == [
        (c["entity"], c["entity_id"], c["row"]) for c in expected]
    for undone, change in zip(undo_changes, expected, strict=True):
        assert undone["action"] == "restore"
        assert undone["before"] == now[(change["entity"], change["entity_id"])]  # the row as the undo found it
        if change["before"] is None:  # a row the batch created: deleted
            assert undone["after"] is None
        else:  # its values before the batch, under the next version
            assert undone["after"] == {**change["before"], "version": undone["before"]["version"] + 1}
    assert summary.kind == "undo" and summary.undo_of == batch_id and summary.counts == {"rows_restored": len(committed)}
    assert history.get_batch(db, actor(db), batch_id)[0].status == "undone"
    assert steps[0] == ("undo", 0, len(committed)) and steps[-1] == ("undo", len(committed), len(committed))
    assert restored(demo_db.url) == dump
    set_back = [c for c in undo_changes if c["after"] is not None]
    assert images_now(demo_db.url, set_back) == {(c["entity"], c["entity_id"]): c["after"] for c in set_back}


def test_a_created_row_that_is_gone_stops_the_undo_and_nothing_is_written(db, demo_db, tmp_path):
    plan = plan_accounts(db, demo_db.url, tmp_path)
    batch_id = commit_import(db, actor(db), plan)
    created = next(c for c in plan.accounts_create if c.owner is None)  # an account without contacts
    (account_id,) = query(demo_db.url, "SELECT id FROM accounts WHERE number = :n", n=created.number)[0]
    execute(demo_db.url, "DELETE FROM accounts WHERE id = :i", i=account_id)
    dump = table_dump(demo_db.url)
    batches = query(demo_db.url, "SELECT count(*) FROM import_batches")

    with pytest.raises(Conflict) as caught:
        history.undo(db, actor(db), batch_id)

    # the row is named by its number, not by the database's id
    assert caught.value.code == "undo_conflict" and display_account_number(created.number) in caught.value.render("en")
    assert f"account {account_id}" not in caught.value.render("en")
    assert table_dump(demo_db.url) == dump
    assert query(demo_db.url, "SELECT count(*) FROM import_batches") == batches
    assert history.get_batch(db, actor(db), batch_id)[0].status == "committed"


def test_a_batch_that_deleted_rows_gets_them_back_and_old_null_images_are_no_images(db, demo_db):
    """No kind of batch deletes rows today; a batch that did (recorded by hand here) is undone by inserting
    its rows back, qualifications included. Its creation is recorded with a SQL NULL before image, as an
    older writer may have left it."""
    (a,) = demo_accounts(demo_db.url, "agent.sp1", 1)
    contact = next(c for c in contacts_of(demo_db.url, a["account_number"])
                   if query(demo_db.url, "SELECT count(*) FROM contact_qualifications WHERE contact_id = :i",
                            i=c.id)[0][0] > 0)
    dump = table_dump(demo_db.url)
    with db.transaction() as conn:
        image = load_images(conn, "contact", [contact.id])[contact.id]
        new_id = conn.execute(insert(ACCOUNTS).values(
            number="11222333000181", type="COMPANY", name="Criada", uf="SP", created_at=utcnow(),
            updated_at=utcnow(), version=1)).inserted_primary_key[0]
        created = load_images(conn, "account", [new_id])[new_id]
        recorder = BatchRecorder(conn, "import_contacts", actor(db))
        batch_id = recorder.start()
        recorder.add("contact", contact.id, "delete", image, None, 7)
        recorder.finish({"contacts_delete": 1})
        conn.execute(insert(CHANGES).values(batch_id=batch_id, entity="account", entity_id=new_id, action="create",
                                            before=null(), after=created, row=8))
        conn.execute(delete(LINKS).where(LINKS.c.contact_id == contact.id))
        conn.execute(delete(CONTACTS).where(CONTACTS.c.id == contact.id))
    assert image["qualifications"]

    undo_id = history.undo(db, actor(db), batch_id)

    assert table_dump(demo_db.url) == dump
    restored = {c["entity"]: c for c in history.get_batch(db, actor(db), undo_id)[1]}
    assert restored["contact"]["before"] is None and restored["contact"]["after"] == image
    assert restored["account"]["before"] == created and restored["account"]["after"] is None
    with db.transaction() as conn:
        status = conn.execute(select(BATCHES.c.status).where(BATCHES.c.id == batch_id)).scalar_one()
    assert status == "undone"


def test_an_account_that_got_contacts_from_a_later_batch_is_not_deleted_by_the_undo(db, demo_db, tmp_path):
    """Undoing the batch that created an account, after another batch added a contact to it, would leave
    that contact without its account: refused, nothing written; undone in the other order, both go."""
    dump = table_dump(demo_db.url)
    number = cnpj("551122330001")
    accounts = workbook(tmp_path / "a.xlsx", [{"account_number": number, "name": "Nova", "type": "COMPANY",
                                               "portfolio": "agent.sp1", "uf": "SP"}])
    first = commit_import(db, actor(db), plan_import(db, actor(db), accounts, "accounts"))
    contacts = workbook(tmp_path / "c.xlsx", [{"account_number": number, "identifier": number, "name": "Ana Lima",
                                               "type": "OTHERS"}], tpl=CONTACTS_TEMPLATE)
    second = commit_import(db, actor(db), plan_import(db, actor(db), contacts, "contacts"))
    before = table_dump(demo_db.url)

    with pytest.raises(Conflict) as caught:
        history.undo(db, actor(db), first)

    assert caught.value.code == "undo_contacts_added" and number in caught.value.render("en")
    assert table_dump(demo_db.url) == before
    history.undo(db, actor(db), second)
    history.undo(db, actor(db), first)
    assert table_dump(demo_db.url) == dump


def test_an_undone_batch_and_an_undo_say_why_they_cannot_be_undone(db, demo_db, tmp_path):
    batch_id = commit_import(db, actor(db), plan_accounts(db, demo_db.url, tmp_path))
    undo_id = history.undo(db, actor(db), batch_id)
    with pytest.raises(Conflict) as again:
        history.undo(db, actor(db), batch_id)
    assert again.value.render("en") == f"Batch {batch_id} was undone already, by batch {undo_id}."
    with pytest.raises(Conflict) as of_undo:
        history.undo(db, actor(db), undo_id)
    assert f"Batch {undo_id} is the undo of batch {batch_id}" in of_undo.value.render("en")
