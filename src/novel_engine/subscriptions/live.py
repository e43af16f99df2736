"""Live events for the rest of the server: publishing after commit, and resumable streams
(replay from the event store after a cursor, then live, with no gap and no duplicate)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncGenerator, Hashable, Sequence
from contextlib import aclosing
from typing import Any

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.ports import EventStoreReader
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.feeds import (
    QUEUE_LIMIT,
    READ_BATCH,
    Feeds,
    LiveSubscriber,
    Render,
    stream_channel,
)
from novel_engine.subscriptions.hub import EventHub


class LiveEvents:
    def __init__(
        self, hub: EventHub, reader: EventStoreReader, queue_limit: int = QUEUE_LIMIT
    ) -> None:
        self.hub = hub
        self.reader = reader
        self.queue_limit = queue_limit
        self.feeds = Feeds(reader, hub)
        self._raw_keys = itertools.count()

    async def close(self) -> None:
        await self.feeds.close()

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """One message per stream per commit, encoded once."""
        by_stream: dict[uuid.UUID, list[StoredEvent]] = {}
        for stored in events:
            by_stream.setdefault(stored.event.stream.id, []).append(stored)
        for stream_id, batch in by_stream.items():
            await self.hub.publish(stream_channel(stream_id), codec.encode(batch))

    async def follow(
        self,
        stream_id: uuid.UUID,
        after: int,
        key: Hashable,
        render: Render,
        *,
        joined: Any = None,
    ) -> AsyncGenerator[tuple[int, Any], None]:
        """Everything after `after`, rendered, in order: first replayed from the store,
        then live from this stream's feed (shared with the group `key`).

        `joined(subscriber)` is called once the subscriber is registered, e.g. to be
        told when it overflows.
        """
        feed, subscriber = await self.feeds.join(stream_id, key, render, self.queue_limit)
        if joined is not None:
            joined(subscriber)
        try:
            last = after
            while True:
                replayed = self._replay(stream_id, last, render)
                async with aclosing(replayed):
                    async for position, payload in replayed:
                        last = position
                        if payload is not None:
                            yield position, payload
                live = _live(subscriber, last)
                async with aclosing(live):
                    async for position, payload in live:
                        last = position
                        yield position, payload
        finally:
            await self.feeds.leave(feed, subscriber)

    async def events(self, stream_id: uuid.UUID, after: int) -> AsyncGenerator[StoredEvent, None]:
        """The same guarantee, as plain events for one subscriber (nothing shared)."""

        async def itself(stored: StoredEvent) -> StoredEvent:
            return stored

        key = ("raw", next(self._raw_keys))
        followed = self.follow(stream_id, after, key, itself)
        async with aclosing(followed):
            async for _, stored in followed:
                yield stored

    async def _replay(
        self, stream_id: uuid.UUID, after: int, render: Render
    ) -> AsyncGenerator[tuple[int, Any], None]:
        while True:
            batch = await self.reader.read(stream_id, after, READ_BATCH)
            for stored in batch:
                after = stored.position
                yield stored.position, await render(stored)
            if len(batch) < READ_BATCH:
                return


async def _live(subscriber: LiveSubscriber, last: int) -> AsyncGenerator[tuple[int, Any], None]:
    """Live items after `last`; stops (so the caller replays) if a position is skipped."""
    while True:
        position, payload = await subscriber.get()
        if position <= last:
            continue
        if position != last + 1:
            return
        last = position
        yield position, payload
