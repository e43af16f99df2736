"""Feeds and resumable streams on an in-memory store and hub: order, gaps, overflow."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import aclosing

import pytest

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StoredEvent, StreamId
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.feeds import SlowConsumer, stream_channel
from novel_engine.subscriptions.hub import InProcessHub
from novel_engine.subscriptions.live import LiveEvents

STREAM = uuid.uuid4()


class MemoryStore:
    """The event store: what is committed, readable after a position."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []

    def commit(self) -> StoredEvent:
        event = DomainEvent(
            event_type=EventType.WORLD_STATE_CHANGED,
            aggregate_id=STREAM,
            aggregate_type=AggregateType.CAMPAIGN,
            payload={"n": len(self.events) + 1},
            user_id=None,
            stream=StreamId(AggregateType.CAMPAIGN, STREAM),
        )
        stored = StoredEvent(event, len(self.events) + 1)
        self.events.append(stored)
        return stored

    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        return [e for e in self.events if e.position > after][:limit]

    async def head(self, stream_id: uuid.UUID) -> int:
        return len(self.events)


async def render(stored: StoredEvent) -> int:
    return stored.position


async def collect(live: LiveEvents, after: int, count: int, key: object = "k") -> list[int]:
    positions: list[int] = []
    followed = live.follow(STREAM, after, key, render)
    async with aclosing(followed):
        async for position, payload in followed:
            assert position == payload
            positions.append(position)
            if len(positions) == count:
                return positions
    return positions


async def publish(hub: InProcessHub, *events: StoredEvent) -> None:
    await hub.publish(stream_channel(STREAM), codec.encode(list(events)))


async def test_replay_then_live_in_order() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    for _ in range(3):
        store.commit()
    reading = asyncio.create_task(collect(live, 1, 4))
    await asyncio.sleep(0.05)
    await publish(hub, store.commit(), store.commit())
    assert await asyncio.wait_for(reading, 2) == [2, 3, 4, 5]


async def test_a_skipped_position_is_healed_from_the_store() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    reading = asyncio.create_task(collect(live, 0, 3))
    await asyncio.sleep(0.05)
    lost, late = store.commit(), store.commit()  # the message for `lost` never arrives
    third = store.commit()
    await publish(hub, late, third)
    await publish(hub, lost)  # arrives last, and only once delivered
    assert await asyncio.wait_for(reading, 2) == [1, 2, 3]


async def test_a_gap_signal_makes_the_feed_reread_the_store() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    reading = asyncio.create_task(collect(live, 0, 2))
    await asyncio.sleep(0.05)
    store.commit()
    store.commit()  # committed while the broker was away: never published
    feed = live.feeds._feeds[STREAM]
    feed.gap()
    assert await asyncio.wait_for(reading, 2) == [1, 2]


async def test_duplicates_are_delivered_once() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    reading = asyncio.create_task(collect(live, 0, 2))
    await asyncio.sleep(0.05)
    first = store.commit()
    await publish(hub, first)
    await publish(hub, first)
    await publish(hub, store.commit())
    assert await asyncio.wait_for(reading, 2) == [1, 2]


async def test_a_group_renders_each_event_once() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    renders: list[int] = []

    async def counted(stored: StoredEvent) -> int:
        renders.append(stored.position)
        return stored.position

    async def member() -> list[int]:
        followed = live.follow(STREAM, 0, "same", counted)
        async with aclosing(followed):
            return [payload for _, payload in [await followed.__anext__() for _ in range(2)]]

    readers = [asyncio.create_task(member()) for _ in range(5)]
    await asyncio.sleep(0.05)
    await publish(hub, store.commit(), store.commit())

    assert await asyncio.gather(*readers) == [[1, 2]] * 5
    assert renders == [1, 2]


async def test_an_overflowing_subscriber_is_told_and_stops() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store, queue_limit=3)
    told = asyncio.Event()
    followed = live.follow(
        STREAM, 0, "k", render, joined=lambda s: setattr(s, "on_overflow", told.set)
    )
    waiting = asyncio.create_task(followed.__anext__())
    await asyncio.sleep(0.05)

    await publish(hub, *[store.commit() for _ in range(10)])  # more than it can hold

    await asyncio.wait_for(told.wait(), 2)
    with pytest.raises(SlowConsumer):
        await waiting  # the backlog is dropped: it resumes by cursor instead
    await followed.aclose()
    assert STREAM not in live.feeds._feeds
