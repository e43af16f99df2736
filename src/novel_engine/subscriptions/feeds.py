"""Per-stream feeds: one hub subscription per stream per process, fanned out locally.

A feed delivers its stream's events in position order with no gap: a message that skips
positions, a gap signal from the hub, or a quiet spell makes it read the event store
after the last position it delivered. Subscribers are grouped by what they would be
sent (same document, variables and visibility); each event is rendered once per group
and the same payload goes to every member. A group that may not see an event gets a
skip marker instead; a group whose render fails gets an error. Either way every member
accounts for every position without reading the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.ports import EventStoreReader
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.hub import EventHub
from novel_engine.subscriptions.stats import LiveStats
from novel_engine.subscriptions.subscriber import (
    QUEUE_LIMIT,
    EventNotDelivered,
    LiveSubscriber,
    SlowConsumer,
)

__all__ = [
    "QUEUE_LIMIT",
    "READ_BATCH",
    "EventNotDelivered",
    "Feed",
    "Feeds",
    "LiveSubscriber",
    "Render",
    "SlowConsumer",
    "stream_channel",
]

log = logging.getLogger(__name__)

# Renders one event for a group: what to send (the same object to every member), or None
# when the group may not see the event (its members are sent a skip marker).
Render = Callable[[StoredEvent], Awaitable[Any]]

INBOX_LIMIT = 10_000
READ_BATCH = 500
IDLE_CHECK = 10.0
# Members handed an event between two turns of the event loop.
YIELD_EVERY = 500


def stream_channel(stream_id: uuid.UUID) -> str:
    return f"novel-engine:stream:{stream_id}"


@dataclass
class Group:
    render: Render
    members: set[LiveSubscriber] = field(default_factory=set)


_GAP = object()


class Feed:
    def __init__(
        self, stream_id: uuid.UUID, reader: EventStoreReader, hub: EventHub, stats: LiveStats
    ) -> None:
        self.stream_id = stream_id
        self.channel = stream_channel(stream_id)
        self.last = 0
        self.groups: dict[Hashable, Group] = {}
        # Facts of the stream as of `last`, emptied as each later event is delivered.
        self.memo: dict[Hashable, Any] = {}
        self._reader = reader
        self._hub = hub
        self._stats = stats
        self._inbox: asyncio.Queue[object] = asyncio.Queue(INBOX_LIMIT)
        self._overflowed = False
        self._starting: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

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

    def begin(self) -> None:
        """Start following the stream in the background; `started` waits for it."""
        self._starting = asyncio.create_task(self._start(), name=f"feed-start-{self.stream_id}")

    async def started(self) -> None:
        """Wait until the feed follows its stream. Cancelling the waiter leaves the start
        running for the other members; the last member to leave stops it."""
        assert self._starting is not None, "begin() first"
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        await self._hub.subscribe(self.channel, self)
        # Subscribed first: whatever commits from here on reaches the inbox.
        self.last = await self._reader.head(self.stream_id)
        for group in self.groups.values():
            for member in group.members:
                if member.since is None:
                    member.since = self.last
        self._task = asyncio.create_task(self._run(), name=f"feed-{self.stream_id}")

    async def stop(self) -> None:
        """Stop following: whether started, starting or failed to start, the hub
        subscription is gone afterwards."""
        if self._stopped:
            return
        self._stopped = True
        await _cancelled(self._starting)
        await _cancelled(self._task)  # once the start is over, so it cannot create one after
        await self._hub.unsubscribe(self.channel, self)

    @property
    def running(self) -> bool:
        """Started and following: every member is handed each position after `last`."""
        return self._task is not None and not self._stopped

    def add(self, key: Hashable, render: Render, limit: int) -> LiveSubscriber:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(render)
        subscriber = LiveSubscriber(key, limit)
        if self.running:  # following already: it is handed what comes next
            subscriber.since = self.last
        group.members.add(subscriber)
        return subscriber

    def remove(self, subscriber: LiveSubscriber) -> None:
        group = self.groups.get(subscriber.key)
        if group is None or subscriber not in group.members:
            return  # its group was dropped when an event could not be rendered for it
        group.members.discard(subscriber)
        if not group.members:
            del self.groups[subscriber.key]

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
                # Nothing past `last` was delivered, so reading the store again loses nothing.
                log.exception("feed %s failed; will re-read the store", self.stream_id)
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
            self._stats.store_reads += 1
            batch = await self._reader.read(self.stream_id, self.last, READ_BATCH)
            for event in batch:
                await self._deliver(event)
            if len(batch) < READ_BATCH:
                return

    async def _deliver(self, event: StoredEvent) -> None:
        if event.position != self.last + 1:
            return
        self.last = event.position
        if self.memo:
            self.memo.clear()
        for key, group in list(self.groups.items()):
            if group.members:
                await self._deliver_to(key, group, event)

    async def _deliver_to(self, key: Hashable, group: Group, event: StoredEvent) -> None:
        """Render once for the group and hand every member the same payload, a skip marker
        (None) when the group may not see it, or an error when it cannot be rendered."""
        self._stats.renders += 1
        try:
            payload = await group.render(event)
        except Exception:
            log.exception("feed %s could not render position %d", self.stream_id, event.position)
            self._stats.undelivered += 1
            if self.groups.get(key) is group:
                del self.groups[key]  # its members are finished; newcomers start afresh
            for member in group.members:
                member.fail(EventNotDelivered(event.position))
            return
        for count, member in enumerate(list(group.members), start=1):
            member.push(event.position, payload)
            if count % YIELD_EVERY == 0:
                # A crowd's writes are quick but not free: let other work in between.
                await asyncio.sleep(0)


async def _cancelled(task: asyncio.Task[None] | None) -> None:
    """Cancel the task and wait until it is over, whatever it raised."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # a failed start was already reported to those waiting on it


