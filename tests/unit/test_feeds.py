"""Feeds and resumable streams on an in-memory store and hub: order, gaps, overflow,
joining and leaving, filtered groups, failed renders and publishing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Hashable
from contextlib import aclosing
from typing import Any

import pytest

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StoredEvent, StreamId
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.feeds import (
    EventNotDelivered,
    Render,
    SlowConsumer,
    stream_channel,
)
from novel_engine.subscriptions.hub import HubListener, InProcessHub
from novel_engine.subscriptions.live import LiveEvents
from novel_engine.subscriptions.stats import HubStats

STREAM = uuid.uuid4()


def world_changed(stream: uuid.UUID, position: int) -> StoredEvent:
    event = DomainEvent(
        event_type=EventType.WORLD_STATE_CHANGED,
        aggregate_id=stream,
        aggregate_type=AggregateType.CAMPAIGN,
        payload={"n": position},
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, stream),
    )
    return StoredEvent(event, position)


class MemoryStore:
    """The event store: what is committed, readable after a position; counts reads."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self.reads = 0
        self.heads = 0

    def commit(self) -> StoredEvent:
        stored = world_changed(STREAM, len(self.events) + 1)
        self.events.append(stored)
        return stored

    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        self.reads += 1
        return [e for e in self.events if e.position > after][:limit]

    async def head(self, stream_id: uuid.UUID) -> int:
        self.heads += 1
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


def following(live: LiveEvents) -> bool:
    """Whether the stream's feed has started: its members get every later event."""
    feed = live.feeds._feeds.get(STREAM)
    return feed is not None and feed._task is not None


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


class SlowBrokerHub:
    """A hub whose broker takes its time to confirm a subscription (until `answer` is
    set); the listener counts as subscribed from the moment it asked, as with Redis."""

    def __init__(self) -> None:
        self.stats = HubStats()
        self.listeners: dict[str, set[HubListener]] = {}
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def publish(self, channel: str, message: bytes) -> None:
        for listener in list(self.listeners.get(channel, ())):
            listener.deliver(message)

    async def subscribe(self, channel: str, listener: HubListener) -> None:
        self.listeners.setdefault(channel, set()).add(listener)
        self.asked.set()
        await self.answer.wait()

    async def unsubscribe(self, channel: str, listener: HubListener) -> None:
        listeners = self.listeners.get(channel, set())
        listeners.discard(listener)
        if not listeners:
            self.listeners.pop(channel, None)

    async def ping(self) -> bool:
        return True


class OneChannelDownHub(InProcessHub):
    """A broker that refuses to publish on one channel and records the others."""

    def __init__(self, down: str) -> None:
        super().__init__()
        self.down = down
        self.published: list[str] = []

    async def publish(self, channel: str, message: bytes) -> None:
        if channel == self.down:
            raise ConnectionError("broker refused the message")
        self.published.append(channel)
        await super().publish(channel, message)


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(2):
        while not condition():  # noqa: ASYNC110 - nothing to await but the state itself
            await asyncio.sleep(0.01)


async def first(live: LiveEvents, key: Hashable) -> tuple[int, Any]:
    followed = live.follow(STREAM, 0, key, render)
    async with aclosing(followed):
        return await followed.__anext__()


async def payloads(live: LiveEvents, key: Hashable, draw: Render, count: int) -> list[Any]:
    """The first `count` payloads a subscriber of group `key` is sent."""
    received: list[Any] = []
    followed = live.follow(STREAM, 0, key, draw)
    async with aclosing(followed):
        async for _, payload in followed:
            received.append(payload)
            if len(received) == count:
                break
    return received


async def test_a_subscriber_cancelled_while_its_feed_starts_leaves_no_feed_behind() -> None:
    # given: a subscriber waiting for the broker to confirm its stream's subscription
    store, hub = MemoryStore(), SlowBrokerHub()
    live = LiveEvents(hub, store)
    joining = asyncio.create_task(first(live, "k"))
    await hub.asked.wait()

    # when: it goes away before the broker answers, and the broker answers after all
    joining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await joining
    hub.answer.set()
    await asyncio.sleep(0.05)

    # then: no feed is left following the stream, and the hub has no listener for it
    assert len(live.feeds) == 0
    assert hub.listeners == {}


