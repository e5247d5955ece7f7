"""accounts and contacts cheaper to write in bulk: one index by portfolio and type; room for updates

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

* ``ix_accounts_owner_id_type`` (portfolio, type) replaces the two single-column indexes: what reads
  accounts by portfolio (exports, portfolio counts) uses it, and a type alone (three values) is never
  selective enough to be worth an index; every row an import writes then updates one index less.
* PostgreSQL fills the pages of accounts and contacts to 80% (fillfactor): an import's updates find room
  for the new row versions on their own page and skip the index updates (heap-only tuples). Pages
  already full gain room as PostgreSQL prunes them (or at once with ``VACUUM FULL``). SQLite has no
  such setting.
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROOMY = ("accounts", "contacts")
FILLFACTOR = 80  # crmxl.db.models.UPDATE_ROOM when this revision was written


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_index("ix_accounts_type")
        batch_op.drop_index("ix_accounts_owner_id")
        batch_op.create_index("ix_accounts_owner_id_type", ["owner_id", "type"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for table in ROOMY:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ROOMY:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_index("ix_accounts_owner_id_type")
        batch_op.create_index("ix_accounts_owner_id", ["owner_id"], unique=False)
        batch_op.create_index("ix_accounts_type", ["type"], unique=False)
