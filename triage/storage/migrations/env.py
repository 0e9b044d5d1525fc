"""Alembic environment: runs on the connection `triage.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context

from triage.storage import tables  # noqa: F401  (registers every table on the metadata)
from triage.storage.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
