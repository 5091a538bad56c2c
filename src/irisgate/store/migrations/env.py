"""Alembic environment for irisgate's store.

``Store.migrate`` runs this inside one of its transactions, with the open synchronous connection in
``config.attributes["connection"]`` (`store.py`).
"""

from __future__ import annotations

from alembic import context

from irisgate.store.tables import metadata

VERSION_TABLE = "irisgate_alembic_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
