"""The SQL unit of work: one transaction, aggregates and their events together."""

from __future__ import annotations

import logging
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import DomainEvent, StoredEvent
from novel_engine.domain.ports import EventPublisher
from novel_engine.persistence import event_store
from novel_engine.persistence.engine import as_writer
from novel_engine.persistence.repositories import (
    SqlCampaignRepository,
    SqlCharacterRepository,
    SqlSessionRepository,
    SqlStoryRepository,
    SqlUserRepository,
    Tracker,
)

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    characters: SqlCharacterRepository
    stories: SqlStoryRepository
    campaigns: SqlCampaignRepository
    sessions: SqlSessionRepository
    users: SqlUserRepository

    def __init__(self, engine: AsyncEngine, publisher: EventPublisher | None = None) -> None:
        self._engine = engine
        self._publisher = publisher
        self._conn: AsyncConnection | None = None
        self.committed: list[StoredEvent] = []

    async def __aenter__(self) -> SqlUnitOfWork:
        self._conn = await as_writer(await self._engine.connect())
        await self._conn.begin()
        tracker = Tracker()
        self.characters = SqlCharacterRepository(self._conn, tracker)
        self.stories = SqlStoryRepository(self._conn, tracker)
        self.campaigns = SqlCampaignRepository(self._conn, tracker)
        self.sessions = SqlSessionRepository(self._conn, tracker)
        self.users = SqlUserRepository(self._conn, tracker)
        self._tracker = tracker
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    async def commit(self) -> list[DomainEvent]:
        if self._conn is None:
            raise RuntimeError("commit outside `async with`")
        pending: list[DomainEvent] = []
        for aggregate, repository in self._tracker.seen:
            if self._tracker.changed(aggregate):
                await repository.persist(aggregate)
                pending.extend(aggregate.events)
        stored = await event_store.append(self._conn, pending)
        await self._conn.commit()
        for aggregate, _ in self._tracker.seen:
            aggregate.events.clear()
        self.committed.extend(stored)
        if self._publisher is not None and stored:
            try:
                await self._publisher.publish(stored)
            except Exception:
                # Committed is committed: live subscribers heal the gap from the store.
                log.warning("publishing %d events failed", len(stored), exc_info=True)
        return pending
