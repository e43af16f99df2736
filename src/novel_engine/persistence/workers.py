"""Job workers: claim jobs this process can run, run each under a lease that a heartbeat
keeps alive, and record how it ended (done, retried later, dead).

Every server process runs a pool. A job's results commit with the job marked done, under
its lease; a process that dies mid-job leaves a lease that expires, and the job runs again
elsewhere (or here after a restart). Its first run wrote nothing, so its effect is once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from enum import Enum
from time import monotonic
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import StoredEvent
from novel_engine.domain.messagebus import (
    DurableHandler,
    Job,
    JobStatus,
    LeaseLost,
    MessageBus,
)
from novel_engine.persistence import jobs
from novel_engine.persistence.jobs import Claimed, Lease, SqlJobQueue
from novel_engine.persistence.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


class JobOutcome(Enum):
    SUCCEEDED = "succeeded"
    RETRIED = "retried"  # failed; runs again after its backoff
    DEAD = "dead"  # failed its last attempt
    LEASE_LOST = "lease_lost"  # another worker took it over; this one wrote nothing
    INTERRUPTED = "interrupted"  # shutdown or a lost database; runs again once its lease expires


class JobObserver(Protocol):
    """What the pool reports, for metrics."""

    def started(self, kind: str) -> None: ...

    def ended(self, kind: str, outcome: JobOutcome, seconds: float | None) -> None: ...

    def running(self, count: int) -> None: ...

    def queue_depth(self, counts: Mapping[JobStatus, int]) -> None: ...


class _Unobserved:
    def started(self, kind: str) -> None:
        return None

    def ended(self, kind: str, outcome: JobOutcome, seconds: float | None) -> None:
        return None

    def running(self, count: int) -> None:
        return None

    def queue_depth(self, counts: Mapping[JobStatus, int]) -> None:
        return None


class LeasedContext:
    """What a durable handler gets: units of work guarded by its job's lease."""

    def __init__(self, engine: AsyncEngine, bus: MessageBus, lease: Lease) -> None:
        self.engine = engine
        self.bus = bus
        self.lease = lease
        self.finishing = False  # a unit of work is committing the job done
        self.finished = False  # ... and has committed

    def unit_of_work(self, *, finishes: bool = True) -> SqlUnitOfWork:
        return _JobUnitOfWork(self, finishes)

    def reading(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, read_only=True)


class _JobUnitOfWork(SqlUnitOfWork):
    def __init__(self, context: LeasedContext, finishes: bool) -> None:
        super().__init__(context.engine, context.bus, before_commit=self._guard)
        self._context = context
        self._finishes = finishes

    async def _guard(self, conn: AsyncConnection) -> None:
        if self._finishes:
            await jobs.finish(conn, self._context.lease)
            self._context.finishing = True
        else:
            await jobs.hold(conn, self._context.lease)

    async def commit(self) -> list[StoredEvent]:
        try:
            stored = await super().commit()
        except BaseException:
            # A later finishing unit of work of a job already done fails its guard; the
            # job stays finished (the heartbeat must not take it for a lost lease).
            self._context.finishing = self._context.finished
            raise
        self._context.finished = self._context.finished or self._finishes
        return stored


