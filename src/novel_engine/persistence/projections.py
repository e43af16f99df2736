"""Checkpoints of the projections of a campaign's event stream (beliefs, memories): the
position each has applied up to, written in the transaction that applies the events."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.persistence.tables import projection_checkpoints

_checkpoints = projection_checkpoints.c


class SqlProjectionCheckpoints:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def position(self, campaign_id: uuid.UUID, projection: str) -> int:
        found = await self._conn.scalar(
            select(_checkpoints.position).where(
                _checkpoints.campaign_id == campaign_id, _checkpoints.projection == projection
            )
        )
        return int(found or 0)

    async def advance(self, campaign_id: uuid.UUID, projection: str, position: int) -> None:
        moved = await self._conn.execute(
            update(projection_checkpoints)
            .where(_checkpoints.campaign_id == campaign_id, _checkpoints.projection == projection)
            .values(position=position)
        )
        if moved.rowcount == 0:
            await self._conn.execute(
                projection_checkpoints.insert().values(
                    campaign_id=campaign_id, projection=projection, position=position
                )
            )

    async def reset(self, campaign_id: uuid.UUID, projection: str) -> None:
        """Forget how far the projection got: it is read again from the first event."""
        await self._conn.execute(
            delete(projection_checkpoints).where(
                _checkpoints.campaign_id == campaign_id, _checkpoints.projection == projection
            )
        )
