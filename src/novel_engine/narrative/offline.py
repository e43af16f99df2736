"""The offline language model: deterministic, seeded from its inputs, with no network
and no weights. It is the default model, so the engine runs with no key and replays a
session byte for byte.

It implements the domain's `LanguageModel` port by answering from the request's
structured `subject` (a Scene to narrate, a ViewpointScene to tell from one
character's point of view, a PersonaView to react from, a StoryBrief to write, a
Manuscript to assess, memories to score or reflect on), never by parsing the prompt.
Token counts are words, counted the same way for prompt and answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from novel_engine.domain.language import ModelAnswer, ModelRequest, StreamPiece
from novel_engine.domain.memory import ImportanceSheet, ReflectionSheet
from novel_engine.domain.scene import PersonaView, Scene, ViewpointScene
from novel_engine.domain.writing import Manuscript, StoryBrief
from novel_engine.narrative.assessment import assess
from novel_engine.narrative.memory import offline_insights, offline_scores
from novel_engine.narrative.prose import compose, compose_viewpoint, render
from novel_engine.narrative.reaction import react
from novel_engine.narrative.storywriter import write_story


class OfflineModel:
    """Narrates turns, plays personas, writes and grades stories from structured inputs
    alone."""

    provider = "offline"
    model = "offline-1"

    def narrate(self, scene: Scene) -> str:
        """The turn as prose: the same scene always gives the same text."""
        return "".join(self.narrate_stream(scene))

    def narrate_stream(self, scene: Scene) -> Iterator[str]:
        """The same text as `narrate`, a sentence at a time."""
        return render(compose(scene))

    def narrate_viewpoint(self, view: ViewpointScene) -> Iterator[str]:
        """The turn told from one character's point of view, a sentence at a time: the
        same view always gives the same text."""
        return render(compose_viewpoint(view))

    def react(self, view: PersonaView) -> dict[str, Any]:
        """The persona's reaction to what it witnessed, validated structured output."""
        return react(view)

    def assess(self, text: str) -> dict[str, float]:
        """Story-quality measures of a text, each 0..1 (see `assessment.assess`)."""
        return assess(text)

    def write(self, brief: StoryBrief) -> str:
        """A story following the brief (see `storywriter`): the same brief, the same story."""
        return write_story(brief)

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        started = time.perf_counter()
        subject = request.subject
        data: object | None = None
        if isinstance(subject, PersonaView):
            data = self.react(subject)
            text = json.dumps(data)
        elif isinstance(subject, Scene):
            text = self.narrate(subject)
        elif isinstance(subject, ViewpointScene):
            text = "".join(self.narrate_viewpoint(subject))
        elif isinstance(subject, StoryBrief):
            text = self.write(subject)
        elif isinstance(subject, Manuscript):
            data = self.assess(subject.text)
            text = json.dumps(data)
        elif isinstance(subject, ImportanceSheet):
            data = offline_scores(subject)
            text = json.dumps(data)
        elif isinstance(subject, ReflectionSheet):
            data = offline_insights(subject)
            text = json.dumps(data)
        else:
            raise ValueError("the offline model answers only requests with a subject")
        return self._answer(request, text, time.perf_counter() - started, data)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        subject = request.subject
        if isinstance(subject, Scene):
            told = self.narrate_stream(subject)
        elif isinstance(subject, ViewpointScene):
            told = self.narrate_viewpoint(subject)
        else:
            raise ValueError("the offline model streams only the narration of a scene")
        started = time.perf_counter()
        pieces = []
        for piece in told:
            pieces.append(piece)
            yield piece
        yield self._answer(request, "".join(pieces), time.perf_counter() - started, None)

    def _answer(
        self, request: ModelRequest, text: str, latency: float, data: object | None
    ) -> ModelAnswer:
        return ModelAnswer(
            text=text,
            provider=self.provider,
            model=self.model,
            prompt_tokens=len(f"{request.system} {request.prompt}".split()),
            output_tokens=len(text.split()),
            latency=latency,
            data=data,
        )
