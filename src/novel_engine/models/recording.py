"""Every model call is recorded: who answered what, at what cost, for which job step."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import replace

from novel_engine.domain.language import (
    CallRecord,
    CallRecorder,
    LanguageModel,
    ModelAnswer,
    ModelRequest,
    StreamPiece,
)


class FanOutRecorder:
    """Hands every record to several recorders in turn (the database, the metrics)."""

    def __init__(self, *recorders: CallRecorder) -> None:
        self._recorders = recorders

    async def record(self, record: CallRecord) -> None:
        for recorder in self._recorders:
            await recorder.record(record)


class InMemoryCallRecorder:
    """Keeps the latest records in this process: for tests and tools (a server keeps
    its records in the database)."""

    def __init__(self, limit: int = 1_000) -> None:
        self._records: deque[CallRecord] = deque(maxlen=limit)

    async def record(self, record: CallRecord) -> None:
        self._records.append(record)

    @property
    def records(self) -> list[CallRecord]:
        return list(self._records)

    def for_step(self, job_id: str, step: str) -> list[CallRecord]:
        return [r for r in self._records if (r.job_id, r.step) == (job_id, step)]


class RecordedModel:
    """A local model (the offline one) whose calls are recorded like remote ones."""

    def __init__(self, model: LanguageModel, recorder: CallRecorder) -> None:
        self._model = model
        self._recorder = recorder

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        answer = await self._model.generate(request)
        await self._recorder.record(record_of(request, answer, attempt=1))
        return answer

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        async for piece in self._model.stream(request):
            if isinstance(piece, ModelAnswer):
                await self._recorder.record(record_of(request, piece, attempt=1))
            yield piece


def record_of(request: ModelRequest, answer: ModelAnswer, *, attempt: int) -> CallRecord:
    """The record of an attempt that produced `answer`."""
    key = request.key
    return CallRecord(
        job_id=key.job_id,
        step=key.step,
        attempt=attempt,
        provider=answer.provider,
        model=answer.model,
        system=request.system,
        prompt=request.prompt,
        answer=answer.text,
        prompt_tokens=answer.prompt_tokens,
        output_tokens=answer.output_tokens,
        latency=answer.latency,
        fallback=answer.fallback,
        campaign_id=key.campaign_id,
        turn_id=key.turn_id,
    )


def failure_of(
    request: ModelRequest, *, attempt: int, provider: str, model: str, error: str, latency: float
) -> CallRecord:
    """The record of an attempt that failed with `error`: no answer, no tokens."""
    nothing = ModelAnswer(text="", provider=provider, model=model, latency=latency)
    return replace(record_of(request, nothing, attempt=attempt), answer=None, error=error)
