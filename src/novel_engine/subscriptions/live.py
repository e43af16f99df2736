"""Live events for the rest of the server: publishing after commit, and resumable streams
(replay from the event store after a cursor, then live, with no gap and no duplicate)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Hashable, Sequence
from contextlib import aclosing
from typing import Any

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.ports import EventStoreReader
from novel_engine.subscriptions import codec
from novel_engine.subscriptions.feeds import (
    QUEUE_LIMIT,
    READ_BATCH,
    EventNotDelivered,
    Feeds,
    LiveSubscriber,
    Render,
    stream_channel,
)
from novel_engine.subscriptions.hub import EventHub
from novel_engine.subscriptions.stats import Figure, LiveStats, live_figures
from novel_engine.subscriptions.subscriber import Sink

log = logging.getLogger(__name__)


class LiveEvents:
    def __init__(
        self, hub: EventHub, reader: EventStoreReader, queue_limit: int = QUEUE_LIMIT
    ) -> None:
        self.hub = hub
        self.reader = reader
        self.queue_limit = queue_limit
        self.stats = LiveStats()
        self.feeds = Feeds(reader, hub, self.stats)

    async def close(self) -> None:
        await self.feeds.close()

    def figures(self) -> list[Figure]:
        """This process's live-delivery figures, for the metrics endpoint."""
        return live_figures(len(self.feeds), self.feeds.subscribers, self.stats, self.hub.stats)

    async def publish(self, events: Sequence[StoredEvent]) -> None:
        """One message per stream per commit, encoded once. Streams go out independently:
        one that fails is logged and counted (its feeds heal from the store) and the
        others are still published."""
        by_stream: dict[uuid.UUID, list[StoredEvent]] = {}
        for stored in events:
            by_stream.setdefault(stored.event.stream.id, []).append(stored)
        for stream_id, batch in by_stream.items():
            try:
                await self.hub.publish(stream_channel(stream_id), codec.encode(batch))
            except Exception:
                self.stats.failed_publishes += 1
                log.warning(
                    "publishing %d events of stream %s failed", len(batch), stream_id, exc_info=True
                )

    def memo(self, stream_id: uuid.UUID) -> dict[Hashable, Any] | None:
        """Facts of the stream worth remembering until its next event, kept by the feed
        that follows it here (emptied as it delivers each event); None when no feed
        follows it yet."""
        return self.feeds.memo(stream_id)

    async def head(self, stream_id: uuid.UUID) -> int:
        """The newest position of the stream this process knows of: its feed's when one
        follows the stream (it may lag the store by what is on its way), else the store's."""
        known = self.feeds.following(stream_id)
        return known if known is not None else await self.reader.head(stream_id)

    async def follow(
        self,
        stream_id: uuid.UUID,
        after: int,
        key: Hashable,
        render: Render,
        *,
        joined: Callable[[LiveSubscriber], None] | None = None,
        sink: Sink | None = None,
    ) -> AsyncGenerator[tuple[int, Any], None]:
        """Everything after `after` that `render` does not hide (None), rendered, in order:
        first replayed from the store, then live from this stream's feed (shared with the
        group `key`).

        `joined(subscriber)` is called once the subscriber is registered, e.g. to be
        told when it overflows. With a `sink`, live events go straight to it once the
        replay is over, and only what it declines comes out here. Raises SlowConsumer
        or EventNotDelivered rather than leave a gap.
        """
        joining = self.feeds.join(stream_id, key, render, self.queue_limit)
        async with joining as subscriber:
            if joined is not None:
                joined(subscriber)
            last = after
            # Nothing to read when the feed hands this subscriber all that follows `after`.
            covered = subscriber.since is not None and after >= subscriber.since
            while True:  # replay from the store, then live until a position is lost
                live = _live(subscriber, sink)
                sources = (live,) if covered else (self._replay(stream_id, last, render), live)
                covered = False
                for items in sources:
                    async with aclosing(items):
                        async for position, payload in items:
                            last = max(last, subscriber.sunk)
                            if position <= last:
                                continue  # replay already covered it
                            if position != last + 1:
                                break  # a position was lost: replay from the store
                            last = position
                            if payload is not None:
                                yield position, payload

    async def _replay(
        self, stream_id: uuid.UUID, after: int, render: Render
    ) -> AsyncGenerator[tuple[int, Any], None]:
        while True:
            self.stats.store_reads += 1
            batch = await self.reader.read(stream_id, after, READ_BATCH)
            for stored in batch:
                after = stored.position
                try:
                    payload = await render(stored)
                except Exception as exc:
                    log.exception("could not render position %d of %s", stored.position, stream_id)
                    self.stats.undelivered += 1
                    raise EventNotDelivered(stored.position) from exc
                yield stored.position, payload
            if len(batch) < READ_BATCH:
                return


async def _live(
    subscriber: LiveSubscriber, sink: Sink | None
) -> AsyncGenerator[tuple[int, Any], None]:
    """What the feed hands the subscriber and the sink does not take: (position, payload),
    payload None when its group may not see that event."""
    while True:
        if sink is not None:
            subscriber.sink_into(sink)
        yield await subscriber.get()
