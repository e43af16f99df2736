"""The jobs table on both databases: written with its events, claimed once, leased,
taken over when the lease expires, and guarded by the lease when results are written."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain import commands
from novel_engine.domain.actor import Actor
from novel_engine.domain.events import EventType
from novel_engine.domain.messagebus import Handlers, LeaseLost, MessageBus, RetryPolicy
from novel_engine.domain.services import campaigns
from novel_engine.persistence.jobs import SqlJobQueue
from novel_engine.persistence.tables import events, jobs
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.persistence.workers import LeasedContext
from novel_engine.web.security import Argon2Hasher
from tests.integration.helpers import count_rows
from tests.jobs_support import a_campaign, change_world, effects, job_rows, mark_world

KIND = "mark-world"


def marking(*on: EventType, max_attempts: int = 5) -> MessageBus:
    """A bus asking for a `mark-world` job on each event of these types (no workers run)."""
    handlers = Handlers()
    handlers.add_durable(
        KIND,
        on or [EventType.CAMPAIGN_CREATED],
        mark_world,
        retry=RetryPolicy(max_attempts=max_attempts),
    )
    return MessageBus(handlers)


async def test_a_commit_writes_the_jobs_its_events_ask_for(engine: AsyncEngine) -> None:
    # when
    campaign = await a_campaign(lambda: SqlUnitOfWork(engine, marking()), Argon2Hasher())

    # then: one waiting job, pointing at the event that asked for it
    async with engine.connect() as conn:
        created = (
            await conn.execute(
                select(events.c.event_id).where(
                    events.c.event_type == EventType.CAMPAIGN_CREATED.value
                )
            )
        ).scalar_one()
    [job] = await job_rows(engine)
    assert (job.kind, job.event_id, job.campaign_id) == (KIND, created, campaign.id)
    assert (job.status, job.attempts, job.max_attempts) == ("pending", 0, 5)


async def test_a_rolled_back_commit_leaves_no_job(engine: AsyncEngine) -> None:
    # given: world changes ask for jobs
    bus = marking(EventType.WORLD_STATE_CHANGED)
    campaign = await a_campaign(lambda: SqlUnitOfWork(engine, bus), Argon2Hasher())
    before = await count_rows(engine)
    written_inside: list[int] = []

    async def fail_at_the_last_moment(conn: AsyncConnection) -> None:
        count = await conn.execute(select(func.count()).select_from(jobs))
        written_inside.append(count.scalar_one())
        raise RuntimeError("the disk is full")

    # when: a change whose transaction fails after its job was written
    uow = SqlUnitOfWork(engine, bus, before_commit=fail_at_the_last_moment)
    with pytest.raises(RuntimeError, match="disk is full"):
        await change_world(uow, campaign.id, {"weather": "rain"})

    # then: the job was in the transaction, and went with it
    assert written_inside == [1]
    assert await count_rows(engine) == before


async def test_concurrent_claims_never_hand_out_a_job_twice(engine: AsyncEngine) -> None:
    # given: twelve waiting jobs
    bus = marking()
    first = await a_campaign(lambda: SqlUnitOfWork(engine, bus), Argon2Hasher())
    for n in range(11):
        await campaigns.create_campaign(
            SqlUnitOfWork(engine, bus),
            Actor(first.owner_id),
            commands.CreateCampaign(f"Gloom {n}"),
        )
    queue = SqlJobQueue(engine)

    # when: eight workers claim three each, at once
    claims = await asyncio.gather(*(queue.claim([KIND], 3, 30) for _ in range(8)))

    # then: every job is handed out, each to one worker
    claimed = [c.job.id for claim in claims for c in claim.claimed]
    assert len(claimed) == len(set(claimed))
    assert sorted(claimed) == sorted(row.id for row in await job_rows(engine))


async def test_a_job_whose_lease_expired_is_claimed_again(engine: AsyncEngine) -> None:
    # given: a job claimed by a worker that then stops renewing its lease
    await a_campaign(lambda: SqlUnitOfWork(engine, marking()), Argon2Hasher())
    queue = SqlJobQueue(engine)
    [gone] = (await queue.claim([KIND], 1, lease_seconds=1.0)).claimed
    assert (await queue.claim([KIND], 1, 30)).claimed == []  # held while the lease runs

    # when
    await asyncio.sleep(1.1)
    [taken] = (await queue.claim([KIND], 1, 30)).claimed

    # then: the same job, on its second attempt; the first worker's lease is void
    assert (taken.job.id, taken.job.attempt) == (gone.job.id, 2)
    assert not await queue.renew(gone.lease, 30)
    assert await queue.renew(taken.lease, 30)


async def test_a_worker_that_lost_its_lease_writes_nothing(engine: AsyncEngine) -> None:
    # given: a job taken over by a second worker after the first one's lease expired
    bus = marking()
    campaign = await a_campaign(lambda: SqlUnitOfWork(engine, bus), Argon2Hasher())
    queue = SqlJobQueue(engine)
    [first] = (await queue.claim([KIND], 1, lease_seconds=0.2)).claimed
    await asyncio.sleep(0.3)
    [second] = (await queue.claim([KIND], 1, 30)).claimed
    before = await count_rows(engine)

    # when: the first worker writes its results, final or in progress
    with pytest.raises(LeaseLost):
        await mark_world(first.job, LeasedContext(engine, bus, first.lease))
    with pytest.raises(LeaseLost):
        await change_world(
            LeasedContext(engine, bus, first.lease).unit_of_work(finishes=False),
            campaign.id,
            {"progress": 1},
        )

    # then: nothing of it is written; the second worker's results are, once
    assert await count_rows(engine) == before
    await mark_world(second.job, LeasedContext(engine, bus, second.lease))
    assert await effects(engine, second.job.id) == 1
    [job] = await job_rows(engine)
    assert (job.status, job.attempts, job.lease_token) == ("done", 2, None)


async def test_progress_written_under_the_lease_leaves_the_job_running(
    engine: AsyncEngine,
) -> None:
    bus = marking()
    campaign = await a_campaign(lambda: SqlUnitOfWork(engine, bus), Argon2Hasher())
    [claimed] = (await SqlJobQueue(engine).claim([KIND], 1, 30)).claimed
    context = LeasedContext(engine, bus, claimed.lease)

    await change_world(context.unit_of_work(finishes=False), campaign.id, {"progress": 1})
    [job] = await job_rows(engine)
    assert job.status == "running"

    await mark_world(claimed.job, context)
    [job] = await job_rows(engine)
    assert job.status == "done"


async def test_a_job_whose_worker_stopped_in_its_last_attempt_gets_one_closing_run(
    engine: AsyncEngine,
) -> None:
    # given: a job with one attempt, claimed by a worker that stopped
    await a_campaign(lambda: SqlUnitOfWork(engine, marking(max_attempts=1)), Argon2Hasher())
    queue = SqlJobQueue(engine)
    await queue.claim([KIND], 1, lease_seconds=0.2)
    await asyncio.sleep(0.3)

    # when: claimed again, it runs once more, as past its last attempt
    closing = await queue.claim([KIND], 1, lease_seconds=0.2)
    await asyncio.sleep(0.3)
    after = await queue.claim([KIND], 1, 30)

    # then: its handler could end it (job.attempt > max_attempts); a second stop kills it
    [run] = closing.claimed
    assert (run.job.attempt, run.job.max_attempts) == (2, 1)
    assert (after.claimed, after.dead_kinds) == ([], [KIND])
    [job] = await job_rows(engine)
    assert job.status == "dead"
    assert job.last_error == "the worker running its last attempt stopped, twice"
