"""Work after commit: handlers registered in one place, and the bus that hands them events.

Two kinds of handler, and the difference matters:
- *immediate*: best effort, in this process, right after the commit (live publish). What
  they lose, the event store heals.
- *durable*: work that must happen once in effect even if the process dies right after the
  commit. Each is a job row written in the same transaction as the events that ask for it;
  a worker runs it and writes its results in the transaction that marks the job done.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from novel_engine.domain.events import AggregateType, EventType, StoredEvent, asks_for_work
from novel_engine.domain.ports import UnitOfWork

log = logging.getLogger(__name__)

KIND_MAX = 100
ORDERING_KEY_MAX = 200
LANE_LIMIT = 1_000  # commits an immediate handler may fall behind before some are dropped


class JobStatus(Enum):
    PENDING = "pending"  # waiting to run (first time, or after a failure's backoff)
    RUNNING = "running"  # claimed under a lease; claimable again once the lease expires
    DONE = "done"
    DEAD = "dead"  # failed its last attempt; the last error is kept


class LeaseLost(Exception):
    """This worker no longer holds the job's lease: what it was about to write is dropped."""


@dataclass(frozen=True)
class Job:
    """One durable piece of work, as its handler sees it."""

    id: uuid.UUID
    kind: str
    event: StoredEvent  # the committed event that asked for it
    attempt: int  # 1 on the first run
    max_attempts: int
    ordering_key: str | None


class JobContext(Protocol):
    def unit_of_work(self, *, finishes: bool = True) -> UnitOfWork:
        """A unit of work guarded by the job's lease: its commit raises LeaseLost (and
        writes nothing) if another worker has taken the job. With `finishes` (the default)
        the same transaction marks the job done, so results are written exactly once."""
        ...

    def reading(self) -> UnitOfWork:
        """A unit of work that only reads what the job works from: it takes no lock (so
        holds up no writer) and cannot commit."""
        ...


ImmediateHandler = Callable[[Sequence[StoredEvent]], Awaitable[None]]
JobHandler = Callable[[Job, JobContext], Coroutine[Any, Any, None]]
OrderingKey = Callable[[StoredEvent], str | None]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, and how many attempts before a job is dead."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError(f"impossible retry policy: {self}")

    def delay(self, failed_attempt: int, jitter: float) -> float:
        """Seconds to wait after attempt `failed_attempt` failed; `jitter` is in [0, 1).

        Half the delay is fixed and half random, so retries of jobs that failed together
        spread out but never come sooner than half the exponential step.
        """
        doublings = min(failed_attempt - 1, 64)  # past any sensible cap; no float overflow
        step = min(self.cap_seconds, self.base_seconds * 2.0**doublings)
        return step * (0.5 + jitter / 2)


@dataclass(frozen=True)
class DurableHandler:
    kind: str
    event_types: frozenset[EventType]
    handle: JobHandler
    ordering_key: OrderingKey | None
    retry: RetryPolicy


@dataclass(frozen=True)
class JobRequest:
    """A job to write with the events of this commit."""

    kind: str
    event: StoredEvent
    ordering_key: str | None
    max_attempts: int

    @property
    def campaign_id(self) -> uuid.UUID | None:
        """The campaign whose owner and gamemasters may see this job."""
        stream = self.event.event.stream
        return stream.id if stream.kind is AggregateType.CAMPAIGN else None