class JobWorkers:
    """This process's pool: at most `concurrency` jobs at once, woken by local commits that
    wrote jobs, otherwise polling."""

    def __init__(
        self,
        engine: AsyncEngine,
        bus: MessageBus,
        *,
        concurrency: int = 4,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        sample_seconds: float = 5.0,
        observer: JobObserver | None = None,
        shutdown_grace: float = 2.0,
    ) -> None:
        if concurrency < 1 or lease_seconds <= 0:
            raise ValueError("a job pool needs a concurrency of 1 or more and a positive lease")
        self._engine = engine
        self._bus = bus
        self._queue = SqlJobQueue(engine)
        self._handlers: Mapping[str, DurableHandler] = bus.handlers.durable
        self._concurrency = concurrency
        self._lease_seconds = lease_seconds
        self._poll_seconds = poll_seconds
        self._sample_seconds = sample_seconds
        self._observer: JobObserver = observer or _Unobserved()
        self._active: set[asyncio.Task[None]] = set()
        self._wakeup = asyncio.Event()
        self._claiming: asyncio.Task[None] | None = None
        self._shutdown_grace = shutdown_grace

    def wake(self) -> None:
        """Look for jobs now (a local commit wrote some)."""
        self._wakeup.set()

    async def start(self) -> None:
        # With no durable handler registered, this process has nothing to claim.
        if self._handlers and self._claiming is None:
            self._claiming = asyncio.create_task(self._claim_loop(), name="job-workers")

    async def close(self) -> None:
        """Stop claiming; give in-flight handlers `shutdown_grace` seconds to finish, then
        cancel the rest and hand their jobs back, attempts uncounted, for any process to
        run again at once. (A handler cancelled inside a transaction leaves its SQLite
        connection closing while the hand-back waits for the write lock: the grace spares
        most shutdowns that wait.)"""
        if self._claiming is not None:
            self._claiming.cancel()
            await asyncio.gather(self._claiming, return_exceptions=True)
            self._claiming = None
        if self._active and self._shutdown_grace > 0:
            await asyncio.wait(set(self._active), timeout=self._shutdown_grace)
        tasks = list(self._active)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _claim_loop(self) -> None:
        sampled_at = -self._sample_seconds
        while True:
            self._wakeup.clear()
            try:
                free = self._concurrency - len(self._active)
                if free > 0:
                    await self._claim(free)
                if monotonic() - sampled_at >= self._sample_seconds:
                    sampled_at = monotonic()
                    self._observer.queue_depth(await self._queue.depth())
            except Exception:
                log.warning("claiming jobs failed; trying again shortly", exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wakeup.wait()

    async def _claim(self, free: int) -> None:
        claim = await self._queue.claim(list(self._handlers), free, self._lease_seconds)
        for kind in claim.dead_kinds:
            log.error("a %s job is dead: its worker stopped during its last attempt, twice", kind)
            self._observer.ended(kind, JobOutcome.DEAD, None)
        for claimed in claim.claimed:
            task = asyncio.create_task(self._run(claimed), name=f"job {claimed.job.id}")
            self._active.add(task)
            task.add_done_callback(self._ended)
        self._observer.running(len(self._active))

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self._observer.running(len(self._active))
        self._wakeup.set()  # a slot is free, and the next job of its ordering key may be ready

    async def _run(self, claimed: Claimed) -> None:
        job = claimed.job
        handler = self._handlers[job.kind]
        context = LeasedContext(self._engine, self._bus, claimed.lease)
        started = monotonic()
        self._observer.started(job.kind)
        work = asyncio.create_task(handler.handle(job, context), name=f"{job.kind} {job.id}")
        outcome = JobOutcome.INTERRUPTED
        try:
            outcome = await self._outcome(job, handler, context, work)
        except Exception:
            log.warning("recording job %s failed; it runs again later", job.id, exc_info=True)
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            if outcome is JobOutcome.INTERRUPTED and not context.finished:
                await self._release(context)
            self._observer.ended(job.kind, outcome, monotonic() - started)

    async def _release(self, context: LeasedContext) -> None:
        """A run this process stopped (shutting down) is handed back at once, its attempt
        not counted; a crash instead leaves it to the lease's expiry."""
        try:
            await asyncio.shield(self._queue.release(context.lease))
        except Exception:
            log.warning(
                "handing back job %s failed; it runs again after its lease",
                context.lease.job_id,
                exc_info=True,
            )

    async def _outcome(
        self,
        job: Job,
        handler: DurableHandler,
        context: LeasedContext,
        work: asyncio.Task[None],
    ) -> JobOutcome:
        if not await self._keep_lease(context, work):
            log.warning("job %s (%s) was taken over; this run wrote nothing", job.id, job.kind)
            return JobOutcome.LEASE_LOST
        if work.cancelled():
            error: BaseException | None = asyncio.CancelledError("the handler was cancelled")
        else:
            error = work.exception()
        if context.finished:
            if error is not None:
                log.error("job %s raised after committing its results", job.id, exc_info=error)
            return JobOutcome.SUCCEEDED
        try:
            if error is None:
                await self._queue.complete(context.lease)  # the handler wrote nothing
                return JobOutcome.SUCCEEDED
            if isinstance(error, LeaseLost):
                return JobOutcome.LEASE_LOST
            return await self._failed(job, handler, context.lease, error)
        except LeaseLost:
            return JobOutcome.LEASE_LOST

    async def _failed(
        self, job: Job, handler: DurableHandler, lease: Lease, error: BaseException
    ) -> JobOutcome:
        """Retry after a backoff, or, after the last attempt, give the job up as dead."""
        last = job.attempt >= job.max_attempts
        retry_in = None if last else handler.retry.delay(job.attempt, random.random())
        log.warning(
            "job %s (%s) failed, attempt %d of %d%s",
            job.id,
            job.kind,
            job.attempt,
            job.max_attempts,
            "; it is dead" if retry_in is None else f"; retrying in {retry_in:.1f} s",
            exc_info=error,
        )
        status = await self._queue.fail(lease, error, retry_in)
        return JobOutcome.DEAD if status is JobStatus.DEAD else JobOutcome.RETRIED

    async def _keep_lease(self, context: LeasedContext, work: asyncio.Task[None]) -> bool:
        """Renew the lease until the handler ends; cancel it (False) if the lease is lost."""
        while True:
            done, _ = await asyncio.wait({work}, timeout=self._lease_seconds / 3)
            if done:
                return True
            try:
                held = await self._queue.renew(context.lease, self._lease_seconds)
            except Exception:
                log.warning("renewing the lease of job %s failed", context.lease.job_id)
                continue
            if not held and not context.finishing:
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                return False
