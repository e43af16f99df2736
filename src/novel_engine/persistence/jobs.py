"""The jobs table: written with the events that ask for it, claimed under a lease,
finished in the transaction of its results, retried later, or dead; and read per campaign.

Every change of a claimed job is guarded by its lease token: a worker whose lease was
taken over changes nothing.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import utcnow
from novel_engine.domain.messagebus import Job, JobRequest, JobStatus, LeaseLost
from novel_engine.persistence.engine import writing
from novel_engine.persistence.event_store import to_stored_event
from novel_engine.persistence.tables import events, job_sequences, jobs

ERROR_MAX = 4000
UNFINISHED = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


@dataclass(frozen=True)
class Lease:
    job_id: uuid.UUID
    token: uuid.UUID


@dataclass(frozen=True)
class Claimed:
    job: Job
    lease: Lease


@dataclass(frozen=True)
class Claim:
    claimed: list[Claimed]
    dead_kinds: list[str]  # jobs whose worker stopped during their closing run


@dataclass(frozen=True)
class JobRecord:
    """A job as its campaign's owner and gamemasters see it."""

    id: uuid.UUID
    kind: str
    campaign_id: uuid.UUID | None
    event_id: uuid.UUID
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


async def enqueue(conn: AsyncConnection, requests: Sequence[JobRequest]) -> None:
    """Write the jobs in the caller's transaction (the one appending their events)."""
    if not requests:
        return
    now = utcnow()
    counts = Counter(r.ordering_key for r in requests if r.ordering_key is not None)
    # Sorted, so two transactions reserving the same keys lock them in the same order.
    following = {key: await _reserve(conn, key, counts[key]) for key in sorted(counts)}
    rows = []
    for request in requests:
        key = request.ordering_key
        sequence = None
        if key is not None:
            sequence = following[key] - counts[key] + 1
            counts[key] -= 1
        rows.append(
            {
                "id": uuid.uuid4(),
                "kind": request.kind,
                "event_id": request.event.event.event_id,
                "campaign_id": request.campaign_id,
                "ordering_key": key,
                "sequence": sequence,
                "status": JobStatus.PENDING.value,
                "attempts": 0,
                "max_attempts": request.max_attempts,
                "run_after": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    await conn.execute(jobs.insert(), rows)


async def _reserve(conn: AsyncConnection, key: str, count: int) -> int:
    """The last of `count` sequence numbers reserved for `key`, held under its row lock."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(job_sequences)
        .values(ordering_key=key, last_sequence=count)
        .on_conflict_do_update(
            index_elements=[job_sequences.c.ordering_key],
            set_={"last_sequence": job_sequences.c.last_sequence + count},
        )
        .returning(job_sequences.c.last_sequence)
    )
    return int((await conn.execute(stmt)).scalar_one())


def _held(lease: Lease) -> ColumnElement[bool]:
    return and_(
        jobs.c.id == lease.job_id,
        jobs.c.lease_token == lease.token,
        jobs.c.status == JobStatus.RUNNING.value,
    )


async def _change_held(conn: AsyncConnection, lease: Lease, **values: Any) -> None:
    result = await conn.execute(update(jobs).where(_held(lease)).values(**values))
    if result.rowcount != 1:
        raise LeaseLost(f"job {lease.job_id} is no longer held by this worker")


async def finish(conn: AsyncConnection, lease: Lease) -> None:
    """Mark the job done in the caller's transaction, or raise LeaseLost."""
    now = utcnow()
    await _change_held(
        conn,
        lease,
        status=JobStatus.DONE.value,
        lease_token=None,
        lease_expires_at=None,
        updated_at=now,
        finished_at=now,
    )


async def hold(conn: AsyncConnection, lease: Lease) -> None:
    """Check, in the caller's transaction, that the lease is still ours (and keep the job
    row locked until it ends, so no one takes the job over meanwhile), or raise LeaseLost."""
    await _change_held(conn, lease, updated_at=utcnow())


def _claimable(kinds: Collection[str], limit: int, now: datetime) -> Select[Any]:
    earlier = jobs.alias("earlier")
    waits_its_turn = exists().where(
        earlier.c.ordering_key == jobs.c.ordering_key,
        earlier.c.sequence < jobs.c.sequence,
        earlier.c.status.in_(UNFINISHED),
    )
    ready = or_(
        and_(jobs.c.status == JobStatus.PENDING.value, jobs.c.run_after <= now),
        and_(jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_expires_at <= now),
    )
    return (
        select(jobs.c.id, jobs.c.kind, jobs.c.attempts, jobs.c.max_attempts)
        .where(
            jobs.c.kind.in_(kinds),
            ready,
            or_(jobs.c.ordering_key.is_(None), ~waits_its_turn),
        )
        .order_by(jobs.c.run_after, jobs.c.created_at, jobs.c.id)
        .limit(limit)
        # PostgreSQL: concurrent claimers skip each other's rows. SQLite ignores this; its
        # writers are serialized by BEGIN IMMEDIATE.
        .with_for_update(skip_locked=True, of=jobs)
    )


class SqlJobQueue:
    """The jobs table as workers use it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, kinds: Collection[str], limit: int, lease_seconds: float) -> Claim:
        """Up to `limit` jobs ready to run, now leased to the caller for `lease_seconds`."""
        if not kinds or limit < 1:
            return Claim([], [])
        now = utcnow()
        async with writing(self._engine) as conn:
            found = (await conn.execute(_claimable(kinds, limit, now))).all()
            # A worker that stopped during a job's last attempt leaves it one closing run
            # (attempt max + 1, which its handler treats as the last), so the handler can
            # end its work cleanly (a turn FAILED, not left pending); a worker that stops
            # during that one too leaves the job dead.
            worn_out = [r for r in found if r.attempts > r.max_attempts]
            dead_ids = {r.id for r in worn_out}
            if worn_out:
                await conn.execute(
                    update(jobs)
                    .where(jobs.c.id.in_(dead_ids))
                    .values(
                        status=JobStatus.DEAD.value,
                        last_error="the worker running its last attempt stopped, twice",
                        lease_token=None,
                        lease_expires_at=None,
                        updated_at=now,
                        finished_at=now,
                    )
                )
            leases = {r.id: Lease(r.id, uuid.uuid4()) for r in found if r.id not in dead_ids}
            if leases:
                await conn.execute(
                    update(jobs)
                    .where(jobs.c.id == bindparam("job_id"))
                    .values(
                        status=JobStatus.RUNNING.value,
                        attempts=jobs.c.attempts + 1,
                        lease_token=bindparam("token"),
                        lease_expires_at=now + timedelta(seconds=lease_seconds),
                        updated_at=now,
                    ),
                    [{"job_id": lease.job_id, "token": lease.token} for lease in leases.values()],
                )
            claimed = await _load(conn, leases) if leases else []
        return Claim(claimed, [r.kind for r in worn_out])

    async def renew(self, lease: Lease, lease_seconds: float) -> bool:
        """Extend the lease; False if it is no longer ours."""
        now = utcnow()
        async with writing(self._engine) as conn:
            result = await conn.execute(
                update(jobs)
                .where(_held(lease))
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
            )
            return bool(result.rowcount == 1)

    async def complete(self, lease: Lease) -> None:
        """Mark done a job whose handler wrote nothing, or raise LeaseLost."""
        async with writing(self._engine) as conn:
            await finish(conn, lease)

    async def release(self, lease: Lease) -> None:
        """Give a job back untried, at once and without counting the attempt: its run was
        stopped by this process shutting down, not by the job failing. Nothing if the
        lease is no longer ours."""
        now = utcnow()
        async with writing(self._engine) as conn:
            await conn.execute(
                update(jobs)
                .where(_held(lease))
                .values(
                    status=JobStatus.PENDING.value,
                    attempts=jobs.c.attempts - 1,
                    run_after=now,
                    lease_token=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )

    async def fail(self, lease: Lease, error: BaseException, retry_in: float | None) -> JobStatus:
        """Record a failed attempt: pending again after `retry_in` seconds, or dead (None);
        the error is kept as its owners may see it (`public_error`)."""
        now = utcnow()
        status = JobStatus.DEAD if retry_in is None else JobStatus.PENDING
        async with writing(self._engine) as conn:
            await _change_held(
                conn,
                lease,
                status=status.value,
                run_after=now + timedelta(seconds=retry_in or 0),
                last_error=public_error(error),
                lease_token=None,
                lease_expires_at=None,
                updated_at=now,
                finished_at=now if status is JobStatus.DEAD else None,
            )
        return status

    async def depth(self) -> dict[JobStatus, int]:
        """How many jobs are in each state."""
        async with self._engine.connect() as conn:
            found = await conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))
            counts = {JobStatus(status): int(count) for status, count in found}
        return {status: counts.get(status, 0) for status in JobStatus}


class JobQueries:
    """Job state for people: what a campaign's owner and gamemasters may look at."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def jobs_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[JobRecord]]:
        """Each campaign's jobs that are not done (waiting, running or dead), oldest first."""
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(jobs)
                .where(jobs.c.campaign_id.in_(ids), jobs.c.status != JobStatus.DONE.value)
                .order_by(jobs.c.campaign_id, jobs.c.created_at, jobs.c.id)
            )
            by_campaign: dict[uuid.UUID, list[JobRecord]] = {}
            for row in found:
                by_campaign.setdefault(row.campaign_id, []).append(_record(row))
        return by_campaign


async def _load(conn: AsyncConnection, leases: dict[uuid.UUID, Lease]) -> list[Claimed]:
    found = await conn.execute(
        select(
            jobs.c.id.label("job_id"),
            jobs.c.kind,
            jobs.c.attempts,
            jobs.c.max_attempts,
            jobs.c.ordering_key,
            events,
        )
        .join(events, events.c.event_id == jobs.c.event_id)
        .where(jobs.c.id.in_(leases))
        .order_by(jobs.c.run_after, jobs.c.created_at, jobs.c.id)
    )
    return [
        Claimed(
            Job(
                id=row.job_id,
                kind=row.kind,
                event=to_stored_event(row),
                attempt=row.attempts,
                max_attempts=row.max_attempts,
                ordering_key=row.ordering_key,
            ),
            leases[row.job_id],
        )
        for row in found
    ]


def _record(row: Any) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        campaign_id=row.campaign_id,
        event_id=row.event_id,
        status=JobStatus(row.status),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        run_after=row.run_after,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


_SECRET_IN_QUERY = re.compile(r"([?&](?:key|api_key|apikey|token|access_token)=)[^&\s'\"]+", re.I)


def public_error(error: BaseException) -> str:
    """What a job's owners are shown of its failure: the error's type and the first line
    of its message (a database error's next lines hold the statement and its parameters),
    with credentials in URLs blotted out; the whole error is in the server's log."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = _SECRET_IN_QUERY.sub(r"\1…", first_line)
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"
