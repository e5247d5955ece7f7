"""Alembic environment: runs on the connection crmxl hands it (see crmxl.db.migrate)."""

from alembic import context

from crmxl.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
