"""logins are unique regardless of case (a unique index on lower(login))

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09

Portfolio cells, --as, --portfolio and the other places a login is typed find the user in any case: two
logins differing only in case would name the same portfolio. A database that already holds such logins is not
changed: the migration stops and names them (one of each must be renamed or removed first).
"""

from alembic import op
import sqlalchemy as sa

from crmxl import i18n
from crmxl.db.migrate import refuse_case_duplicates

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INDEX = "uq_users_lower_login"


def upgrade() -> None:
    refuse_case_duplicates(op.get_bind(), "users", "login", "migration_logins_differ_in_case")
    op.create_index(INDEX, "users", [sa.text("lower(login)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="users")


i18n.register({
    "migration_logins_differ_in_case": {
        "en": "This database holds logins that differ only in case: {values}. Logins must be unique regardless of "
              "case (they name portfolios); rename or remove one of each in the database, then run `crmxl db init` "
              "again. Nothing was changed.",
        "pt-BR": "Este banco tem logins que diferem só na caixa: {values}. Logins devem ser únicos sem distinguir "
                 "maiúsculas (eles nomeiam carteiras); renomeie ou remova um de cada no banco e rode `crmxl db init` "
                 "de novo. Nada foi alterado."},
})
