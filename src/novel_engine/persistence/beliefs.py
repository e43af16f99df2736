"""Beliefs: what the beliefs projection derived from a campaign's events, per character,
never updated (a conflicting belief is another row), and the events a character
perceived, found through them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.perception import Belief, KnowledgeSource
from novel_engine.persistence.event_store import to_stored_event
from novel_engine.persistence.tables import beliefs, events

_beliefs = beliefs.c


class SqlBeliefRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, campaign_id: uuid.UUID, found: Sequence[Belief]) -> None:
        if not found:
            return
        await self._conn.execute(
            beliefs.insert(),
            [
                {
                    "campaign_id": campaign_id,
                    "character_id": b.character_id,
                    "statement": b.statement,
                    "source": b.source.value,
                    "reliability": b.reliability,
                    "learned_at_turn": b.learned_at_turn,
                    "told_by": b.told_by,
                    "event_id": b.event_id,
                    "position": b.position,
                }
                for b in found
            ],
        )

    async def held(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[Belief]:
        """The character's beliefs in the campaign, newest first (with `up_to`, those
        from events at or before that position)."""
        found = await self._conn.execute(
            select(beliefs)
            .where(*_of(campaign_id, character_id, up_to))
            .order_by(_beliefs.position.desc(), _beliefs.id.desc())
            .limit(limit)
        )
        return [to_belief(row) for row in found]

    async def perceived(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[StoredEvent]:
        """The latest events of the campaign the character perceived, oldest first (as
        they were stored: the caller decides what of each it perceived).

        The positions come first, newest down the beliefs index, and each event is then
        read by its key: a join lets SQLite walk the whole stream instead."""
        positions = (
            select(_beliefs.position)
            .where(*_of(campaign_id, character_id, up_to))
            .group_by(_beliefs.position)
            .order_by(_beliefs.position.desc())
            .limit(limit)
        )
        found = await self._conn.execute(
            select(events)
            .where(events.c.stream_id == campaign_id, events.c.position.in_(positions))
            .order_by(events.c.position)
        )
        return [to_stored_event(row) for row in found]

    async def forget(self, campaign_id: uuid.UUID) -> None:
        """Every belief of the campaign, before it is projected again from its events."""
        await self._conn.execute(delete(beliefs).where(_beliefs.campaign_id == campaign_id))


def _of(
    campaign_id: uuid.UUID, character_id: uuid.UUID, up_to: int | None
) -> list[ColumnElement[bool]]:
    where = [_beliefs.campaign_id == campaign_id, _beliefs.character_id == character_id]
    if up_to is not None:
        where.append(_beliefs.position <= up_to)
    return where


def to_belief(row: Row[Any]) -> Belief:
    return Belief(
        row.character_id,
        row.statement,
        KnowledgeSource(row.source),
        row.reliability,
        row.learned_at_turn,
        row.told_by,
        row.event_id,
        row.position,
    )
