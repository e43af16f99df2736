"""Gemini through the google-genai SDK's async client: one attempt per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from time import monotonic

from google.genai import Client, errors, types

from novel_engine.domain.language import ModelAnswer, ModelRequest, StreamPiece
from novel_engine.models.errors import (
    ModelCallFailed,
    is_transient_transport_failure,
    retry_after_seconds,
)
from novel_engine.models.structured import parse_structured

# Pinned: the SDK's default changed between major versions, and gateways care.
API_VERSION = "v1beta"
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


class GeminiModel:
    provider = "gemini"

    def __init__(
        self, *, api_key: str, model: str, timeout: float, base_url: str | None = None
    ) -> None:
        self.model = model
        options = types.HttpOptions(
            base_url=base_url, api_version=API_VERSION, timeout=int(timeout * 1000)
        )
        # Kept for the model's lifetime: a collected client closes its connections.
        self._client = Client(api_key=api_key, http_options=options)

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        started = monotonic()
        with _classified():
            response = await self._client.aio.models.generate_content(
                model=self.model, contents=request.prompt, config=_config(request)
            )
        text = response.text or ""
        data = parse_structured(text, request.schema) if request.schema is not None else None
        prompt_tokens, output_tokens = _usage(response.usage_metadata)
        return ModelAnswer(
            text=text,
            provider=self.provider,
            model=self.model,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            latency=monotonic() - started,
            data=data,
        )

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        started = monotonic()
        pieces: list[str] = []
        usage: types.GenerateContentResponseUsageMetadata | None = None
        with _classified():
            chunks = await self._client.aio.models.generate_content_stream(
                model=self.model, contents=request.prompt, config=_config(request)
            )
            async for chunk in chunks:
                usage = chunk.usage_metadata or usage
                if chunk.text:
                    pieces.append(chunk.text)
                    yield chunk.text
        prompt_tokens, output_tokens = _usage(usage)
        yield ModelAnswer(
            text="".join(pieces),
            provider=self.provider,
            model=self.model,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            latency=monotonic() - started,
        )


def _config(request: ModelRequest) -> types.GenerateContentConfig:
    config = types.GenerateContentConfig(
        system_instruction=request.system or None,
        temperature=request.temperature,
        max_output_tokens=request.max_tokens,
    )
    if request.schema is not None:
        config.response_mime_type = "application/json"
        if "response_json_schema" in types.GenerateContentConfig.model_fields:
            config.response_json_schema = dict(request.schema)
        else:  # SDKs before plain JSON Schema support take their own Schema type
            config.response_schema = dict(request.schema)
    return config


def _usage(usage: types.GenerateContentResponseUsageMetadata | None) -> tuple[int, int]:
    if usage is None:
        return 0, 0
    return usage.prompt_token_count or 0, usage.candidates_token_count or 0


@contextmanager
def _classified() -> Iterator[None]:
    """SDK and transport failures as ModelCallFailed, retryable or not."""
    try:
        yield
    except errors.APIError as exc:
        headers = getattr(exc.response, "headers", None)
        raise ModelCallFailed(
            f"gemini answered {exc.code} {exc.status}: {exc.message}",
            retryable=exc.code in RETRYABLE_STATUSES,
            retry_after=retry_after_seconds(headers),
        ) from exc
    except ModelCallFailed:
        raise
    except Exception as exc:
        raise ModelCallFailed(
            f"gemini call failed: {exc!r}", retryable=is_transient_transport_failure(exc)
        ) from exc
