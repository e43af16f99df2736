"""A feed told to stop stops, even when a message reaches it at that very moment."""

from __future__ import annotations

import asyncio
import uuid

from novel_engine.domain.events import StoredEvent
from novel_engine.subscriptions.feeds import Feed
from novel_engine.subscriptions.hub import InProcessHub
from novel_engine.subscriptions.stats import LiveStats


class EmptyStore:
    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        return []

    async def head(self, stream_id: uuid.UUID) -> int:
        return 0


async def test_a_feed_stops_when_a_message_arrives_as_it_is_stopped() -> None:
    # given: a running feed that has just been handed a message
    feed = Feed(uuid.uuid4(), EmptyStore(), InProcessHub(), LiveStats())
    feed.begin()
    await feed.started()
    await asyncio.sleep(0.01)
    feed.deliver(b"[]")
    await asyncio.sleep(0)  # the feed's read of its inbox completes, not yet resumed

    # when
    stopping = asyncio.ensure_future(feed.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)

    # then: the last subscriber's leaving is not stuck behind the feed
    assert done == {stopping}
