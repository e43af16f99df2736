"""The facts the coherence check reads: the newest event behind each fact, read back
from the newest event only as far as needed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId
from novel_engine.persistence import event_store
from novel_engine.persistence.engine import as_writer
from novel_engine.persistence.facts import MAX_WORLD_CHANGES, WORLD_PAGE, SqlFactsReader


def campaign_event(campaign: uuid.UUID, kind: EventType, payload: dict[str, Any]) -> DomainEvent:
    return DomainEvent(
        event_type=kind,
        aggregate_id=campaign,
        aggregate_type=AggregateType.CAMPAIGN,
        payload=payload,
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, campaign),
    )


def moved(campaign: uuid.UUID, **changes: dict[str, str]) -> DomainEvent:
    return campaign_event(campaign, EventType.WORLD_STATE_CHANGED, {"changes": changes})


def said(campaign: uuid.UUID, speaker: uuid.UUID, message: str) -> DomainEvent:
    payload = {"speakerId": str(speaker), "message": message}
    return campaign_event(campaign, EventType.DIALOGUE_EXCHANGED, payload)


async def append(engine: AsyncEngine, new: list[DomainEvent]) -> None:
    async with engine.connect() as conn:
        writer = await as_writer(conn)
        async with writer.begin():
            await event_store.append(writer, new)


async def test_the_newest_event_behind_each_fact_is_found(engine: AsyncEngine) -> None:
    # given
    campaign, ann, bo, cy = (uuid.uuid4() for _ in range(4))
    first = moved(campaign, locations={str(ann): "the hall", str(bo): "the hall"})
    hurt = moved(campaign, conditions={str(bo): "unconscious"})
    again = moved(campaign, locations={str(ann): "the cellar"})
    words = [said(campaign, ann, "The lamp is lit."), said(campaign, cy, "Hello.")]
    await append(engine, [first, hurt, *words, again])

    # when
    async with engine.connect() as conn:
        record = await SqlFactsReader(conn).established(campaign, [ann, bo, cy], [ann])

    # then
    assert {c: o.event_id for c, o in record.placed_by.items()} == {
        ann: again.event_id,
        bo: first.event_id,
    }
    assert {c: o.event_id for c, o in record.hurt_by.items()} == {bo: hurt.event_id}
    assert [(s.speaker_id, s.message, s.event_id) for s in record.said] == [
        (ann, "The lamp is lit.", words[0].event_id)
    ]


async def test_a_long_history_is_read_back_only_as_far_as_needed(engine: AsyncEngine) -> None:
    # given: a character placed long ago, then many world changes about others
    campaign, ann, bo = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    long_ago = moved(campaign, locations={str(ann): "the hall"})
    others = [moved(campaign, weather={"n": str(n)}) for n in range(MAX_WORLD_CHANGES + 20)]
    lately = moved(campaign, locations={str(bo): "the hall"}, conditions={str(bo): "wounded"})
    await append(engine, [long_ago, *others, lately])
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM events" in statement:
            statements.append(statement)

    # when
    async with engine.connect() as conn:
        reader = SqlFactsReader(conn)
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            settled = await reader.established(campaign, [bo], [])
            statements_for_recent = len(statements)
            unsettled = await reader.established(campaign, [ann], [])
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)

    # then: the recent facts in one read; the old one given up at the cap, unnamed
    assert settled.placed_by[bo].event_id == lately.event_id
    assert statements_for_recent == 1
    assert unsettled.placed_by == {}
    assert len(statements) - statements_for_recent == MAX_WORLD_CHANGES // WORLD_PAGE
