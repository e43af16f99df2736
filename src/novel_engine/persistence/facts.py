"""What a campaign's events established about characters, for the coherence check.

Both reads walk the campaign's stream back from its newest event through the index on
(stream, event type, position), in pages, and stop early: world changes once every
character asked about is accounted for, and never past a cap; dialogue within a window
of the newest. A long history costs no more than a short one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.domain.coherence import Origin, Record, Said
from novel_engine.domain.events import EventType
from novel_engine.persistence.tables import events

WORLD_PAGE = 50
MAX_WORLD_CHANGES = 500  # world changes read back at most, per turn checked
MAX_DIALOGUE = 200  # the newest dialogue events of the campaign searched for statements
_KEYS = ("locations", "conditions")


class SqlFactsReader:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def established(
        self,
        campaign_id: uuid.UUID,
        characters: Sequence[uuid.UUID],
        speakers: Sequence[uuid.UUID],
    ) -> Record:
        origins = await self._origins(campaign_id, characters)
        return Record(
            placed_by=origins["locations"],
            hurt_by=origins["conditions"],
            said=await self._said(campaign_id, speakers),
        )

    async def _origins(
        self, campaign_id: uuid.UUID, characters: Sequence[uuid.UUID]
    ) -> dict[str, dict[uuid.UUID, Origin]]:
        """For each character, the newest world change that set its location and its
        condition."""
        found: dict[str, dict[uuid.UUID, Origin]] = {key: {} for key in _KEYS}
        wanted = {(key, str(c)): c for key in _KEYS for c in characters}
        before: int | None = None
        read = 0
        while wanted and read < MAX_WORLD_CHANGES:
            page = await self._newest(
                campaign_id, EventType.WORLD_STATE_CHANGED, before, WORLD_PAGE
            )
            for row in page:
                changes = (row.payload or {}).get("changes") or {}
                for key in _KEYS:
                    changed = changes.get(key)
                    for character in changed if isinstance(changed, dict) else ():
                        id_ = wanted.pop((key, character), None)
                        if id_ is not None:
                            found[key][id_] = Origin(row.event_id, row.position)
            read += len(page)
            if len(page) < WORLD_PAGE:
                break
            before = page[-1].position
        return found

    async def _said(
        self, campaign_id: uuid.UUID, speakers: Sequence[uuid.UUID]
    ) -> tuple[Said, ...]:
        wanted = {str(s) for s in speakers}
        if not wanted:
            return ()
        page = await self._newest(campaign_id, EventType.DIALOGUE_EXCHANGED, None, MAX_DIALOGUE)
        return tuple(
            Said(
                uuid.UUID(row.payload["speakerId"]),
                str(row.payload.get("message", "")),
                row.event_id,
            )
            for row in page
            if row.payload.get("speakerId") in wanted
        )

    async def _newest(
        self, campaign_id: uuid.UUID, event_type: EventType, before: int | None, limit: int
    ) -> Sequence[Any]:
        stmt = (
            select(events.c.event_id, events.c.position, events.c.payload)
            .where(events.c.stream_id == campaign_id, events.c.event_type == event_type.value)
            .order_by(events.c.position.desc())
            .limit(limit)
        )
        if before is not None:
            stmt = stmt.where(events.c.position < before)
        return list((await self._conn.execute(stmt)).all())