async def test_a_subscriber_cancelled_while_another_starts_the_feed_leaves_only_itself() -> None:
    # given: two subscribers waiting on the same starting feed
    store, hub = MemoryStore(), SlowBrokerHub()
    live = LiveEvents(hub, store)
    staying = asyncio.create_task(first(live, "a"))
    leaving = asyncio.create_task(first(live, "b"))
    await until(lambda: live.feeds.subscribers == 2)

    # when: one goes away while the start is still in flight
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    hub.answer.set()

    # then: the other one is still served, and leaves nothing behind when done
    assert live.feeds.subscribers == 1
    await until(lambda: following(live))
    await hub.publish(stream_channel(STREAM), codec.encode([store.commit()]))
    assert await asyncio.wait_for(staying, 2) == (1, 1)
    assert len(live.feeds) == 0
    assert hub.listeners == {}


async def test_hidden_events_cost_no_store_read_and_one_render_per_group() -> None:
    # given: ten subscribers in two groups, each group allowed to see half of the events
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    renders: Counter[int] = Counter()

    def seeing(parity: int) -> Render:
        async def draw(stored: StoredEvent) -> int | None:
            renders[parity] += 1
            return stored.position if stored.position % 2 == parity else None

        return draw

    readers = [
        asyncio.create_task(payloads(live, i % 2, seeing(i % 2), count=5)) for i in range(10)
    ]
    await until(lambda: live.feeds.subscribers == 10 and following(live))
    assert store.reads == 0  # joined at the head: what follows comes from the feed
    reads_after_joining = store.reads

    # when: ten events are committed
    await publish(hub, *[store.commit() for _ in range(10)])

    # then: each subscriber gets what its group may see, without reading the store again
    received = await asyncio.wait_for(asyncio.gather(*readers), 2)
    assert received == [[2, 4, 6, 8, 10], [1, 3, 5, 7, 9]] * 5
    assert store.reads == reads_after_joining
    assert renders == {0: 10, 1: 10}


async def test_a_group_that_cannot_render_an_event_is_told_and_the_others_get_it() -> None:
    # given: two subscribers whose group cannot render the second event, and one other
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)

    async def broken(stored: StoredEvent) -> int:
        if stored.position == 2:
            raise ValueError("this event cannot be rendered")
        return stored.position

    async def until_refused() -> tuple[list[int], EventNotDelivered]:
        received: list[int] = []
        followed = live.follow(STREAM, 0, "broken", broken)
        async with aclosing(followed):
            try:
                async for position, _ in followed:
                    received.append(position)
            except EventNotDelivered as refused:
                return received, refused
        raise AssertionError("the stream ended without an error")

    refused = [asyncio.create_task(until_refused()) for _ in range(2)]
    served = asyncio.create_task(collect(live, 0, 3, key="fine"))
    await until(lambda: live.feeds.subscribers == 3)
    reads_after_joining = store.reads

    # when
    await publish(hub, store.commit(), store.commit(), store.commit())

    # then: the broken group's members get an error at that event, never a gap
    for received, error in await asyncio.wait_for(asyncio.gather(*refused), 2):
        assert received == [1]
        assert error.position == 2
    assert await asyncio.wait_for(served, 2) == [1, 2, 3]
    assert store.reads == reads_after_joining
    assert len(live.feeds) == 0


async def test_a_stream_that_fails_to_publish_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a broker that refuses one stream's channel
    down, up = uuid.uuid4(), uuid.uuid4()
    hub = OneChannelDownHub(down=stream_channel(down))
    live = LiveEvents(hub, MemoryStore())

    # when: one commit touched both streams
    with caplog.at_level(logging.WARNING):
        await live.publish([world_changed(down, 7), world_changed(up, 3)])

    # then: the other stream still went out; the failure is logged and counted
    assert hub.published == [stream_channel(up)]
    assert f"stream {down} failed" in caplog.text
    figures = {f.name: f.value for f in live.figures()}
    assert figures["novel_engine_live_failed_publishes"] == 1


