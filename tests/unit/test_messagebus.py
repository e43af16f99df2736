"""The message bus: which committed events ask for which jobs, and immediate handlers that
never hold up or break the commit that fed them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from novel_engine.domain.events import (
    AggregateType,
    DomainEvent,
    EventType,
    StoredEvent,
    StreamId,
)
from novel_engine.domain.messagebus import (
    Handlers,
    Job,
    JobContext,
    MessageBus,
    RetryPolicy,
)

CAMPAIGN = uuid.uuid4()


def stored(event_type: EventType, position: int, kind: AggregateType) -> StoredEvent:
    stream = StreamId(kind, CAMPAIGN if kind is AggregateType.CAMPAIGN else uuid.uuid4())
    event = DomainEvent(event_type, stream.id, kind, {}, None, stream)
    return StoredEvent(event, position)


async def nothing(job: Job, ctx: JobContext) -> None:
    return None


def test_committed_events_ask_for_the_jobs_registered_for_their_types() -> None:
    # given
    handlers = Handlers()
    handlers.add_durable(
        "narrate",
        [EventType.WORLD_STATE_CHANGED, EventType.CAMPAIGN_CREATED],
        nothing,
        ordering_key=lambda e: f"campaign:{e.event.stream.id}",
        retry=RetryPolicy(max_attempts=7),
    )
    handlers.add_durable("audit", [EventType.CHARACTER_CREATED], nothing)
    created = stored(EventType.CAMPAIGN_CREATED, 1, AggregateType.CAMPAIGN)
    character = stored(EventType.CHARACTER_CREATED, 1, AggregateType.CHARACTER)
    member = stored(EventType.CAMPAIGN_MEMBER_ADDED, 2, AggregateType.CAMPAIGN)
    changed = stored(EventType.WORLD_STATE_CHANGED, 3, AggregateType.CAMPAIGN)

    # when
    requests = handlers.job_requests([created, character, member, changed])

    # then: one job per interested kind, in commit order; none for the member
    assert [(r.kind, r.event) for r in requests] == [
        ("narrate", created),
        ("audit", character),
        ("narrate", changed),
    ]
    assert requests[0].ordering_key == f"campaign:{CAMPAIGN}"
    assert requests[0].max_attempts == 7
    assert requests[0].campaign_id == CAMPAIGN
    assert requests[1].ordering_key is None
    assert requests[1].campaign_id is None  # about a character: no campaign's business


def test_a_job_kind_is_registered_once_and_for_some_event() -> None:
    handlers = Handlers()
    handlers.add_durable("narrate", [EventType.CAMPAIGN_CREATED], nothing)
    with pytest.raises(ValueError, match="twice"):
        handlers.add_durable("narrate", [EventType.SESSION_STARTED], nothing)
    with pytest.raises(ValueError, match="no event type"):
        handlers.add_durable("idle", [], nothing)
    assert list(handlers.durable) == ["narrate"]


def test_retry_delays_double_from_half_to_whole_steps_up_to_a_cap() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=2.0, cap_seconds=30.0)
    assert [policy.delay(n, 0.0) for n in (1, 2, 3, 4, 5, 6)] == [1, 2, 4, 8, 15, 15]
    assert [policy.delay(n, 0.999999) for n in (1, 2, 5)] == pytest.approx([2, 4, 30], 1e-5)
    assert policy.delay(5000, 0.0) == 15  # a long-lived job's delay stays capped


async def test_committing_returns_before_immediate_handlers_finish() -> None:
    # given: a handler that waits for a signal
    release = asyncio.Event()
    seen: list[Sequence[StoredEvent]] = []

    async def slow(events: Sequence[StoredEvent]) -> None:
        await release.wait()
        seen.append(events)

    handlers = Handlers()
    handlers.add_immediate(slow)
    bus = MessageBus(handlers)
    event = stored(EventType.CAMPAIGN_CREATED, 1, AggregateType.CAMPAIGN)

    # when
    bus.committed([event], wrote_jobs=False)
    await asyncio.sleep(0)

    # then: the committer went on; the handler still runs, and shutdown waits for it
    assert seen == []
    release.set()
    await bus.aclose()
    assert seen == [[event]]


async def test_a_failing_immediate_handler_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Sequence[StoredEvent]] = []

    async def explode(events: Sequence[StoredEvent]) -> None:
        raise RuntimeError("broker on fire")

    async def record(events: Sequence[StoredEvent]) -> None:
        seen.append(events)

    handlers = Handlers()
    handlers.add_immediate(explode)
    handlers.add_immediate(record)
    bus = MessageBus(handlers)
    first = stored(EventType.CAMPAIGN_CREATED, 1, AggregateType.CAMPAIGN)
    second = stored(EventType.WORLD_STATE_CHANGED, 2, AggregateType.CAMPAIGN)

    bus.committed([first], wrote_jobs=False)
    bus.committed([second], wrote_jobs=False)
    await bus.aclose()

    assert seen == [[first], [second]]
    assert "broker on fire" in caplog.text


async def test_only_commits_that_wrote_jobs_wake_the_workers() -> None:
    wakes: list[str] = []
    bus = MessageBus(Handlers())
    bus.wake_on_jobs(lambda: wakes.append("wake"))
    event = stored(EventType.CAMPAIGN_CREATED, 1, AggregateType.CAMPAIGN)

    bus.committed([event], wrote_jobs=False)
    bus.committed([event], wrote_jobs=True)

    assert wakes == ["wake"]


async def test_shutdown_cancels_handlers_that_outlive_the_grace_period() -> None:
    cancelled = asyncio.Event()

    async def stuck(events: Sequence[StoredEvent]) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    handlers = Handlers()
    handlers.add_immediate(stuck)
    bus = MessageBus(handlers, shutdown_grace=0.05)
    bus.committed([stored(EventType.CAMPAIGN_CREATED, 1, AggregateType.CAMPAIGN)], wrote_jobs=False)
    await asyncio.sleep(0)

    await bus.aclose()

    assert cancelled.is_set()


async def test_an_immediate_handler_gets_commits_in_commit_order_even_when_slow() -> None:
    # given: a handler slow on the first commit only
    seen: list[int] = []

    async def publish(events: Sequence[StoredEvent]) -> None:
        if events[0].position == 1:
            await asyncio.sleep(0.05)
        seen.append(events[0].position)

    handlers = Handlers()
    handlers.add_immediate(publish)
    bus = MessageBus(handlers)

    # when
    for position in (1, 2, 3):
        bus.committed(
            [stored(EventType.WORLD_STATE_CHANGED, position, AggregateType.CAMPAIGN)],
            wrote_jobs=False,
        )
    await bus.aclose()

    # then
    assert seen == [1, 2, 3]


async def test_a_handler_too_far_behind_misses_commits_instead_of_hoarding_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a stuck handler that may fall two commits behind
    release = asyncio.Event()
    seen: list[int] = []

    async def stuck(events: Sequence[StoredEvent]) -> None:
        await release.wait()
        seen.append(events[0].position)

    handlers = Handlers()
    handlers.add_immediate(stuck)
    bus = MessageBus(handlers, lane_limit=2)

    # when: four commits while it is stuck on the first
    for position in (1, 2, 3, 4):
        bus.committed(
            [stored(EventType.WORLD_STATE_CHANGED, position, AggregateType.CAMPAIGN)],
            wrote_jobs=False,
        )
        await asyncio.sleep(0)
    release.set()
    await bus.aclose()

    # then: the one it was handling and two waiting; the fourth was dropped, and said so
    assert seen == [1, 2, 3]
    assert "2 commits behind" in caplog.text
