"""One migration history, both databases: it builds exactly the schema the code expects."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.migrate import upgrade
from novel_engine.persistence.tables import metadata


def _differences(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_tables_in_code(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_migrating_again_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []
