"""Bringing a database's schema up to date with the Alembic history shipped in the package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Held for the migration's transaction, so processes starting together migrate one at a time.
_PG_LOCK_KEY = 0x4E4F56454C


@dataclass(frozen=True)
class Migration:
    """What an upgrade did: the schema revision before (None: no schema yet) and after."""

    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before == self.after:
            return f"already up to date (revision {self.after})"
        if self.before is None:
            return f"created (revision {self.after})"
        return f"upgraded from {self.before} to {self.after}"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> Migration:
    async with engine.begin() as conn:
        return await conn.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> Migration:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    before = _current(connection)
    command.upgrade(alembic_config(connection), revision)
    return Migration(before, _current(connection))


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
