"""One migration history, both databases: it builds exactly the schema the code expects."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence import rows
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.migrate import upgrade
from novel_engine.persistence.tables import (
    campaigns,
    in_table_model,
    metadata,
    sessions,
    turns,
    users,
)
from tests.databases import PG_ENV, _admin, sqlite_url


def _differences(conn: Connection) -> list[object]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": in_table_model}
    )
    return list(compare_metadata(context, metadata))


async def test_migrated_schema_matches_the_tables_in_code(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_migrating_again_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


@asynccontextmanager
async def unmigrated(kind: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A new, empty database of `kind`, for migrating step by step."""
    if kind == "sqlite":
        engine = create_engine(sqlite_url(tmp_path / "old.db"))
        yield engine
        await engine.dispose()
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    name = f"novel_engine_test_{uuid.uuid4().hex[:12]}"
    await _admin(base, f'CREATE DATABASE "{name}"')
    engine = create_engine(make_url(base).set(database=name).render_as_string(False))
    try:
        yield engine
    finally:
        await engine.dispose()
        await _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_a_turn_played_before_outcomes_has_none_after_migrating(
    kind: str, tmp_path: Path
) -> None:
    # given: a turn stored by the schema before outcomes (revision 0003)
    now = datetime.now(UTC)
    user, campaign, session, turn = (uuid.uuid4() for _ in range(4))
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    async with unmigrated(kind, tmp_path) as engine:
        await upgrade(engine, "0003")
        async with engine.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id=user, email="a@example.com", display_name="A", password_hash="x", **stamps
                )
            )
            await conn.execute(
                campaigns.insert().values(
                    id=campaign,
                    owner_id=user,
                    name="C",
                    description="",
                    world_state={},
                    world_version=1,
                    **stamps,
                )
            )
            await conn.execute(
                sessions.insert().values(
                    id=session,
                    campaign_id=campaign,
                    number=1,
                    status="active",
                    started_by=user,
                    turn_count=1,
                    **stamps,
                )
            )
            await conn.execute(
                turns.insert().values(
                    id=turn,
                    session_id=session,
                    campaign_id=campaign,
                    number=1,
                    actions=[
                        {
                            "characterId": str(user),
                            "kind": "wait",
                            "intent": "waits",
                            "targetIds": [],
                        }
                    ],
                    submitted_by=user,
                    created_at=now,
                    correlation_id=turn,
                    idempotency_key=None,
                    request_hash="h",
                )
            )

        # when
        await upgrade(engine)

        # then
        async with engine.connect() as conn:
            row = (await conn.execute(select(turns))).one()
    assert rows.to_turn(row).outcomes == ()
    assert len(rows.to_turn(row).actions) == 1
