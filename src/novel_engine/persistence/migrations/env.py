"""Alembic environment: always runs on a connection handed in by `migrate.upgrade`."""

from __future__ import annotations

from alembic import context

from novel_engine.persistence.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `novel-engine migrate`.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
