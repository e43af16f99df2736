"""A session's narration, live: chunks published through the hub as the chronicler
stores them, and a stream per subscriber that starts from the store and heals from it.

Each published chunk names the cursor before it in its session (one narration runs at a
time per session), so a subscriber knows whether it missed one; when it did, or when the
hub reports a gap, or after a quiet spell, it reads the store after the last chunk it
sent. Chunks come in cursor order, with no gap and no duplicate.

A turn has several tellings in a campaign seen through its characters (the omniscient
prose, then one per witnessing player character), all on the session's one channel and
cursor sequence. A subscriber reads `Viewpoints`: it follows every chunk's cursor, its
own tellings' and the others', so another telling's chunk never looks like a gap, and
sends only its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import asdict

from novel_engine.domain.narration import NarrativeChunk, Viewpoints, in_progress
from novel_engine.domain.ports import NarrativeReader
from novel_engine.subscriptions.hub import EventHub

log = logging.getLogger(__name__)

READ_BATCH = 200
INBOX_LIMIT = 1_000
IDLE_CHECK = 15.0


def narrative_channel(session_id: uuid.UUID) -> str:
    return f"novel-engine:narrative:{session_id}"


# Awaited as a telling begins; raises to end the stream (see `narrative_stream`).
Recheck = Callable[[NarrativeChunk], Awaitable[None]]


class HubNarrativePublisher:
    """Tells every process's subscribers of a stored chunk (best effort: they heal)."""

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    async def publish(self, chunk: NarrativeChunk, previous: int) -> None:
        message = json.dumps({**asdict(chunk), "previous": previous}, default=str)
        try:
            await self._hub.publish(narrative_channel(chunk.session_id), message.encode())
        except Exception:
            log.warning("narrative chunk %s not published; subscribers heal", chunk.cursor)


class _Inbox:
    """The hub listener of one subscriber: chunks as published, or word of a gap."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[NarrativeChunk, int] | None] = asyncio.Queue()

    def deliver(self, message: bytes) -> None:
        if self.queue.qsize() >= INBOX_LIMIT:
            self.gap()
            return
        try:
            data = json.loads(message)
            viewpoint = data.get("viewpoint")
            chunk = NarrativeChunk(
                uuid.UUID(data["session_id"]),
                uuid.UUID(data["turn_id"]),
                int(data["sequence"]),
                str(data["text"]),
                bool(data["done"]),
                int(data["cursor"]),
                uuid.UUID(viewpoint) if viewpoint else None,
            )
            self.queue.put_nowait((chunk, int(data["previous"])))
        except (ValueError, KeyError, TypeError):
            self.gap()

    def gap(self) -> None:
        self.queue.put_nowait(None)


class NarrativeFeeds:
    def __init__(self, hub: EventHub, reader: NarrativeReader) -> None:
        self._hub = hub
        self._reader = reader

    def stream(
        self,
        session_id: uuid.UUID,
        after: int | None,
        viewpoints: Viewpoints,
        recheck: Recheck | None = None,
    ) -> AsyncGenerator[NarrativeChunk, None]:
        return narrative_stream(self._hub, self._reader, session_id, after, viewpoints, recheck)


async def narrative_stream(
    hub: EventHub,
    reader: NarrativeReader,
    session_id: uuid.UUID,
    after: int | None,
    viewpoints: Viewpoints,
    recheck: Recheck | None = None,
) -> AsyncGenerator[NarrativeChunk, None]:
    """The session's chunks of the tellings `viewpoints` shows: with `after`, every such
    chunk after that cursor, then live; without, the chunks so far of those of the last
    turn's tellings still being written, then live. `recheck` is awaited as each later
    telling begins (its first chunk, shown or not): it may end the stream by raising,
    when what the reader may read has changed since it subscribed."""
    inbox = _Inbox()
    channel = narrative_channel(session_id)
    await hub.subscribe(channel, inbox)  # before reading, so nothing falls between
    try:
        if after is None:
            current, last = await reader.current(session_id)
            for chunk in in_progress(current, viewpoints):
                yield chunk
        else:
            last = after
        while True:
            async for chunk in _read_after(reader, session_id, last):
                if recheck is not None and chunk.sequence == 0:
                    await recheck(chunk)
                last = chunk.cursor
                if viewpoints.shows(chunk.viewpoint):
                    yield chunk
            while True:
                try:
                    async with asyncio.timeout(IDLE_CHECK):
                        message = await inbox.queue.get()
                except TimeoutError:
                    break  # a quiet spell: check the store
                if message is None:
                    break  # a gap: read the store
                chunk, previous = message
                if chunk.cursor <= last:
                    continue  # already sent (read from the store)
                if previous != last:
                    break  # one was missed: read the store
                if recheck is not None and chunk.sequence == 0:
                    await recheck(chunk)
                last = chunk.cursor  # followed even when not shown: no false gap
                if viewpoints.shows(chunk.viewpoint):
                    yield chunk
    finally:
        await hub.unsubscribe(channel, inbox)


async def _read_after(
    reader: NarrativeReader, session_id: uuid.UUID, cursor: int
) -> AsyncGenerator[NarrativeChunk, None]:
    while True:
        page = await reader.after(session_id, cursor, READ_BATCH)
        for chunk in page:
            yield chunk
        if len(page) < READ_BATCH:
            return
        cursor = page[-1].cursor
