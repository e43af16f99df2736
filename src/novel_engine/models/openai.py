"""Any OpenAI-compatible chat-completions server (Ollama, llama.cpp, vLLM, hosted gateways)
through the openai SDK: one attempt per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any

import openai

from novel_engine.domain.language import ModelAnswer, ModelRequest, StreamPiece
from novel_engine.models.errors import (
    ModelCallFailed,
    is_transient_transport_failure,
    retry_after_seconds,
)
from novel_engine.models.structured import parse_structured

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# Local servers want no key, but the SDK refuses to start without one.
NO_KEY = "unused"


class OpenAICompatibleModel:
    provider = "openai"

    def __init__(
        self, *, base_url: str, model: str, timeout: float, api_key: str | None = None
    ) -> None:
        self.model = model
        # No SDK retries: the resilience policy owns them and counts every attempt.
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout, max_retries=0
        )

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        started = monotonic()
        with _classified():
            completion = await self._client.chat.completions.create(
                model=self.model, messages=_messages(request), **_options(request)
            )
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        data = parse_structured(text, request.schema) if request.schema is not None else None
        usage = completion.usage
        return ModelAnswer(
            text=text,
            provider=self.provider,
            model=self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            latency=monotonic() - started,
            data=data,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        started = monotonic()
        pieces: list[str] = []
        prompt_tokens = output_tokens = 0
        with _classified():
            chunks = await self._client.chat.completions.create(
                model=self.model,
                messages=_messages(request),
                stream=True,
                stream_options={"include_usage": True},
                **_options(request),
            )
            async with chunks:
                async for chunk in chunks:
                    if chunk.usage is not None:
                        prompt_tokens = chunk.usage.prompt_tokens
                        output_tokens = chunk.usage.completion_tokens
                    # The usage chunk comes with no choices at all.
                    text = chunk.choices[0].delta.content if chunk.choices else None
                    if text:
                        pieces.append(text)
                        yield text
        yield ModelAnswer(
            text="".join(pieces),
            provider=self.provider,
            model=self.model,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            latency=monotonic() - started,
        )


def _messages(request: ModelRequest) -> list[Any]:
    messages: list[Any] = []
    if request.system:
        messages.append({"role": "system", "content": request.system})
    messages.append({"role": "user", "content": request.prompt})
    return messages


def _options(request: ModelRequest) -> dict[str, Any]:
    options: dict[str, Any] = {
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    if request.schema is not None:
        options["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": dict(request.schema)},
        }
    return options


@contextmanager
def _classified() -> Iterator[None]:
    """SDK and transport failures as ModelCallFailed, retryable or not."""
    try:
        yield
    except openai.APIStatusError as exc:
        raise ModelCallFailed(
            f"the model server answered {exc.status_code}: {exc.message}",
            retryable=exc.status_code in RETRYABLE_STATUSES,
            retry_after=retry_after_seconds(exc.response.headers),
        ) from exc
    except (openai.APITimeoutError, openai.APIConnectionError) as exc:
        raise ModelCallFailed(f"the model server did not answer: {exc}", retryable=True) from exc
    except ModelCallFailed:
        raise
    except Exception as exc:
        raise ModelCallFailed(
            f"the model call failed: {exc!r}", retryable=is_transient_transport_failure(exc)
        ) from exc