class Feeds:
    """The feeds of this process, created on first subscriber and stopped after the last."""

    def __init__(self, reader: EventStoreReader, hub: EventHub, stats: LiveStats) -> None:
        self._reader = reader
        self._hub = hub
        self._stats = stats
        self._feeds: dict[uuid.UUID, Feed] = {}
        self._stopping: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def join(
        self, stream_id: uuid.UUID, key: Hashable, render: Render, limit: int = QUEUE_LIMIT
    ) -> AsyncIterator[LiveSubscriber]:
        """Be a member of the stream's feed (group `key`) for the length of the block.

        The subscriber gets every event the feed delivers from the moment it joined; the
        caller replays from the store up to there itself. Leaving is certain, also when
        the block is cancelled while the feed is still starting.
        """
        feed = self._feeds.get(stream_id)
        if feed is None:
            feed = self._feeds[stream_id] = Feed(stream_id, self._reader, self._hub, self._stats)
            feed.begin()
        # A member from here on, before any await: a feed is never without its joiners.
        subscriber = feed.add(key, render, limit)
        try:
            await feed.started()
            yield subscriber
        finally:
            await self._leave(feed, subscriber)

    async def _leave(self, feed: Feed, subscriber: LiveSubscriber) -> None:
        feed.remove(subscriber)
        if feed.subscribers:
            return
        if self._feeds.get(feed.stream_id) is feed:
            del self._feeds[feed.stream_id]
        # Shielded: a leaver cancelled again must not leave the hub subscription behind.
        stopping = asyncio.create_task(feed.stop())
        self._stopping.add(stopping)
        stopping.add_done_callback(self._stopping.discard)
        await asyncio.shield(stopping)

    @property
    def subscribers(self) -> int:
        return sum(feed.subscribers for feed in self._feeds.values())

    def memo(self, stream_id: uuid.UUID) -> dict[Hashable, Any] | None:
        feed = self._feeds.get(stream_id)
        return feed.memo if feed is not None and feed.running else None

    def following(self, stream_id: uuid.UUID) -> int | None:
        """The last position this process's feed of the stream delivered, if it follows
        the stream already; None if there is no such feed or it is still starting."""
        feed = self._feeds.get(stream_id)
        return feed.last if feed is not None and feed.running else None

    def __len__(self) -> int:
        return len(self._feeds)

    async def close(self) -> None:
        feeds, self._feeds = list(self._feeds.values()), {}
        for feed in feeds:
            await feed.stop()
        if self._stopping:
            await asyncio.wait(self._stopping)
