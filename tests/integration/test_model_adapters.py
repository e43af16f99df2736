"""The Gemini and OpenAI adapters, through their real SDKs, against fake servers that
speak each REST API: answers, streams, structured output, retries and the fallback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from novel_engine import models
from novel_engine.domain.language import CallKey, ModelAnswer, ModelRequest, StreamPiece
from novel_engine.models.gemini import GeminiModel
from novel_engine.models.openai import OpenAICompatibleModel
from novel_engine.models.recording import InMemoryCallRecorder
from novel_engine.models.resilience import (
    RemoteModel,
    ResilientModel,
    RetryPolicy,
    StreamInterrupted,
)
from novel_engine.web.settings import Settings
from tests.model_servers import (
    FakeModelServer,
    Reply,
    gemini_answer,
    gemini_error,
    gemini_stream,
    openai_answer,
    openai_error,
    openai_stream,
)

MOOD = {
    "type": "object",
    "properties": {"mood": {"type": "string", "enum": ["calm", "angry"]}},
    "required": ["mood"],
}
REQUEST = ModelRequest(
    system="You narrate a fantasy tale.",
    prompt="The knight enters the hall.",
    key=CallKey(job_id="job-1", step="narrate"),
)
STRUCTURED = ModelRequest(
    system="Answer in JSON.",
    prompt="How does the knight feel?",
    key=CallKey(job_id="job-1", step="mood"),
    schema=MOOD,
)


@dataclass(frozen=True)
class Api:
    name: str
    answer: Callable[[str], object]
    stream: Callable[[list[str]], Reply]
    error: Callable[..., Reply]
    adapter: Callable[[str, float], RemoteModel]
    path: str
    env: Callable[[str], dict[str, str]]


GEMINI = Api(
    "gemini",
    gemini_answer,
    gemini_stream,
    gemini_error,
    lambda url, timeout: GeminiModel(
        api_key="test-key", model="gemini-test", timeout=timeout, base_url=url
    ),
    "/v1beta/models/gemini-test:generateContent",
    lambda url: {
        "NOVEL_ENGINE_LLM_PROVIDER": "gemini",
        "GEMINI_API_KEY": "test-key",
        "NOVEL_ENGINE_GEMINI_MODEL": "gemini-test",
        "NOVEL_ENGINE_GEMINI_BASE_URL": url,
    },
)
OPENAI = Api(
    "openai",
    openai_answer,
    openai_stream,
    openai_error,
    lambda url, timeout: OpenAICompatibleModel(
        base_url=f"{url}/v1", model="local-model", timeout=timeout
    ),
    "/v1/chat/completions",
    lambda url: {
        "NOVEL_ENGINE_LLM_PROVIDER": "openai",
        "NOVEL_ENGINE_LLM_BASE_URL": f"{url}/v1",
        "NOVEL_ENGINE_LLM_MODEL": "local-model",
        "NOVEL_ENGINE_LLM_API_KEY": "sk-local",
    },
)


@pytest.fixture(params=[GEMINI, OPENAI], ids=lambda api: api.name)
def api(request: pytest.FixtureRequest) -> Api:
    result: Api = request.param
    return result


class OfflineStandIn:
    """The fallback: a tiny deterministic model (the real offline one lives elsewhere)."""

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        data = {"mood": "calm"} if request.schema is not None else None
        text = json.dumps(data) if data else "The hall falls quiet."
        return ModelAnswer(text=text, provider="offline", model="stand-in", data=data)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        for piece in ("The hall ", "falls quiet."):
            yield piece
        yield ModelAnswer(text="The hall falls quiet.", provider="offline", model="stand-in")


class Sleeps:
    """Records the waits between attempts instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@dataclass
class Harness:
    model: ResilientModel
    recorder: InMemoryCallRecorder
    sleeps: Sleeps


def harness(api: Api, server: FakeModelServer, *, timeout: float = 5.0, limit: int = 4) -> Harness:
    recorder, sleeps = InMemoryCallRecorder(), Sleeps()
    model = ResilientModel(
        api.adapter(server.url, timeout),
        OfflineStandIn(),
        recorder=recorder,
        limit=asyncio.Semaphore(limit),
        policy=RetryPolicy(base_delay=0.01, max_delay=5.0, timeout=timeout),
        sleep=sleeps,
        jitter=lambda: 0.5,
    )
    return Harness(model, recorder, sleeps)


