"""Appending events in the writer's transaction, and reading streams back in order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import (
    AggregateType,
    DomainEvent,
    EventType,
    StoredEvent,
    StreamId,
)
from novel_engine.persistence.tables import event_streams, events


async def append(conn: AsyncConnection, new_events: Sequence[DomainEvent]) -> list[StoredEvent]:
    """Append in order; positions are reserved under the stream row's lock."""
    stored: list[StoredEvent] = []
    order = {stream: i for i, stream in reversed(list(enumerate(e.stream for e in new_events)))}
    by_stream = sorted(new_events, key=lambda e: order[e.stream])
    for stream, group in groupby(by_stream, key=lambda e: e.stream):
        batch = list(group)
        last = await _reserve(conn, stream, len(batch))
        first = last - len(batch) + 1
        stored.extend(StoredEvent(e, first + i) for i, e in enumerate(batch))
    if stored:
        await conn.execute(events.insert(), [_row(s) for s in stored])
    return stored


async def _reserve(conn: AsyncConnection, stream: StreamId, count: int) -> int:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(event_streams)
        .values(stream_id=stream.id, stream_type=stream.kind.value, position=count)
        .on_conflict_do_update(
            index_elements=[event_streams.c.stream_id],
            set_={"position": event_streams.c.position + count},
        )
        .returning(event_streams.c.position)
    )
    return int((await conn.execute(stmt)).scalar_one())


def _row(stored: StoredEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "stream_id": e.stream.id,
        "stream_type": e.stream.kind.value,
        "position": stored.position,
        "event_id": e.event_id,
        "event_type": e.event_type.value,
        "event_version": e.event_version,
        "aggregate_id": e.aggregate_id,
        "aggregate_type": e.aggregate_type.value,
        "occurred_at": e.timestamp,
        "correlation_id": e.correlation_id,
        "causation_id": e.causation_id,
        "user_id": e.user_id,
        "payload": e.payload,
        "metadata": e.metadata,
    }


async def read_pages(
    conn: AsyncConnection, keys: Sequence[tuple[uuid.UUID, int, int]]
) -> dict[tuple[uuid.UUID, int, int], list[StoredEvent]]:
    """For each (stream, after, limit), the events after that position, at most `limit`.

    Positions within a stream are dense (1, 2, 3, ...), so a page is a range: one
    statement serves every stream at once.
    """
    if not keys:
        return {}
    ranges = [
        and_(
            events.c.stream_id == stream_id,
            events.c.position > after,
            events.c.position <= after + limit,
        )
        for stream_id, after, limit in keys
    ]
    stmt = select(events).where(or_(*ranges)).order_by(events.c.stream_id, events.c.position)
    keys_by_stream: dict[uuid.UUID, list[tuple[uuid.UUID, int, int]]] = defaultdict(list)
    for key in keys:
        keys_by_stream[key[0]].append(key)
    pages: dict[tuple[uuid.UUID, int, int], list[StoredEvent]] = {key: [] for key in keys}
    for row in await conn.execute(stmt):
        stored = to_stored_event(row)
        for key in keys_by_stream[row.stream_id]:
            _, after, limit = key
            if after < row.position <= after + limit:
                pages[key].append(stored)
    return pages


def to_stored_event(row: Row[Any]) -> StoredEvent:
    event = DomainEvent(
        event_type=EventType(row.event_type),
        aggregate_id=row.aggregate_id,
        aggregate_type=AggregateType(row.aggregate_type),
        payload=row.payload,
        user_id=row.user_id,
        stream=StreamId(AggregateType(row.stream_type), row.stream_id),
        event_id=row.event_id,
        event_version=row.event_version,
        timestamp=row.occurred_at,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
        metadata=row.metadata,
    )
    return StoredEvent(event, row.position)


class SqlEventReader:
    """The event store as live subscriptions read it (replay and gap healing)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        pages = await self.read_pages([(stream_id, after, limit)])
        return pages[(stream_id, after, limit)]

    async def read_pages(
        self, keys: Sequence[tuple[uuid.UUID, int, int]]
    ) -> dict[tuple[uuid.UUID, int, int], list[StoredEvent]]:
        async with self._engine.connect() as conn:
            return await read_pages(conn, keys)

    async def about(self, aggregate_id: uuid.UUID) -> list[StoredEvent]:
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(events)
                .where(events.c.aggregate_id == aggregate_id)
                .order_by(events.c.stream_id, events.c.position)
            )
            return [to_stored_event(row) for row in found]

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StoredEvent]:
        """Events by their event ids, whatever their streams."""
        async with self._engine.connect() as conn:
            found = await conn.execute(select(events).where(events.c.event_id.in_(ids)))
            return {row.event_id: to_stored_event(row) for row in found}

    async def caused_by(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[StoredEvent]]:
        """For each event id, the events whose causationId it is, in stream order."""
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(events)
                .where(events.c.causation_id.in_(ids))
                .order_by(events.c.stream_id, events.c.position)
            )
            effects: dict[uuid.UUID, list[StoredEvent]] = defaultdict(list)
            for row in found:
                effects[row.causation_id].append(to_stored_event(row))
            return dict(effects)

    async def head(self, stream_id: uuid.UUID) -> int:
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(event_streams.c.position).where(event_streams.c.stream_id == stream_id)
            )
            return int(found.scalar_one_or_none() or 0)


class SqlCampaignHistory:
    """A campaign's stream, read in the unit of work's own transaction."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def head(self, campaign_id: uuid.UUID) -> int:
        found = await self._conn.scalar(
            select(event_streams.c.position).where(event_streams.c.stream_id == campaign_id)
        )
        return int(found or 0)

    async def read(self, campaign_id: uuid.UUID, through: int) -> list[StoredEvent]:
        found = await self._conn.execute(
            select(events)
            .where(events.c.stream_id == campaign_id, events.c.position <= through)
            .order_by(events.c.position)
        )
        return [to_stored_event(row) for row in found]
