"""Every model call is kept in the database by job and step, counted in the metrics, and
never fails because it could not be recorded."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.language import CallKey, CallRecord, ModelRequest
from novel_engine.domain.messagebus import Handlers
from novel_engine.domain.scene import Scene
from novel_engine.domain.story import Genre, Tone
from novel_engine.models.recording import RecordedModel
from novel_engine.narrative.offline import OfflineModel
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.model_calls import SqlCallRecorder
from novel_engine.web.bootstrap import bootstrap
from novel_engine.web.metrics import Metrics
from tests.live_server import settings_for
from tests.model_servers import FakeModelServer, Reply, openai_answer, openai_error

CAMPAIGN, TURN = uuid.uuid4(), uuid.uuid4()
CALL_LABELS = ("provider", "model", "outcome")
TOKEN_LABELS = ("provider", "model", "direction")


def call(job_id: str, step: str = "narrate", attempt: int = 1, **fields: object) -> CallRecord:
    record = CallRecord(
        job_id=job_id,
        step=step,
        attempt=attempt,
        provider="openai",
        model="local-model",
        system="You narrate a fantasy tale.",
        prompt="The knight enters the hall.",
        answer="The hall falls quiet.",
        prompt_tokens=11,
        output_tokens=7,
        latency=0.25,
        fallback=False,
        campaign_id=CAMPAIGN,
        turn_id=TURN,
    )
    return replace(record, **fields)


def failed(job_id: str, step: str = "narrate", attempt: int = 1) -> CallRecord:
    return call(
        job_id, step, attempt, answer=None, error="HTTP 503", prompt_tokens=0, output_tokens=0
    )


async def test_each_attempt_is_kept_with_what_it_was_for(engine: AsyncEngine) -> None:
    # given
    recorder, job = SqlCallRecorder(engine), str(uuid.uuid4())
    attempts = [failed(job, attempt=1), call(job, attempt=2)]

    # when
    for record in attempts:
        await recorder.record(record)

    # then
    assert await recorder.recorded(job, "narrate") == attempts
    assert await recorder.recorded(job, "react") == []


async def test_a_rerun_of_a_step_replaces_what_the_earlier_run_recorded(
    engine: AsyncEngine,
) -> None:
    # given: a run that failed twice then fell back, and another step of the same job
    recorder, job = SqlCallRecorder(engine), str(uuid.uuid4())
    for record in [
        failed(job, attempt=1),
        failed(job, attempt=2),
        call(job, attempt=3, fallback=True, provider="offline", model="offline-1"),
        call(job, step="react"),
    ]:
        await recorder.record(record)

    # when: the job runs again (a retry, or a lease taken over after a crash)
    rerun = call(job, attempt=1, answer="The hall holds its breath.")
    await recorder.record(rerun)

    # then: only the new run counts for that step; the other step is untouched
    assert await recorder.recorded(job, "narrate") == [rerun]
    assert await recorder.recorded(job, "react") == [call(job, step="react")]


async def test_overlapping_runs_writing_the_same_attempts_do_not_fail(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # given: two runs of one job step at once, each recording attempts 1 and 2
    recorder, job = SqlCallRecorder(engine), str(uuid.uuid4())

    async def run(answer: str) -> None:
        await recorder.record(failed(job, attempt=1))
        await recorder.record(call(job, attempt=2, answer=answer))

    # when
    with caplog.at_level(logging.WARNING, logger="novel_engine.persistence.model_calls"):
        await asyncio.gather(*(run(f"Answer {i}.") for i in range(8)))

    # then: every write went through, and the step holds one run's worth of attempts
    assert caplog.records == []
    kept = await recorder.recorded(job, "narrate")
    assert [r.attempt for r in kept] == [1, 2]
    assert kept[1].answer in {f"Answer {i}." for i in range(8)}


async def test_a_call_that_cannot_be_recorded_still_answers_and_is_logged(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a database that cannot be reached
    url = make_url(database_url)
    missing = "/no/such/directory/calls.db" if url.get_backend_name() == "sqlite" else "no_such_db"
    broken = create_engine(url.set(database=missing).render_as_string(hide_password=False))
    model = RecordedModel(OfflineModel(), SqlCallRecorder(broken))
    request = ModelRequest(
        system="s",
        prompt="p",
        key=CallKey(str(uuid.uuid4()), "narrate"),
        subject=Scene(Genre.FANTASY, Tone.DARK, "the hall", (), ()),
    )

    # when
    try:
        with caplog.at_level(logging.WARNING, logger="novel_engine.persistence.model_calls"):
            answer = await model.generate(request)
    finally:
        await broken.dispose()

    # then
    assert answer.text
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert "narrate" in warning.getMessage()
    assert warning.exc_info is not None


def samples(metrics: Metrics, name: str, *labels: str) -> dict[tuple[str, ...], float]:
    """The values of a metric's samples, by the values of `labels`, as /metrics shows them."""
    text = generate_latest(metrics.registry).decode()
    return {
        tuple(s.labels[label] for label in labels): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def test_the_servers_model_records_every_attempt_and_counts_it_in_the_metrics(
    database_url: str,
) -> None:
    # given: a server whose configured model fails once, then answers
    metrics = Metrics()
    replies = [openai_error(503), Reply(body=openai_answer("Quiet.", 11, 7))]
    with FakeModelServer(replies).running() as fake:
        settings = settings_for(
            database_url,
            llm_provider="openai",
            llm_base_url=f"{fake.url}/v1",
            llm_model="local-model",
        )
        async with bootstrap(settings, metrics, Handlers()) as runtime:
            job = str(uuid.uuid4())
            key = CallKey(job, "narrate", campaign_id=CAMPAIGN, turn_id=TURN)

            # when
            answer = await runtime.model.generate(ModelRequest(system="s", prompt="p", key=key))

            # then
            assert answer.text == "Quiet."
            kept = await SqlCallRecorder(runtime.engine).recorded(job, "narrate")

    assert [(r.attempt, r.answer, r.error is not None) for r in kept] == [
        (1, None, True),
        (2, "Quiet.", False),
    ]
    assert {(r.campaign_id, r.turn_id) for r in kept} == {(CAMPAIGN, TURN)}
    assert samples(metrics, "novel_engine_model_calls_total", *CALL_LABELS) == {
        ("openai", "local-model", "failed"): 1.0,
        ("openai", "local-model", "answered"): 1.0,
    }
    assert samples(metrics, "novel_engine_model_tokens_total", *TOKEN_LABELS) == {
        ("openai", "local-model", "prompt"): 11.0,
        ("openai", "local-model", "output"): 7.0,
    }
    assert samples(metrics, "novel_engine_model_call_seconds_count", "provider") == {
        ("openai",): 2.0
    }


async def test_a_fallback_answer_is_counted_as_such() -> None:
    # given
    metrics = Metrics()
    record = call(str(uuid.uuid4()), attempt=4, fallback=True, provider="offline", model="off")

    # when
    await metrics.model_calls.record(record)

    # then
    assert samples(metrics, "novel_engine_model_calls_total", *CALL_LABELS) == {
        ("offline", "off", "fallback"): 1.0
    }