async def test_figures_count_feeds_subscribers_and_renders_per_group() -> None:
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    readers = [asyncio.create_task(collect(live, 0, 2, key=i % 2)) for i in range(3)]
    await until(lambda: live.feeds.subscribers == 3)

    await publish(hub, store.commit())
    await until(lambda: live.stats.renders == 2)

    figures = {f.name: f.value for f in live.figures()}
    assert figures["novel_engine_live_feeds"] == 1
    assert figures["novel_engine_live_subscribers"] == 3
    assert figures["novel_engine_live_renders"] == 2  # two groups, one event
    assert figures["novel_engine_hub_reconnects"] == 0
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    assert {f.name: f.value for f in live.figures()}["novel_engine_live_feeds"] == 0


async def test_joining_a_running_feed_reads_the_store_only_for_what_it_missed() -> None:
    # given: a feed already followed, three events in
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    watching = asyncio.create_task(collect(live, 0, 5, key="first"))
    await until(lambda: following(live))
    await publish(hub, store.commit(), store.commit(), store.commit())
    await until(lambda: live.feeds._feeds[STREAM].last == 3)
    reads = store.reads

    # when: one joins at the head, another with an older cursor
    at_head = asyncio.create_task(collect(live, 3, 2, key="second"))
    behind = asyncio.create_task(collect(live, 1, 4, key="third"))
    await until(lambda: live.feeds.subscribers == 3)
    await publish(hub, store.commit(), store.commit())

    # then: each gets what follows its cursor once, in order; only the late one read
    assert await asyncio.wait_for(at_head, 2) == [4, 5]
    assert await asyncio.wait_for(behind, 2) == [2, 3, 4, 5]
    assert await asyncio.wait_for(watching, 2) == [1, 2, 3, 4, 5]
    assert store.reads == reads + 1


async def test_a_sink_takes_live_events_in_order_and_what_it_declines_comes_out_after() -> None:
    # given: a subscriber whose sink takes even positions and declines odd ones
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    sunk: list[int] = []
    out: list[int] = []

    def sink(position: int, payload: Any) -> bool:
        if position % 2:
            return False
        sunk.append(payload)
        return True

    async def through_sink() -> None:
        followed = live.follow(STREAM, 0, "k", render, sink=sink)
        async with aclosing(followed):
            async for position, _ in followed:
                out.append(position)
                if position == 4:
                    return

    reading = asyncio.create_task(through_sink())
    await until(lambda: following(live))

    # when: one event the sink declines, then (the reader idle again) three more at once
    await publish(hub, store.commit())
    await until(lambda: out == [1])
    await asyncio.sleep(0.01)
    await publish(hub, store.commit(), store.commit(), store.commit())
    await asyncio.wait_for(reading, 2)

    # then: the sink took 2; once it declined 3, 4 went the long way too, after 3
    assert sunk == [2]
    assert out == [1, 3, 4]


async def test_the_head_of_a_followed_stream_is_the_feeds_without_a_store_read() -> None:
    # given: a stream followed in this process, two events delivered
    store, hub = MemoryStore(), InProcessHub()
    live = LiveEvents(hub, store)
    assert await live.head(STREAM) == 0  # not followed: the store says
    watching = asyncio.create_task(collect(live, 0, 2))
    await until(lambda: following(live))
    await publish(hub, store.commit(), store.commit())
    await asyncio.wait_for(watching, 2)
    follower = asyncio.create_task(collect(live, 2, 1, key="other"))
    await until(lambda: live.feeds.subscribers == 1 and following(live))
    heads = store.heads

    # when / then
    assert await live.head(STREAM) == 2
    assert store.heads == heads
    follower.cancel()
