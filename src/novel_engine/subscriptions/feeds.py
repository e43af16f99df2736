"""Per-stream feeds: one hub subscription per stream per process, fanned out locally.

A feed delivers its stream's events in position order with no gap: a message that skips
positions, a gap signal from the hub, or a quiet spell makes it read the event store
after the last position it delivered. Subscribers are grouped by what they would be
sent (same document, variables and visibility); each event is rendered once per group
and the same payload goes to every member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.ports import EventStoreReader
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.hub import EventHub

log = logging.getLogger(__name__)

# Renders one event for a group: what to send (the same object to every member), or None
# when the group may not see the event.
Render = Callable[[StoredEvent], Awaitable[Any]]

QUEUE_LIMIT = 1_000
INBOX_LIMIT = 10_000
READ_BATCH = 500
IDLE_CHECK = 10.0


def stream_channel(stream_id: uuid.UUID) -> str:
    return f"novel-engine:stream:{stream_id}"


class SlowConsumer(Exception):
    """A subscriber fell QUEUE_LIMIT events behind; it resumes by cursor."""


class LiveSubscriber:
    """One subscriber's bounded queue of (position, payload)."""

    def __init__(self, limit: int = QUEUE_LIMIT) -> None:
        self._queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue(limit)
        self.overflowed = False
        self.on_overflow: Callable[[], None] = lambda: None

    def push(self, position: int, payload: Any) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait((position, payload))
        except asyncio.QueueFull:
            self.overflowed = True
            self._queue = asyncio.Queue(1)  # drop the backlog: it will be replayed
            self.on_overflow()

    async def get(self) -> tuple[int, Any]:
        if self.overflowed:
            raise SlowConsumer()
        item = await self._queue.get()
        if self.overflowed:
            raise SlowConsumer()
        return item


@dataclass
class Group:
    render: Render
    members: set[LiveSubscriber] = field(default_factory=set)


_GAP = object()


class Feed:
    def __init__(self, stream_id: uuid.UUID, reader: EventStoreReader, hub: EventHub) -> None:
        self.stream_id = stream_id
        self.channel = stream_channel(stream_id)
        self.last = 0
        self.groups: dict[Hashable, Group] = {}
        self.renders = 0
        self._reader = reader
        self._hub = hub
        self._inbox: asyncio.Queue[object] = asyncio.Queue(INBOX_LIMIT)
        self._overflowed = False
        self._task: asyncio.Task[None] | None = None

    # HubListener
    def deliver(self, message: bytes) -> None:
        self._put(message)

    def gap(self) -> None:
        self._put(_GAP)

    def _put(self, item: object) -> None:
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            self._overflowed = True

    async def start(self) -> None:
        await self._hub.subscribe(self.channel, self)
        # Subscribed first: whatever commits from here on reaches the inbox.
        self.last = await self._reader.head(self.stream_id)
        self._task = asyncio.create_task(self._run(), name=f"feed-{self.stream_id}")

    async def stop(self) -> None:
        await self._hub.unsubscribe(self.channel, self)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def subscribers(self) -> int:
        return sum(len(g.members) for g in self.groups.values())

    async def _run(self) -> None:
        while True:
            try:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that
                # arrives as a message does (gh-86296), and `stop()` would wait forever.
                async with asyncio.timeout(IDLE_CHECK):
                    item = await self._inbox.get()
            except TimeoutError:
                item = _GAP
            try:
                await self._handle(item)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("feed %s failed to deliver; will re-read the store", self.stream_id)
                self._put(_GAP)
                await asyncio.sleep(0.5)

    async def _handle(self, item: object) -> None:
        if self._overflowed or item is _GAP or not isinstance(item, bytes):
            self._overflowed = False
            await self._catch_up()
            return
        events = [e for e in codec.decode(item) if e.position > self.last]
        if events and events[0].position != self.last + 1:
            await self._catch_up()
            return
        for event in events:
            await self._deliver(event)

    async def _catch_up(self) -> None:
        while True:
            batch = await self._reader.read(self.stream_id, self.last, READ_BATCH)
            for event in batch:
                await self._deliver(event)
            if len(batch) < READ_BATCH:
                return

    async def _deliver(self, event: StoredEvent) -> None:
        if event.position != self.last + 1:
            return
        self.last = event.position
        for group in list(self.groups.values()):
            if not group.members:
                continue
            self.renders += 1
            payload = await group.render(event)
            if payload is None:
                continue
            for subscriber in list(group.members):
                subscriber.push(event.position, payload)


class Feeds:
    """The feeds of this process, created on first subscriber and stopped after the last."""

    def __init__(self, reader: EventStoreReader, hub: EventHub) -> None:
        self._reader = reader
        self._hub = hub
        self._feeds: dict[uuid.UUID, Feed] = {}
        self._starting: dict[uuid.UUID, asyncio.Task[Feed]] = {}

    async def join(
        self, stream_id: uuid.UUID, key: Hashable, render: Render, limit: int = QUEUE_LIMIT
    ) -> tuple[Feed, LiveSubscriber]:
        """Join a stream's live events. The subscriber gets every event delivered after
        `feed.last` at the moment of joining; the caller replays up to there itself."""
        feed = await self._feed(stream_id)
        group = feed.groups.get(key)
        if group is None:
            group = feed.groups[key] = Group(render)
        subscriber = LiveSubscriber(limit)
        group.members.add(subscriber)
        return feed, subscriber

    async def leave(self, feed: Feed, subscriber: LiveSubscriber) -> None:
        for key, group in list(feed.groups.items()):
            group.members.discard(subscriber)
            if not group.members:
                del feed.groups[key]
        if not feed.groups and self._feeds.get(feed.stream_id) is feed:
            del self._feeds[feed.stream_id]
            await feed.stop()

    async def _feed(self, stream_id: uuid.UUID) -> Feed:
        feed = self._feeds.get(stream_id)
        if feed is not None:
            return feed
        starting = self._starting.get(stream_id)
        if starting is None:
            starting = asyncio.create_task(self._start(stream_id))
            self._starting[stream_id] = starting
        return await asyncio.shield(starting)

    async def _start(self, stream_id: uuid.UUID) -> Feed:
        feed = Feed(stream_id, self._reader, self._hub)
        try:
            await feed.start()
            self._feeds[stream_id] = feed
            return feed
        finally:
            del self._starting[stream_id]

    @property
    def subscribers(self) -> int:
        return sum(feed.subscribers for feed in self._feeds.values())

    def __len__(self) -> int:
        return len(self._feeds)

    async def close(self) -> None:
        for feed in list(self._feeds.values()):
            await feed.stop()
        self._feeds.clear()