async def collect(stream: AsyncIterator[StreamPiece]) -> tuple[list[str], ModelAnswer]:
    pieces: list[str] = []
    async for piece in stream:
        if isinstance(piece, ModelAnswer):
            return pieces, piece
        pieces.append(piece)
    raise AssertionError("the stream ended without its final answer")


async def test_a_remote_answer_arrives_with_its_usage(api: Api) -> None:
    with FakeModelServer([Reply(body=api.answer("Torches flicker."))]).running() as server:
        answer = await harness(api, server).model.generate(REQUEST)
    assert (answer.text, answer.prompt_tokens, answer.output_tokens) == ("Torches flicker.", 11, 7)
    assert (answer.fallback, answer.attempts, answer.provider) == (False, 1, api.name)
    assert server.requests[0].path.startswith(api.path)
    assert "The knight enters the hall." in json.dumps(server.requests[0].body)
    assert "You narrate a fantasy tale." in json.dumps(server.requests[0].body)


async def test_a_streamed_answer_arrives_in_pieces_then_its_usage(api: Api) -> None:
    with FakeModelServer([api.stream(["Torches ", "flicker", "."])]).running() as server:
        pieces, final = await collect(harness(api, server).model.stream(REQUEST))
    assert pieces == ["Torches ", "flicker", "."]
    assert (final.text, final.prompt_tokens, final.output_tokens) == ("Torches flicker.", 11, 7)
    assert not final.fallback


async def test_a_structured_answer_is_parsed_and_the_schema_sent(api: Api) -> None:
    reply = Reply(body=api.answer('{"mood": "angry"}'))
    with FakeModelServer([reply]).running() as server:
        answer = await harness(api, server).model.generate(STRUCTURED)
    assert answer.data == {"mood": "angry"}
    assert '"enum": ["calm", "angry"]' in json.dumps(server.requests[0].body)


async def test_a_rate_limited_call_waits_as_retry_after_asks_then_succeeds(api: Api) -> None:
    replies = [api.error(429, {"Retry-After": "2"}), Reply(body=api.answer("At last."))]
    with FakeModelServer(replies).running() as server:
        h = harness(api, server)
        answer = await h.model.generate(REQUEST)
    assert (answer.text, answer.attempts, answer.fallback) == ("At last.", 2, False)
    assert h.sleeps.delays == [2.0]


async def test_a_server_failing_three_times_falls_back_to_offline_and_says_so(api: Api) -> None:
    with FakeModelServer([api.error(503)]).running() as server:
        h = harness(api, server)
        answer = await h.model.generate(REQUEST)
    assert len(server.requests) == 3
    assert (answer.text, answer.fallback, answer.model_used) == (
        "The hall falls quiet.",
        True,
        "offline/stand-in",
    )
    # Exponential backoff between the three attempts (jitter pinned to its middle).
    assert h.sleeps.delays == [0.0075, 0.015]
    records = h.recorder.for_step("job-1", "narrate")
    assert [(r.attempt, r.provider, r.fallback) for r in records] == [
        (1, api.name, False),
        (2, api.name, False),
        (3, api.name, False),
        (4, "offline", True),
    ]
    assert all("503" in (r.error or "") for r in records[:3])
    assert records[3].answer == "The hall falls quiet."


async def test_a_stream_failing_three_times_falls_back_to_offline(api: Api) -> None:
    with FakeModelServer([api.error(503)]).running() as server:
        pieces, final = await collect(harness(api, server).model.stream(REQUEST))
    assert len(server.requests) == 3
    assert pieces == ["The hall ", "falls quiet."]
    assert (final.fallback, final.model_used, final.attempts) == (True, "offline/stand-in", 4)


async def test_a_call_that_times_out_is_retried(api: Api) -> None:
    replies = [Reply(body=api.answer("Too late."), delay=2.0), Reply(body=api.answer("Prompt."))]
    with FakeModelServer(replies).running() as server:
        h = harness(api, server, timeout=0.5)
        answer = await h.model.generate(REQUEST)
    assert (answer.text, answer.attempts, answer.fallback) == ("Prompt.", 2, False)
    assert h.recorder.records[0].error is not None


