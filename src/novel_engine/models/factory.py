"""The configured language model, assembled once per process by the composition root."""

from __future__ import annotations

import asyncio
from typing import Protocol

from novel_engine.domain.language import CallRecorder, LanguageModel
from novel_engine.models.gemini import GeminiModel
from novel_engine.models.openai import OpenAICompatibleModel
from novel_engine.models.recording import InMemoryCallRecorder, RecordedModel
from novel_engine.models.resilience import RemoteModel, ResilientModel, RetryPolicy

# Remote calls one process makes at once; more wait their turn rather than pile on a
# rate-limited provider.
DEFAULT_CALL_LIMIT = 8


class ModelSettings(Protocol):
    """The configuration this package reads (the web layer's Settings provides it)."""

    @property
    def llm_provider(self) -> str: ...
    @property
    def gemini_api_key(self) -> str | None: ...
    @property
    def gemini_model(self) -> str: ...
    @property
    def gemini_base_url(self) -> str | None: ...
    @property
    def llm_base_url(self) -> str | None: ...
    @property
    def llm_model(self) -> str | None: ...
    @property
    def llm_api_key(self) -> str | None: ...
    @property
    def llm_timeout(self) -> float: ...


def build(
    settings: ModelSettings,
    fallback: LanguageModel,
    *,
    recorder: CallRecorder | None = None,
    call_limit: int = DEFAULT_CALL_LIMIT,
) -> LanguageModel:
    """The model `settings` name, with `fallback` (the offline model) answering whenever
    a remote one cannot. Every call goes to `recorder`."""
    recorder = recorder or InMemoryCallRecorder()
    remote = _remote(settings)
    if remote is None:
        return RecordedModel(fallback, recorder)
    return ResilientModel(
        remote,
        fallback,
        recorder=recorder,
        limit=asyncio.Semaphore(call_limit),
        policy=RetryPolicy(timeout=settings.llm_timeout),
    )


def _remote(settings: ModelSettings) -> RemoteModel | None:
    if settings.llm_provider == "gemini" and settings.gemini_api_key:
        return GeminiModel(
            api_key=settings.gemini_api_key,
            model=settings.gemini_model,
            timeout=settings.llm_timeout,
            base_url=settings.gemini_base_url,
        )
    if settings.llm_provider == "openai" and settings.llm_base_url and settings.llm_model:
        return OpenAICompatibleModel(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            timeout=settings.llm_timeout,
            api_key=settings.llm_api_key,
        )
    if settings.llm_provider == "offline":
        return None
    raise ValueError(f"incomplete configuration for provider {settings.llm_provider!r}")
