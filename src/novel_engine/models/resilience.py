"""One policy for every remote model: timeouts, retries with backoff, a per-process limit,
and the offline fallback when a remote model cannot answer."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, replace
from itertools import count
from time import monotonic
from typing import Protocol

from novel_engine.domain.language import (
    CallRecorder,
    LanguageModel,
    ModelAnswer,
    ModelRequest,
    StreamPiece,
)
from novel_engine.models.errors import InvalidStructuredOutput, ModelCallFailed
from novel_engine.models.recording import failure_of, record_of


class RemoteModel(LanguageModel, Protocol):
    """An adapter making one attempt per call and raising ModelCallFailed on failure."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...


class StreamInterrupted(ModelCallFailed):
    """A stream failed after some of its text was delivered: that text cannot be taken
    back, so neither a retry nor the fallback can continue it. The caller's job retries."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    timeout: float = 30.0
    # An answer that breaks its schema is asked for once more, then the fallback answers.
    invalid_output_attempts: int = 2

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based). The server's
        Retry-After wins (up to the cap); otherwise exponential backoff with jitter in
        its upper half, so many clients failing together do not return together."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + jitter * ceiling / 2

    def allows_another(self, failure: ModelCallFailed, attempt: int, invalid: int) -> bool:
        if not failure.retryable or attempt >= self.attempts:
            return False
        return not isinstance(failure, InvalidStructuredOutput) or (
            invalid < self.invalid_output_attempts
        )


Sleep = Callable[[float], Awaitable[None]]


class ResilientModel:
    """A remote model made dependable: every attempt bounded in time and recorded;
    retryable failures retried; the fallback model answers when the remote cannot."""

    def __init__(
        self,
        remote: RemoteModel,
        fallback: LanguageModel,
        *,
        recorder: CallRecorder,
        limit: asyncio.Semaphore,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._remote = remote
        self._fallback = fallback
        self._recorder = recorder
        self._limit = limit
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._jitter = jitter

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        invalid = 0
        for attempt in count(1):
            started = monotonic()
            try:
                async with self._limit, asyncio.timeout(self._policy.timeout):
                    answer = await self._remote.generate(request)
            except (ModelCallFailed, TimeoutError) as exc:
                failure = self._as_failure(exc)
                invalid += isinstance(failure, InvalidStructuredOutput)
                await self._record_failure(request, attempt, failure, monotonic() - started)
                if not self._policy.allows_another(failure, attempt, invalid):
                    return await self._fall_back(request, attempt)
                await self._wait(attempt, failure)
                continue
            answer = replace(answer, latency=monotonic() - started, attempts=attempt)
            await self._record(request, attempt, answer)
            return answer
        raise AssertionError("unreachable: count() never ends")

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        if request.schema is not None:
            raise ValueError("structured output is generated whole, not streamed")
        for attempt in count(1):
            started = monotonic()
            delivered = False
            try:
                async with self._limit, aclosing(self._remote_pieces(request)) as pieces:
                    async for piece in pieces:
                        if isinstance(piece, ModelAnswer):
                            final = replace(piece, latency=monotonic() - started, attempts=attempt)
                            await self._record(request, attempt, final)
                            yield final
                            return
                        delivered = True
                        yield piece
            except (ModelCallFailed, TimeoutError) as exc:
                failure = self._as_failure(exc)
                await self._record_failure(request, attempt, failure, monotonic() - started)
                if delivered:
                    raise StreamInterrupted(failure.reason) from exc
                if not self._policy.allows_another(failure, attempt, 0):
                    async for piece in self._fallback_pieces(request, attempt):
                        yield piece
                    return
                await self._wait(attempt, failure)

    async def _remote_pieces(self, request: ModelRequest) -> AsyncGenerator[StreamPiece, None]:
        """The remote stream, each wait for the next piece bounded by the timeout."""
        pieces = self._remote.stream(request)
        try:
            while True:
                async with asyncio.timeout(self._policy.timeout):
                    piece = await anext(pieces, None)
                if piece is None:
                    raise ModelCallFailed("the stream ended without its usage", retryable=True)
                yield piece
                if isinstance(piece, ModelAnswer):
                    return
        finally:
            close = getattr(pieces, "aclose", None)
            if close is not None:
                await close()

    async def _fall_back(self, request: ModelRequest, attempts: int) -> ModelAnswer:
        started = monotonic()
        answer = await self._fallback.generate(request)
        answer = replace(
            answer, latency=monotonic() - started, attempts=attempts + 1, fallback=True
        )
        await self._record(request, attempts + 1, answer)
        return answer

    async def _fallback_pieces(
        self, request: ModelRequest, attempts: int
    ) -> AsyncIterator[StreamPiece]:
        started = monotonic()
        async for piece in self._fallback.stream(request):
            if isinstance(piece, ModelAnswer):
                piece = replace(
                    piece, latency=monotonic() - started, attempts=attempts + 1, fallback=True
                )
                await self._record(request, attempts + 1, piece)
            yield piece

    async def _wait(self, attempt: int, failure: ModelCallFailed) -> None:
        await self._sleep(self._policy.delay(attempt, failure.retry_after, self._jitter()))

    def _as_failure(self, exc: ModelCallFailed | TimeoutError) -> ModelCallFailed:
        if isinstance(exc, ModelCallFailed):
            return exc
        return ModelCallFailed(f"no answer within {self._policy.timeout} s", retryable=True)

    async def _record(self, request: ModelRequest, attempt: int, answer: ModelAnswer) -> None:
        await self._recorder.record(record_of(request, answer, attempt=attempt))

    async def _record_failure(
        self, request: ModelRequest, attempt: int, failure: ModelCallFailed, latency: float
    ) -> None:
        await self._recorder.record(
            failure_of(
                request,
                attempt=attempt,
                provider=self._remote.provider,
                model=self._remote.model,
                error=failure.reason,
                latency=latency,
            )
        )
