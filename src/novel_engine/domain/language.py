"""The language model port: what the story engine asks of any model, what it gets back,
and what is recorded of each call.

Pure Python. Adapters (remote SDKs, the offline model) implement `LanguageModel`; the
story engine never learns which one answered except through `ModelAnswer`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from novel_engine.domain.memory import ImportanceSheet, ReflectionSheet
from novel_engine.domain.scene import PersonaView, Scene, ViewpointScene
from novel_engine.domain.writing import Manuscript, StoryBrief

JsonSchema = Mapping[str, object]


@dataclass(frozen=True)
class CallKey:
    """Which piece of durable work asked: calls are recorded by job and step, never by
    prompt text, so a retried job finds and replaces its own records."""

    job_id: str
    step: str
    # What the call is for, so usage sums per turn and per campaign.
    campaign_id: uuid.UUID | None = None
    turn_id: uuid.UUID | None = None


Subject = (
    Scene
    | ViewpointScene
    | PersonaView
    | StoryBrief
    | Manuscript
    | ImportanceSheet
    | ReflectionSheet
)


@dataclass(frozen=True)
class ModelRequest:
    system: str
    prompt: str
    key: CallKey
    temperature: float = 0.7
    max_tokens: int = 1024
    # With a schema the answer must be one JSON value matching it (`ModelAnswer.data`).
    schema: JsonSchema | None = None
    # The structured inputs the prompt was built from: the offline model answers from
    # these rather than parsing the prompt; remote models see only the prompt.
    subject: Subject | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be within 0..2, not {self.temperature}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {self.max_tokens}")


@dataclass(frozen=True)
class ModelAnswer:
    text: str
    provider: str
    model: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    latency: float = 0.0
    attempts: int = 1
    fallback: bool = False
    # The parsed JSON value when the request carried a schema, else None.
    data: object | None = None

    @property
    def model_used(self) -> str:
        """What a turn shows as `modelUsed`: provider and model, e.g. `gemini/gemini-2.5-flash`."""
        return f"{self.provider}/{self.model}"


StreamPiece = str | ModelAnswer


@dataclass(frozen=True)
class CallRecord:
    """One attempt at one call. Keyed by (job_id, step, attempt), never by prompt text."""

    job_id: str
    step: str
    attempt: int
    provider: str
    model: str
    system: str
    prompt: str
    answer: str | None
    prompt_tokens: int
    output_tokens: int
    latency: float
    fallback: bool
    # Why the attempt failed (None when it produced the answer).
    error: str | None = None
    # What the call was for (from its request's key), so usage sums per turn and campaign.
    campaign_id: uuid.UUID | None = None
    turn_id: uuid.UUID | None = None


class CallRecorder(Protocol):
    """Where every attempt of every model call goes. Recording must never fail the call:
    a recorder that cannot keep a record logs that and returns."""

    async def record(self, record: CallRecord) -> None: ...


class LanguageModel(Protocol):
    """A model behind one port. Implementations never block the event loop."""

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        """The whole answer at once; with `request.schema`, `data` holds the parsed JSON."""
        ...

    def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        """Text pieces as they are written, then exactly one final `ModelAnswer` whose
        `text` is the pieces joined, with usage. Prose only: no schema."""
        ...