async def test_malformed_structured_output_is_retried_once_then_falls_back(api: Api) -> None:
    with FakeModelServer([Reply(body=api.answer('{"mood": "sle'))]).running() as server:
        h = harness(api, server)
        answer = await h.model.generate(STRUCTURED)
    assert len(server.requests) == 2
    assert (answer.data, answer.fallback) == ({"mood": "calm"}, True)


async def test_output_breaking_its_schema_counts_as_malformed(api: Api) -> None:
    replies = [
        Reply(body=api.answer('{"mood": "bored"}')),
        Reply(body=api.answer('{"mood": "calm"}')),
    ]
    with FakeModelServer(replies).running() as server:
        h = harness(api, server)
        answer = await h.model.generate(STRUCTURED)
    assert (answer.data, answer.attempts, answer.fallback) == ({"mood": "calm"}, 2, False)
    assert "mood" in (h.recorder.records[0].error or "")


async def test_a_refused_key_falls_back_at_once_without_retrying(api: Api) -> None:
    with FakeModelServer([api.error(401)]).running() as server:
        h = harness(api, server)
        answer = await h.model.generate(REQUEST)
    assert len(server.requests) == 1
    assert answer.fallback
    assert h.sleeps.delays == []


async def test_calls_beyond_the_process_limit_wait_their_turn(api: Api) -> None:
    with FakeModelServer([Reply(body=api.answer("One by one."), delay=0.2)]).running() as server:
        h = harness(api, server, limit=1)
        answers = await asyncio.gather(*(h.model.generate(REQUEST) for _ in range(3)))
    assert [a.text for a in answers] == ["One by one."] * 3
    assert server.most_in_flight == 1


async def test_a_stream_cut_after_its_first_words_is_reported_not_retold(api: Api) -> None:
    cut = api.stream(["Torches "])
    assert cut.events is not None
    replies = [Reply(events=[*cut.events[:1], '{"truncated'])]
    with FakeModelServer(replies).running() as server:
        h = harness(api, server)
        pieces: list[StreamPiece] = []
        with pytest.raises(StreamInterrupted):
            await read_into(pieces, h.model.stream(REQUEST))
    assert pieces == ["Torches "]
    assert len(server.requests) == 1


async def read_into(pieces: list[StreamPiece], stream: AsyncIterator[StreamPiece]) -> None:
    async for piece in stream:
        pieces.append(piece)


async def test_the_configured_provider_answers_and_every_call_is_recorded(api: Api) -> None:
    recorder = InMemoryCallRecorder()
    with FakeModelServer([Reply(body=api.answer("Configured."))]).running() as server:
        env = {"NOVEL_ENGINE_SECRET_KEY": "k" * 40, **api.env(server.url)}
        model = models.build(Settings.from_env(env), OfflineStandIn(), recorder=recorder)
        answer = await model.generate(REQUEST)
    assert (answer.text, answer.provider, answer.fallback) == ("Configured.", api.name, False)
    [record] = recorder.for_step("job-1", "narrate")
    assert (record.answer, record.prompt_tokens, record.output_tokens) == ("Configured.", 11, 7)
    key = server.requests[0].headers.get("x-goog-api-key") or server.requests[0].headers.get(
        "authorization"
    )
    assert key in ("test-key", "Bearer sk-local")


async def test_with_the_offline_provider_the_fallback_answers_and_is_recorded() -> None:
    recorder = InMemoryCallRecorder()
    settings = Settings.from_env({"NOVEL_ENGINE_SECRET_KEY": "k" * 40})
    model = models.build(settings, OfflineStandIn(), recorder=recorder)
    answer = await model.generate(REQUEST)
    pieces, final = await collect(model.stream(REQUEST))
    assert (answer.model_used, answer.fallback) == ("offline/stand-in", False)
    assert "".join(pieces) == final.text
    assert [r.provider for r in recorder.for_step("job-1", "narrate")] == ["offline", "offline"]
