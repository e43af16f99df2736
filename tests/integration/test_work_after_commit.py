"""Work after commit in a running server (built by `bootstrap`), on both databases: job
workers retry, give up, keep order and a concurrency bound, take over from a stopped
worker; immediate handlers never hold up or break a mutation's answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from itertools import pairwise
from typing import Any

from prometheus_client import generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain import commands
from novel_engine.domain.actor import Actor
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.messagebus import (
    Handlers,
    Job,
    JobContext,
    JobHandler,
    JobStatus,
    LeaseLost,
    MessageBus,
    RetryPolicy,
)
from novel_engine.domain.services import campaigns
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.persistence.workers import JobWorkers
from novel_engine.web.bootstrap import Runtime, bootstrap
from novel_engine.web.metrics import Metrics
from novel_engine.web.security import Argon2Hasher
from tests.graphql_client import serving
from tests.integration.helpers import create_campaign
from tests.jobs_support import a_campaign, change_world, effects, job_rows, mark_world, until
from tests.live_server import settings_for

KIND = "mark-world"


def durable(handle: JobHandler, *on: EventType, **options: Any) -> Handlers:
    handlers = Handlers()
    handlers.add_durable(KIND, on or [EventType.CAMPAIGN_CREATED], handle, **options)
    return handlers


@asynccontextmanager
async def server(
    database_url: str, handlers: Handlers, metrics: Metrics | None = None, **settings: Any
) -> AsyncIterator[Runtime]:
    async with bootstrap(settings_for(database_url, **settings), metrics, handlers) as runtime:
        yield runtime


async def campaign_of(runtime: Runtime, name: str = "Gloom") -> uuid.UUID:
    campaign = await a_campaign(runtime.services.unit_of_work, runtime.services.hasher, name)
    return campaign.id


async def all_jobs(runtime: Runtime, status: str, count: int = 1) -> None:
    async def reached() -> bool:
        rows = await job_rows(runtime.engine)
        return len(rows) == count and all(r.status == status for r in rows)

    await until(reached)


def metric(metrics: Metrics, line: str) -> bool:
    return line in generate_latest(metrics.registry).decode().splitlines()


async def test_a_committed_job_runs_once_and_is_marked_done(database_url: str) -> None:
    async with server(database_url, durable(mark_world)) as runtime:
        await campaign_of(runtime)

        await all_jobs(runtime, "done")

        [job] = await job_rows(runtime.engine)
        assert job.attempts == 1
        assert await effects(runtime.engine, job.id) == 1


async def test_a_local_commit_that_wrote_jobs_wakes_the_workers_at_once(
    engine: AsyncEngine,
) -> None:
    # given: a pool that would otherwise look for jobs once a minute, idle
    bus = MessageBus(durable(mark_world))
    workers = JobWorkers(engine, bus, poll_seconds=60)
    bus.wake_on_jobs(workers.wake)
    await workers.start()
    try:
        # when
        await a_campaign(lambda: SqlUnitOfWork(engine, bus), Argon2Hasher())

        # then: its job is done long before the next poll
        async def done() -> bool:
            return [r.status for r in await job_rows(engine)] == ["done"]

        await until(done, within=15)
    finally:
        await workers.close()


async def test_a_failing_job_is_retried_with_backoff_until_it_succeeds(database_url: str) -> None:
    # given: a job that fails twice, then succeeds
    failed_at: list[float] = []
    started_at: list[float] = []

    async def flaky(job: Job, ctx: JobContext) -> None:
        started_at.append(time.monotonic())
        if job.attempt < 3:
            failed_at.append(time.monotonic())
            raise ConnectionError(f"model unreachable (attempt {job.attempt})")
        await mark_world(job, ctx)

    metrics = Metrics()
    retry = RetryPolicy(max_attempts=5, base_seconds=0.2)
    async with server(database_url, durable(flaky, retry=retry), metrics) as runtime:
        # when
        await campaign_of(runtime)
        await all_jobs(runtime, "done")

        # then: written once, on the third attempt, each retry at least half its step later
        [job] = await job_rows(runtime.engine)
        assert job.attempts == 3
        assert job.last_error == "ConnectionError: model unreachable (attempt 2)"
        assert await effects(runtime.engine, job.id) == 1
        assert started_at[1] - failed_at[0] >= 0.1
        assert started_at[2] - failed_at[1] >= 0.2
        assert metric(metrics, f'novel_engine_jobs_started_total{{kind="{KIND}"}} 3.0')
        assert metric(metrics, f'novel_engine_jobs_retried_total{{kind="{KIND}"}} 2.0')
        assert metric(metrics, f'novel_engine_jobs_succeeded_total{{kind="{KIND}"}} 1.0')


async def test_a_job_failing_every_attempt_is_dead_with_its_last_error(database_url: str) -> None:
    # given: jobs that fail on one campaign and succeed on another
    async def oracle(job: Job, ctx: JobContext) -> None:
        if job.event.event.payload["name"] == "Doomed":
            raise RuntimeError(f"the oracle is silent (attempt {job.attempt})")

    metrics = Metrics()
    retry = RetryPolicy(max_attempts=3, base_seconds=0.01)
    async with server(database_url, durable(oracle, retry=retry), metrics) as runtime:
        # when
        doomed = await campaign_of(runtime, "Doomed")
        fine = await campaign_of(runtime, "Fine")

        async def settled() -> bool:
            return {r.status for r in await job_rows(runtime.engine)} == {"dead", "done"}

        await until(settled)

        # then: the owner's view of the campaign's jobs shows it dead, with why
        shown = await runtime.jobs.jobs_by_campaign_ids([doomed, fine])
        assert list(shown) == [doomed]
        [record] = shown[doomed]
        assert (record.kind, record.status, record.attempts) == (KIND, JobStatus.DEAD, 3)
        assert record.last_error == "RuntimeError: the oracle is silent (attempt 3)"
        assert record.finished_at is not None
        assert metric(metrics, f'novel_engine_jobs_dead_total{{kind="{KIND}"}} 1.0')

        async def sampled() -> bool:
            return metric(metrics, 'novel_engine_jobs{status="dead"} 1.0')

        await until(sampled, within=10)  # the pool samples the queue every few seconds


async def test_jobs_sharing_an_ordering_key_run_one_at_a_time_in_commit_order(
    database_url: str,
) -> None:
    # given: a job per world change, ordered by campaign, in a pool of four
    ran: list[tuple[int, float, float]] = []

    async def note(job: Job, ctx: JobContext) -> None:
        began = time.monotonic()
        await asyncio.sleep(0.05)
        ran.append((job.event.event.payload["worldVersion"], began, time.monotonic()))

    def by_campaign(stored: StoredEvent) -> str:
        return f"campaign:{stored.event.stream.id}"

    handlers = durable(note, EventType.WORLD_STATE_CHANGED, ordering_key=by_campaign)
    async with server(database_url, handlers, job_concurrency=4) as runtime:
        campaign = await campaign_of(runtime)

        # when: six changes in a row
        for n in range(6):
            await change_world(runtime.services.unit_of_work(), campaign, {"n": n})
        await all_jobs(runtime, "done", count=6)

    # then: in commit order, never two at once
    assert [version for version, _, _ in ran] == [2, 3, 4, 5, 6, 7]
    assert all(later[1] >= earlier[2] for earlier, later in pairwise(ran))


async def test_a_process_runs_at_most_its_concurrency_of_jobs_at_once(database_url: str) -> None:
    # given: jobs that hold on until all six are waiting
    running = 0
    peak = 0
    all_waiting = asyncio.Event()

    async def busy(job: Job, ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await all_waiting.wait()
        await asyncio.sleep(0.05)
        running -= 1

    async with server(database_url, durable(busy), job_concurrency=2) as runtime:
        first = await a_campaign(runtime.services.unit_of_work, runtime.services.hasher)
        for n in range(5):
            await campaigns.create_campaign(
                runtime.services.unit_of_work(),
                Actor(first.owner_id),
                commands.CreateCampaign(f"Gloom {n}"),
            )

        # when
        all_waiting.set()
        await all_jobs(runtime, "done", count=6)

    # then
    assert peak == 2


async def test_a_job_stopped_by_a_shutdown_is_handed_back_uncounted_and_run_elsewhere(
    database_url: str,
) -> None:
    # given: a run that hangs in a server that then shuts down (a deploy, not a crash)
    started = asyncio.Event()
    hanging = True

    async def hangs_here(job: Job, ctx: JobContext) -> None:
        if hanging:
            started.set()
            await asyncio.Event().wait()
        await mark_world(job, ctx)

    handlers = durable(hangs_here, retry=RetryPolicy(max_attempts=1))
    async with server(database_url, handlers, job_lease_seconds=30.0) as first:
        await campaign_of(first)
        await asyncio.wait_for(started.wait(), 10)
        await first.workers.close()
        hanging = False

        # when: another server runs on the same database (long before the lease would end)
        async with server(database_url, handlers, job_lease_seconds=30.0) as second:
            await all_jobs(second, "done")

            # then: the stopped run did not count as the job's one attempt; the effect is
            # written once
            [job] = await job_rows(second.engine)
            assert job.attempts == 1
            assert await effects(second.engine, job.id) == 1


async def test_two_servers_share_the_jobs_and_run_each_once(database_url: str) -> None:
    ran: list[uuid.UUID] = []

    async def note(job: Job, ctx: JobContext) -> None:
        await asyncio.sleep(0.05)
        ran.append(job.id)

    handlers = durable(note)
    async with (
        server(database_url, handlers, job_concurrency=2) as a,
        server(database_url, handlers, job_concurrency=2) as b,
    ):
        owner = await a_campaign(a.services.unit_of_work, a.services.hasher)
        for n in range(9):
            on = a if n % 2 else b
            await campaigns.create_campaign(
                on.services.unit_of_work(),
                Actor(owner.owner_id),
                commands.CreateCampaign(f"Gloom {n}"),
            )
        await all_jobs(a, "done", count=10)

    assert len(ran) == len(set(ran)) == 10


async def test_immediate_handlers_neither_hold_up_nor_break_the_answer(database_url: str) -> None:
    # given: after-commit handlers that fail, hang, and record
    release = asyncio.Event()
    recorded: list[list[str]] = []

    async def explode(events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("the broker is on fire")

    async def hang(events: Sequence[StoredEvent]) -> None:
        await release.wait()

    async def record(events: Sequence[StoredEvent]) -> None:
        recorded.append([e.event.event_type.value for e in events])

    handlers = Handlers()
    for handler in (explode, hang, record):
        handlers.add_immediate(handler)
    async with serving(settings_for(database_url), handlers) as client:
        token = await client.sign_up("Ada")

        # when
        campaign = await asyncio.wait_for(create_campaign(client, token), 10)

        # then: the answer came while one handler still hangs; the others ran
        assert campaign["worldVersion"] == 1
        await until(lambda: _now(recorded[-1:] == [["campaigns.campaign.created"]]))
        assert not release.is_set()
        release.set()


async def _now(value: bool) -> bool:
    return value


CAMPAIGN_JOBS = """
query($id: ID!) { campaign(id: $id) { jobs { kind status attempts maxAttempts lastError } } }
"""


async def test_a_campaigns_unfinished_jobs_are_shown_to_its_directors_only(
    database_url: str,
) -> None:
    # given: a job that fails its only attempt, on a campaign with a co-author
    async def oracle(job: Job, ctx: JobContext) -> None:
        raise RuntimeError("the oracle is silent")

    handlers = durable(oracle, retry=RetryPolicy(max_attempts=1))
    async with serving(settings_for(database_url), handlers) as client:
        ada = await client.sign_up("Ada")
        bob = await client.sign_up("Bob")
        campaign = await create_campaign(client, ada)
        await client.data(
            """mutation($id: ID!) { addCampaignMember(campaignId: $id, email: "bob@example.com",
                 role: COAUTHOR) { __typename } }""",
            {"id": campaign["id"]},
            token=ada,
        )

        async def dead() -> bool:
            found = await client.data(CAMPAIGN_JOBS, {"id": campaign["id"]}, token=ada)
            jobs = found["campaign"]["jobs"]
            return bool(jobs) and jobs[0]["status"] == "DEAD"

        # when
        await until(dead)

        # then: the owner sees why it died; the co-author sees no job list at all
        owner = await client.data(CAMPAIGN_JOBS, {"id": campaign["id"]}, token=ada)
        coauthor = await client.data(CAMPAIGN_JOBS, {"id": campaign["id"]}, token=bob)
        assert owner["campaign"]["jobs"] == [
            {
                "kind": KIND,
                "status": "DEAD",
                "attempts": 1,
                "maxAttempts": 1,
                "lastError": "RuntimeError: the oracle is silent",
            }
        ]
        assert coauthor["campaign"]["jobs"] is None


async def test_a_finished_job_keeps_working_after_a_second_finishing_commit_fails(
    database_url: str,
) -> None:
    # given: a handler that finishes, tries to finish again (refused), then keeps working
    # past a few heartbeats
    reached_the_end = asyncio.Event()

    async def twice(job: Job, ctx: JobContext) -> None:
        await mark_world(job, ctx)
        with contextlib.suppress(LeaseLost):
            await mark_world(job, ctx)
        await asyncio.sleep(1.0)
        reached_the_end.set()

    metrics = Metrics()
    async with server(database_url, durable(twice), metrics, job_lease_seconds=0.6) as runtime:
        # when
        await campaign_of(runtime)
        await asyncio.wait_for(reached_the_end.wait(), 10)

        # then: the run counts as a success, not a lost lease, and wrote its effect once
        async def recorded() -> bool:
            return metric(metrics, f'novel_engine_jobs_succeeded_total{{kind="{KIND}"}} 1.0')

        await until(recorded, within=5)
        assert not metric(metrics, f'novel_engine_jobs_lease_lost_total{{kind="{KIND}"}} 1.0')
        [job] = await job_rows(runtime.engine)
        assert job.status == "done"
        assert await effects(runtime.engine, job.id) == 1