class Handlers:
    """The registry the composition root fills: who reacts to committed events, and how."""

    def __init__(self) -> None:
        self.immediate: list[ImmediateHandler] = []
        self.durable: dict[str, DurableHandler] = {}

    def add_immediate(self, handler: ImmediateHandler) -> None:
        self.immediate.append(handler)

    def add_durable(
        self,
        kind: str,
        on: Iterable[EventType],
        handle: JobHandler,
        *,
        ordering_key: OrderingKey | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Each committed event of a type in `on` asks for one `kind` job. Jobs with the
        same ordering key run one at a time, in commit order."""
        event_types = frozenset(on)
        if not kind or len(kind) > KIND_MAX:
            raise ValueError(f"a job kind is 1 to {KIND_MAX} characters: {kind!r}")
        if kind in self.durable:
            raise ValueError(f"job kind {kind!r} is registered twice")
        if not event_types:
            raise ValueError(f"job kind {kind!r} is requested by no event type")
        self.durable[kind] = DurableHandler(
            kind, event_types, handle, ordering_key, retry or RetryPolicy()
        )

    def include(self, other: Handlers) -> None:
        for immediate in other.immediate:
            self.add_immediate(immediate)
        for durable in other.durable.values():
            self.add_durable(
                durable.kind,
                durable.event_types,
                durable.handle,
                ordering_key=durable.ordering_key,
                retry=durable.retry,
            )

    def job_requests(self, events: Sequence[StoredEvent]) -> list[JobRequest]:
        """The jobs these committed events ask for, in commit order (none for a copied
        event whose work is done)."""
        requests = []
        for stored in events:
            if not asks_for_work(stored.event):
                continue
            for durable in self.durable.values():
                if stored.event.event_type in durable.event_types:
                    key = durable.ordering_key(stored) if durable.ordering_key else None
                    if key is not None and not 0 < len(key) <= ORDERING_KEY_MAX:
                        raise ValueError(
                            f"an ordering key is 1 to {ORDERING_KEY_MAX} characters: {key!r}"
                        )
                    requests.append(
                        JobRequest(durable.kind, stored, key, durable.retry.max_attempts)
                    )
        return requests


class MessageBus:
    """Hands committed events to the immediate handlers without holding up the caller, and
    wakes the job workers when a commit wrote jobs. Register handlers before building it."""

    def __init__(
        self, handlers: Handlers, shutdown_grace: float = 5.0, lane_limit: int = LANE_LIMIT
    ) -> None:
        self.handlers = handlers
        self._shutdown_grace = shutdown_grace
        self._lanes = [_Lane(handler, lane_limit) for handler in handlers.immediate]
        self._wakers: list[Callable[[], None]] = []
        self._closed = False

    def job_requests(self, events: Sequence[StoredEvent]) -> list[JobRequest]:
        return self.handlers.job_requests(events)

    def wake_on_jobs(self, wake: Callable[[], None]) -> None:
        self._wakers.append(wake)

    def committed(self, events: Sequence[StoredEvent], *, wrote_jobs: bool) -> None:
        """Called once the transaction is committed; returns at once."""
        if wrote_jobs:
            for wake in self._wakers:
                wake()
        if not events or self._closed:
            return
        batch = list(events)
        for lane in self._lanes:
            lane.push(batch)

    async def aclose(self) -> None:
        """Let running immediate handlers finish (for a grace period), then cancel them."""
        self._closed = True
        pending = {lane.task for lane in self._lanes if lane.task is not None}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self._shutdown_grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


class _Lane:
    """One immediate handler's commits, handled one after another in commit order (so live
    publishing never sends a later commit first), in a background task.

    Bounded: a handler that falls `limit` commits behind has new ones dropped and logged.
    It is best effort by definition; the event store heals what it misses.
    """

    def __init__(self, handler: ImmediateHandler, limit: int) -> None:
        self._handler = handler
        self._limit = limit
        self._batches: deque[list[StoredEvent]] = deque()
        self.task: asyncio.Task[None] | None = None

    def push(self, batch: list[StoredEvent]) -> None:
        if len(self._batches) >= self._limit:
            log.warning(
                "after-commit handler %s is %d commits behind; %d events not handed to it",
                _name(self._handler),
                len(self._batches),
                len(batch),
            )
            return
        self._batches.append(batch)
        if self.task is None:
            self.task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._batches:
                await _run_immediate(self._handler, self._batches.popleft())
        finally:
            self.task = None


def _name(handler: ImmediateHandler) -> str:
    return str(getattr(handler, "__qualname__", handler))


async def _run_immediate(handler: ImmediateHandler, events: list[StoredEvent]) -> None:
    try:
        await handler(events)
    except Exception:
        # Best effort by definition: the commit stands, and other handlers are unaffected.
        log.warning(
            "after-commit handler %s failed on %d events",
            _name(handler),
            len(events),
            exc_info=True,
        )
