"""Undo a batch set-based: the database writes the before-images of its row changes back.

One statement per step and entity, whatever the size of the batch (as the commit, see
``bulk``): the batch's rows are locked, those that changed again since the batch are found by one join, the portfolios
the actor must be allowed to touch by one query, the undo's own history (the row as it is now as the
before image, the batch's before image under a new version as the after image) by one ``INSERT ...
SELECT``; then the rows the batch created are deleted and the others set back from their images by one
``UPDATE ... FROM`` (a row the batch deleted would be inserted back from its image). A row set back gets
the next version, not its old one: a workbook exported before the undo must not match it again.

An image is read back column by column: by PostgreSQL's ``json_populate_record`` (each image parsed
once, every value typed by the table's own column) and SQLite's ``json_extract`` (which keeps the last
parse of a row's image), datetimes then written in the form SQLAlchemy stores on SQLite. The columns
set back are the keys of the batch's images: one version of crmxl wrote them all, in one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import DateTime, Table, text
from sqlalchemy.engine import Connection

from crmxl.domain.account_number import display_account_number
from crmxl.services.bulk import CHANGE_COLUMNS, CHANGES, Bulk
from crmxl.services.images import LINKS, TABLES

# contacts first: a contact the batch created goes before the account it created
ENTITIES = ("contact", "account")
VOLATILE = ("version", "updated_at")  # what every write changes: not the row's values


class Restore:
    """The row changes of batch ``batch_id``, read and written back by the database."""

    def __init__(self, conn: Connection, batch_id: int) -> None:
        self.conn, self.batch_id = conn, batch_id
        self.bulk = Bulk(conn)
        self.pg = self.bulk.pg
        self.quote = self.bulk.quote

    # SQL pieces ------------------------------------------------------------------------------------
    def no_image(self, expr: str) -> str:
        """SQL: ``expr`` holds no image (SQL NULL or JSON null)."""
        return f"({expr} IS NULL OR {'json_typeof' if self.pg else 'json_type'}({expr}) = 'null')"

    def field(self, expr: str, key: str) -> str:
        """SQL: the value of ``key`` in image ``expr`` (text on PostgreSQL, typed on SQLite)."""
        return f"({expr} ->> '{key}')" if self.pg else f"json_extract({expr}, '$.{key}')"

    def changes(self, entity: str, condition: str = "TRUE") -> str:
        """SQL: the batch's row changes ``rc`` of ``entity`` that meet ``condition``."""
        return (f"{self.quote(CHANGES.name)} rc WHERE rc.batch_id = :batch AND rc.entity = '{entity}' "
                f"AND {condition}")

    def joined(self, entity: str) -> str:
        """SQL: the batch's row changes ``rc`` of ``entity``, each with its row ``a`` as it is now (if any)."""
        return (f"{self.quote(CHANGES.name)} rc LEFT JOIN {self.quote(TABLES[entity].name)} a ON a.id = rc.entity_id "
                f"WHERE rc.batch_id = :batch AND rc.entity = '{entity}'")

    def run(self, sql: str, **params: Any) -> Any:
        return self.conn.execute(text(sql), {"batch": self.batch_id, **params})

    # reading ---------------------------------------------------------------------------------------
    def count(self) -> int:
        return self.run(f"SELECT count(*) FROM {self.quote(CHANGES.name)} WHERE batch_id = :batch").scalar_one()

    def lock(self) -> None:
        """PostgreSQL: lock the batch's rows that exist, accounts then contacts, each in id order (the
        commit's order), so that no commit changes them between the check and the writes. (SQLite: the
        caller holds the write lock.)"""
        if not self.pg:
            return
        for entity in reversed(ENTITIES):
            rows = (f"SELECT a.id FROM {self.quote(TABLES[entity].name)} a WHERE a.id IN "
                    f"(SELECT rc.entity_id FROM {self.changes(entity)}) ORDER BY a.id FOR UPDATE")
            self.run(f"SELECT count(*) FROM ({rows}) locked")

    def changed_again(self) -> list[str]:
        """Every row that is no longer as the batch left it (gone, back after the batch deleted it, or another
        version whose values differ: a later batch undone since left the values as this batch did, under a
        newer version), in the batch's order, named as the user knows it: an account by its number
        ('11.222.333/0001-81'), a contact by its name and account ('Ana Souza (123456/SP)')."""
        found: list[str] = []
        for entity in ENTITIES:
            version = f"CAST({self.field('rc.after', 'version')} AS INTEGER)"
            as_left = (f"CASE WHEN {self.no_image('rc.after')} THEN a.id IS NULL WHEN a.id IS NULL THEN FALSE "
                       f"WHEN a.version = {version} THEN TRUE ELSE {self.same_values(entity)} END")
            keys = ["number"] if entity == "account" else ["identifier", "name"]
            named = ", ".join(f"COALESCE({self.field('rc.after', k)}, {self.field('rc.before', k)})" for k in keys)
            rows = self.run(f"SELECT {named} FROM {self.joined(entity)} AND NOT COALESCE({as_left}, FALSE) "
                            f"ORDER BY rc.id")
            for number, *name in rows:
                shown = display_account_number(str(number))
                found.append(f"{name[0]} ({shown})" if name else shown)
        return found

    def same_values(self, entity: str) -> str:
        """SQL: row ``a`` holds the values of image ``rc.after`` (all but its version and update time)."""
        b = self.bulk
        pairs = b.row_image(TABLES[entity], "a", with_quals=entity == "contact")
        if self.pg:
            now = b.json_object(pairs)
            volatile = " ".join(f"- '{key}'" for key in VOLATILE)
            return f"(CAST({now} AS jsonb) {volatile}) = (CAST(rc.after AS jsonb) {volatile})"
        return "(" + " AND ".join(f"{value} IS json_extract(rc.after, '$.{key}')"
                                  for key, value in pairs if key not in VOLATILE) + ")"

    def accounts_with_new_contacts(self) -> list[str]:
        """The numbers of the accounts the batch created that have a contact it did not create (a later
        batch added it): deleting such an account would leave that contact without one."""
        created = f"SELECT rc.entity_id FROM {self.changes('account', self.no_image('rc.before'))}"
        own = f"SELECT rc.entity_id FROM {self.changes('contact', self.no_image('rc.before'))}"
        accounts, contacts = self.quote(TABLES["account"].name), self.quote(TABLES["contact"].name)
        return list(self.run(f"SELECT DISTINCT a.number FROM {contacts} c JOIN {accounts} a ON a.id = c.account_id "
                             f"WHERE c.account_id IN ({created}) AND c.id NOT IN ({own}) ORDER BY a.number").scalars())

    def owner_ids(self) -> set[int | None]:
        """The portfolios (owner ids, None: Without Portfolio) of the batch's accounts, before and after,
        and of the accounts its contacts belong to (before and after, as they are now)."""
        owner = f"CAST({self.field('img', 'owner_id')} AS INTEGER)"
        images = (f"SELECT rc.before AS img FROM {self.changes('account')} "
                  f"UNION ALL SELECT rc.after AS img FROM {self.changes('account')}")
        owners = set(self.run(f"SELECT DISTINCT {owner} FROM ({images}) images WHERE NOT {self.no_image('img')}")
                     .scalars())
        account = f"CAST({self.field('img', 'account_id')} AS INTEGER)"
        contacts = (f"SELECT rc.before AS img FROM {self.changes('contact')} "
                    f"UNION ALL SELECT rc.after AS img FROM {self.changes('contact')}")
        parents = (f"SELECT {account} FROM ({contacts}) images WHERE NOT {self.no_image('img')}")
        accounts = self.quote(TABLES["account"].name)
        owners.update(self.run(f"SELECT DISTINCT owner_id FROM {accounts} WHERE id IN ({parents})").scalars())
        return owners

    # writing ---------------------------------------------------------------------------------------
    def record(self, undo_batch: int) -> int:
        """The undo's row changes ('restore': the row now, then what it goes back to), contacts first, each
        entity in the batch's order; returns how many."""
        b = self.bulk
        written = 0
        for entity in ENTITIES:
            table = TABLES[entity]
            now = b.json_object(b.row_image(table, "a", with_quals=entity == "contact"))
            statement = (
                f"INSERT INTO {self.quote(CHANGES.name)} ({', '.join(self.quote(c) for c in CHANGE_COLUMNS)}) "
                f"SELECT :undo, rc.entity, rc.entity_id, 'restore', "
                f"CASE WHEN a.id IS NULL THEN {b.json_null} ELSE {now} END, "
                f"CASE WHEN {self.no_image('rc.before')} THEN {b.json_null} WHEN a.id IS NULL THEN rc.before "
                f"ELSE {self.bumped('rc.before', 'a.version + 1')} END, rc.row "
                f"FROM {self.joined(entity)} ORDER BY rc.id")
            written += self.run(statement, undo=undo_batch).rowcount
        return written

    def bumped(self, image: str, version: str) -> str:
        """SQL: JSON ``image`` with its version set to ``version``."""
        if self.pg:
            return f"CAST(CAST({image} AS jsonb) || jsonb_build_object('version', {version}) AS json)"
        return f"json_set({image}, '$.version', {version})"

    def apply(self, entity: str) -> None:
        """Delete the rows of ``entity`` the batch created; set the others back to their before-images."""
        table = TABLES[entity]
        name = self.quote(table.name)
        created = f"SELECT rc.entity_id FROM {self.changes(entity, self.no_image('rc.before'))}"
        if entity == "contact":
            self.run(f"DELETE FROM {self.quote(LINKS.name)} WHERE contact_id IN ({created})")
        self.run(f"DELETE FROM {name} WHERE id IN ({created})")
        columns = self.image_columns(entity, table)
        if not columns:
            return
        has_before = f"NOT {self.no_image('rc.before')}"
        updated = f"{has_before} AND NOT {self.no_image('rc.after')}"
        deleted = f"{has_before} AND {self.no_image('rc.after')}"
        names = ", ".join(self.quote(c) for c in columns)
        source = f"{self.quote(CHANGES.name)} rc"
        if self.pg:
            source += f" CROSS JOIN LATERAL json_populate_record(NULL::{name}, rc.before) AS r"
            values = {c: f"r.{self.quote(c)}" for c in columns}
        else:
            values = {c: self.sqlite_value(table.c[c], self.field("rc.before", c)) for c in columns}
        where = f"rc.batch_id = :batch AND rc.entity = '{entity}'"
        # a row set back gets a new version (an export made before the undo must not match it again)
        sets = ", ".join(f"{self.quote(c)} = {'a.version + 1' if c == 'version' else values[c]}"
                         for c in columns if c != "id")
        self.run(f"UPDATE {name} AS a SET {sets} FROM {source} WHERE {where} AND rc.entity_id = a.id AND {updated}")
        self.run(f"INSERT INTO {name} ({names}) SELECT {', '.join(values[c] for c in columns)} FROM {source} "
                 f"WHERE {where} AND {deleted} ORDER BY rc.id")
        if entity == "contact":
            self.restore_links(has_before)

    def image_columns(self, entity: str, table: Table) -> list[str]:
        """The columns of ``table`` the batch's images hold (id first)."""
        one = self.run(f"SELECT rc.before FROM {self.changes(entity, 'NOT ' + self.no_image('rc.before'))} "
                       f"LIMIT 1").scalar()
        if one is None:
            return []
        keys = json.loads(one) if isinstance(one, str) else one  # SQLite gives the text, psycopg the value
        return [c.name for c in table.columns if c.name in keys]

    def sqlite_value(self, column: Any, expr: str) -> str:
        """SQL: an image's value of ``column`` as SQLAlchemy stores it on SQLite (datetimes always with
        their six-digit fraction; an image leaves out a zero fraction)."""
        if isinstance(column.type, DateTime):
            return f"CASE WHEN length({expr}) = 19 THEN {expr} || '.000000' ELSE {expr} END"
        return expr

    def restore_links(self, has_before: str) -> None:
        """The qualifications of the contacts set back (or inserted back): exactly their images' ids."""
        links = self.quote(LINKS.name)
        restored = f"SELECT rc.entity_id FROM {self.changes('contact', has_before)}"
        self.run(f"DELETE FROM {links} WHERE contact_id IN ({restored})")
        if self.pg:
            ids = (f"{self.quote(CHANGES.name)} rc CROSS JOIN LATERAL json_array_elements_text("
                   f"CASE WHEN json_typeof(rc.before -> 'qualifications') = 'array' "
                   f"THEN rc.before -> 'qualifications' ELSE CAST('[]' AS json) END) AS q(value)")
            value = "CAST(q.value AS INTEGER)"
        else:
            ids = f"{self.quote(CHANGES.name)} rc, json_each(rc.before, '$.qualifications') q"
            has_before += " AND json_type(rc.before, '$.qualifications') = 'array'"
            value = "q.value"
        self.run(f"INSERT INTO {links} (contact_id, qualification_id) SELECT rc.entity_id, {value} FROM {ids} "
                 f"WHERE rc.batch_id = :batch AND rc.entity = 'contact' AND {has_before}")


__all__ = ["ENTITIES", "Restore"]
