"""Checkpoints of the projections of a campaign's event stream (beliefs, memories): the
position each has applied up to and the game turn there, written in the transaction that
applies the events."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.domain.perception import Checkpoint
from novel_engine.persistence.tables import projection_checkpoints

_checkpoints = projection_checkpoints.c


class SqlProjectionCheckpoints:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(
        self, campaign_id: uuid.UUID, projection: str, *, lock: bool = False
    ) -> Checkpoint:
        """Where the projection stands; with `lock`, the row is held until the transaction
        ends, so two writers of one projection apply each event once."""
        if lock:  # a row to lock (SQLite's single writer serializes on its own)
            await self._conn.execute(
                self._insert()
                .values(campaign_id=campaign_id, projection=projection, position=0, turn=0)
                .on_conflict_do_nothing()
            )
        stmt = select(_checkpoints.position, _checkpoints.turn).where(
            _checkpoints.campaign_id == campaign_id, _checkpoints.projection == projection
        )
        if lock and self._conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        found = (await self._conn.execute(stmt)).one_or_none()
        return Checkpoint(found.position, found.turn) if found else Checkpoint(0, 0)

    async def advance(self, campaign_id: uuid.UUID, projection: str, to: Checkpoint) -> None:
        await self._conn.execute(
            self._insert()
            .values(
                campaign_id=campaign_id, projection=projection, position=to.position, turn=to.turn
            )
            .on_conflict_do_update(
                index_elements=[_checkpoints.campaign_id, _checkpoints.projection],
                set_={"position": to.position, "turn": to.turn},
            )
        )

    async def reset(self, campaign_id: uuid.UUID, projection: str) -> None:
        """Forget how far the projection got: it is read again from the first event."""
        await self._conn.execute(
            delete(projection_checkpoints).where(
                _checkpoints.campaign_id == campaign_id, _checkpoints.projection == projection
            )
        )

    def _insert(self) -> postgresql.Insert | sqlite.Insert:
        if self._conn.dialect.name == "postgresql":
            return postgresql.insert(projection_checkpoints)
        return sqlite.insert(projection_checkpoints)
