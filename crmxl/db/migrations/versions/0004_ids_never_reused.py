"""accounts and contacts never reuse an id on SQLite (AUTOINCREMENT)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

An undo deletes the rows its batch created. Without AUTOINCREMENT SQLite hands the largest id out again,
so a workbook exported before the undo would name a different, newer row by the same id (and version 1).
PostgreSQL's sequences never go back: nothing to do there. SQLite declares AUTOINCREMENT only when a table
is created: both tables are built again (``crmxl.db.migrate`` turns the foreign keys off meanwhile and
checks them before the commit, as SQLite's manual says to).
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("accounts", "contacts")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
