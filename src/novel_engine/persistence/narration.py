"""Narrative chunks: written by the chronicler's job inside its unit of work, read back by
live subscribers to start from and to heal gaps. Every telling of a turn (the omniscient
one, each point of view) is read back: what a reader may see is decided by its stream."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import utcnow
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk
from novel_engine.persistence.tables import narrative_chunks, turns

_chunks = narrative_chunks.c


class SqlNarrationRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Copies of other turns' chunks, written at commit after the turns they belong to.
        self._copies: list[dict[str, Any]] = []

    async def chunks(self, turn_id: uuid.UUID) -> list[NarrativeChunk]:
        found = await self._conn.execute(
            select(narrative_chunks).where(_chunks.turn_id == turn_id).order_by(_chunks.id)
        )
        return [to_chunk(row) for row in found]

    async def of_turns(self, turn_ids: Sequence[uuid.UUID]) -> list[NarrativeChunk]:
        found = await self._conn.execute(
            select(narrative_chunks).where(_chunks.turn_id.in_(list(turn_ids))).order_by(_chunks.id)
        )
        return [to_chunk(row) for row in found]

    async def add(self, chunk: NarrativeChunk) -> tuple[NarrativeChunk, int]:
        previous = await self._conn.scalar(
            select(func.coalesce(func.max(_chunks.id), 0)).where(
                _chunks.session_id == chunk.session_id
            )
        )
        cursor = await self._conn.scalar(
            narrative_chunks.insert()
            .values(
                session_id=chunk.session_id,
                turn_id=chunk.turn_id,
                viewpoint=str(chunk.viewpoint) if chunk.viewpoint else "",
                sequence=chunk.sequence,
                text=chunk.text,
                done=chunk.done,
                created_at=utcnow(),
            )
            .returning(_chunks.id)
        )
        if chunk.sequence == 0 and not chunk.done and chunk.viewpoint is None:
            await self._conn.execute(
                update(turns)
                .where(turns.c.id == chunk.turn_id)
                .values(narration_status=NarrationStatus.STREAMING.value)
            )
        return replace(chunk, cursor=int(cursor)), int(previous or 0)

    async def copy(self, turns: Mapping[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]) -> None:
        if not turns:
            return
        found = await self._conn.execute(
            select(narrative_chunks).where(_chunks.turn_id.in_(turns)).order_by(_chunks.id)
        )
        for row in found:
            session_id, turn_id = turns[row.turn_id]
            self._copies.append(
                {
                    "session_id": session_id,
                    "turn_id": turn_id,
                    "viewpoint": row.viewpoint,
                    "sequence": row.sequence,
                    "text": row.text,
                    "done": row.done,
                    "created_at": row.created_at,
                }
            )

    async def write_copies(self) -> None:
        """Called by the commit once the aggregates (the turns) are written."""
        copies, self._copies = self._copies, []
        if copies:
            await self._conn.execute(narrative_chunks.insert(), copies)


class SqlNarrativeReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def after(self, session_id: uuid.UUID, cursor: int, limit: int) -> list[NarrativeChunk]:
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(narrative_chunks)
                .where(_chunks.session_id == session_id, _chunks.id > cursor)
                .order_by(_chunks.id)
                .limit(limit)
            )
            return [to_chunk(row) for row in found]

    async def current(self, session_id: uuid.UUID) -> tuple[list[NarrativeChunk], int]:
        async with self._engine.connect() as conn:
            last = (
                await conn.execute(
                    select(narrative_chunks)
                    .where(_chunks.session_id == session_id)
                    .order_by(_chunks.id.desc())
                    .limit(1)
                )
            ).one_or_none()
            if last is None:
                return [], 0
            found = await conn.execute(
                select(narrative_chunks)
                .where(_chunks.turn_id == last.turn_id, _chunks.id <= last.id)
                .order_by(_chunks.id)
            )
            return [to_chunk(row) for row in found], int(last.id)


def to_chunk(row: Row[Any]) -> NarrativeChunk:
    return NarrativeChunk(
        session_id=row.session_id,
        turn_id=row.turn_id,
        sequence=row.sequence,
        text=row.text,
        done=row.done,
        cursor=int(row.id),
        viewpoint=uuid.UUID(row.viewpoint) if row.viewpoint else None,
    )
