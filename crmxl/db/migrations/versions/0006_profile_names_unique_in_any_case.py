"""export profile names are unique regardless of case (a unique index on lower(name))

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09

`profiles show|edit|delete NAME` and `export --profile NAME` find a profile by its name in any case: two
profiles differing only in case ("Alfa", "alfa") would be one name. A database that already holds such names is
not changed: the migration stops and names them (one of each must be renamed or deleted first).
"""

from alembic import op
import sqlalchemy as sa

from crmxl import i18n
from crmxl.db.migrate import refuse_case_duplicates

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "uq_export_profiles_lower_name"


def upgrade() -> None:
    refuse_case_duplicates(op.get_bind(), "export_profiles", "name", "migration_profiles_differ_in_case")
    op.create_index(INDEX, "export_profiles", [sa.text("lower(name)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="export_profiles")


i18n.register({
    "migration_profiles_differ_in_case": {
        "en": "This database holds export profiles whose names differ only in case: {values}. Profile names must "
              "be unique regardless of case; rename or delete one of each (`crmxl profiles edit NAME --rename NEW` "
              "with the previous crmxl, or in the database), then run `crmxl db init` again. Nothing was changed.",
        "pt-BR": "Este banco tem perfis de exportação cujos nomes diferem só na caixa: {values}. Nomes de perfil "
                 "devem ser únicos sem distinguir maiúsculas; renomeie ou exclua um de cada (`crmxl profiles edit "
                 "NOME --rename NOVO` com o crmxl anterior, ou no banco) e rode `crmxl db init` de novo. Nada foi "
                 "alterado."},
})
