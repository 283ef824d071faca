"""Alembic environment for the SQL metadata store.

runlab runs migrations itself (see ``runlab.store.sql.migrate``) on a connection it passes in
``config.attributes["connection"]``; there is no alembic.ini to read.
"""

from alembic import context

from runlab.store.sql.migrate import VERSION_TABLE
from runlab.store.sql.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
