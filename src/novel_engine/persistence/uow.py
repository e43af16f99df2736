"""The SQL unit of work: one transaction for aggregates, their events and the jobs those
events ask for; after the commit, the message bus gets the stored events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.errors import ConcurrentChange
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.messagebus import MessageBus
from novel_engine.persistence import event_store, jobs
from novel_engine.persistence.beliefs import SqlBeliefRepository
from novel_engine.persistence.engine import as_writer
from novel_engine.persistence.event_store import SqlCampaignHistory
from novel_engine.persistence.facts import SqlFactsReader
from novel_engine.persistence.memories import SqlMemoryRepository
from novel_engine.persistence.narration import SqlNarrationRepository
from novel_engine.persistence.projections import SqlProjectionCheckpoints
from novel_engine.persistence.repositories import (
    SqlCampaignRepository,
    SqlCharacterRepository,
    SqlSessionRepository,
    SqlStoryRepository,
    SqlUserRepository,
    Tracker,
)

# Last words before the transaction commits, e.g. marking the job that did this work done.
BeforeCommit = Callable[[AsyncConnection], Awaitable[None]]


class SqlUnitOfWork:
    characters: SqlCharacterRepository
    stories: SqlStoryRepository
    campaigns: SqlCampaignRepository
    sessions: SqlSessionRepository
    users: SqlUserRepository
    narration: SqlNarrationRepository
    checkpoints: SqlProjectionCheckpoints
    memories: SqlMemoryRepository
    history: SqlCampaignHistory
    beliefs: SqlBeliefRepository
    facts: SqlFactsReader

    def __init__(
        self,
        engine: AsyncEngine,
        bus: MessageBus | None = None,
        *,
        before_commit: BeforeCommit | None = None,
        read_only: bool = False,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._before_commit = before_commit
        # Only reads (replay): no write lock on SQLite, no row locks, no commit.
        self._read_only = read_only
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        conn = await self._engine.connect()
        self._conn = conn if self._read_only else await as_writer(conn)
        try:
            await self._conn.begin()
        except BaseException:
            conn, self._conn = self._conn, None
            await conn.close()
            raise
        tracker = Tracker()
        self.characters = SqlCharacterRepository(self._conn, tracker)
        self.stories = SqlStoryRepository(self._conn, tracker)
        self.campaigns = SqlCampaignRepository(self._conn, tracker)
        self.sessions = SqlSessionRepository(self._conn, tracker)
        self.users = SqlUserRepository(self._conn, tracker)
        self.narration = SqlNarrationRepository(self._conn)
        self.checkpoints = SqlProjectionCheckpoints(self._conn)
        self.memories = SqlMemoryRepository(self._conn)
        self.history = SqlCampaignHistory(self._conn)
        self.beliefs = SqlBeliefRepository(self._conn)
        self.facts = SqlFactsReader(self._conn)
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
        if isinstance(exc, DBAPIError) and _gave_way(exc):
            raise ConcurrentChange() from exc

    async def commit(self) -> list[StoredEvent]:
        if self._conn is None:
            raise RuntimeError("commit outside `async with`")
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        written = await self._tracker.write_back()
        await self.narration.write_copies()
        stored = await event_store.append(self._conn, written)
        requests = self._bus.job_requests(stored) if self._bus else []
        await jobs.enqueue(self._conn, requests)
        if self._before_commit is not None:
            await self._before_commit(self._conn)
        await self._conn.commit()
        self._tracker.committed()
        if self._bus is not None:
            self._bus.committed(stored, wrote_jobs=bool(requests))
        return stored


# PostgreSQL's deadlock_detected and serialization_failure: the transaction was chosen to
# give way to a concurrent one; running it again is safe.
_GIVE_WAY = {"40P01", "40001"}


def _gave_way(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in _GIVE_WAY or (
        getattr(getattr(error.orig, "__cause__", None), "sqlstate", None) in _GIVE_WAY
    )
