"""The event store: events commit with their change, and positions follow commit order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.actor import Actor
from novel_engine.domain.commands import CreateCampaign, UpdateWorldState
from novel_engine.domain.errors import VersionConflict
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId, utcnow
from novel_engine.domain.services import campaigns
from novel_engine.persistence import event_store
from novel_engine.persistence.engine import as_writer
from novel_engine.persistence.tables import events, users
from novel_engine.persistence.uow import SqlUnitOfWork


async def a_user(engine: AsyncEngine) -> Actor:
    user_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            users.insert().values(
                id=user_id,
                email=f"{user_id}@example.com",
                display_name="Ada",
                password_hash="x",
                version=1,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return Actor(user_id)


def an_event(stream_id: uuid.UUID) -> DomainEvent:
    return DomainEvent(
        event_type=EventType.WORLD_STATE_CHANGED,
        aggregate_id=stream_id,
        aggregate_type=AggregateType.CAMPAIGN,
        payload={},
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, stream_id),
    )


@asynccontextmanager
async def writer(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in a write transaction (on SQLite: holding the write lock)."""
    conn = await as_writer(await engine.connect())
    try:
        await conn.begin()
        yield conn
    finally:
        await conn.close()


async def positions(engine: AsyncEngine, stream_id: uuid.UUID) -> list[int]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.position)
            .where(events.c.stream_id == stream_id)
            .order_by(events.c.position)
        )
        return list(found.scalars())


async def test_a_later_writer_waits_and_gets_the_next_position(engine: AsyncEngine) -> None:
    """A reader resuming after position N must never later find a smaller position appear."""
    stream = uuid.uuid4()

    async def second_writer() -> int:
        async with writer(engine) as conn:
            [stored] = await event_store.append(conn, [an_event(stream)])
            await conn.commit()
            return stored.position

    async with writer(engine) as first:
        [held] = await event_store.append(first, [an_event(stream)])
        second = asyncio.create_task(second_writer())
        await asyncio.sleep(0.3)
        assert not second.done(), "the second writer must wait for the first to commit"
        await first.commit()

    assert held.position == 1
    assert await second == 2
    assert await positions(engine, stream) == [1, 2]


async def test_a_rolled_back_append_leaves_no_gap(engine: AsyncEngine) -> None:
    stream = uuid.uuid4()
    async with writer(engine) as conn:
        await event_store.append(conn, [an_event(stream), an_event(stream)])
        await conn.rollback()
    async with writer(engine) as conn:
        stored = await event_store.append(conn, [an_event(stream)])
        await conn.commit()
    assert [s.position for s in stored] == [1]


async def test_concurrent_world_updates_one_winner_per_version_and_dense_positions(
    engine: AsyncEngine,
) -> None:
    # given
    owner = await a_user(engine)
    campaign = await campaigns.create_campaign(SqlUnitOfWork(engine), owner, CreateCampaign("Race"))

    # when: ten writers all claim version 1
    async def update(i: int) -> bool:
        try:
            await campaigns.update_world_state(
                SqlUnitOfWork(engine), owner, UpdateWorldState(campaign.id, {"winner": i}, 1)
            )
            return True
        except VersionConflict:
            return False

    outcomes = await asyncio.gather(*(update(i) for i in range(10)))

    # then
    assert outcomes.count(True) == 1
    assert await positions(engine, campaign.id) == [1, 2]


async def test_many_concurrent_writers_get_gapless_ordered_positions(engine: AsyncEngine) -> None:
    owner = await a_user(engine)
    campaign = await campaigns.create_campaign(
        SqlUnitOfWork(engine), owner, CreateCampaign("Busy", world_state={"n": 0})
    )

    async def bump() -> None:
        for _ in range(20):
            async with SqlUnitOfWork(engine) as uow:
                loaded = await uow.campaigns.get(campaign.id)
                assert loaded is not None
                loaded.update_world_state(
                    owner, {"n": loaded.world_state["n"] + 1}, loaded.world_version
                )
                await uow.commit()

    await asyncio.gather(*(bump() for _ in range(5)))

    assert await positions(engine, campaign.id) == list(range(1, 102))
    async with SqlUnitOfWork(engine) as uow:
        final = await uow.campaigns.get(campaign.id)
    assert final is not None
    assert final.world_state == {"n": 100}


@pytest.mark.parametrize("count", [1, 3])
async def test_events_of_one_command_are_appended_in_order(engine: AsyncEngine, count: int) -> None:
    stream = uuid.uuid4()
    batch = [an_event(stream) for _ in range(count)]
    async with writer(engine) as conn:
        stored = await event_store.append(conn, batch)
        await conn.commit()
    assert [s.event.event_id for s in stored] == [e.event_id for e in batch]
    assert [s.position for s in stored] == list(range(1, count + 1))
