"""The offline language model: deterministic, seeded from its inputs, with no network
and no weights. It is the default model, so the engine runs with no key and replays a
session byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from novel_engine.narrative.assessment import assess
from novel_engine.narrative.prose import compose, render
from novel_engine.narrative.reaction import react
from novel_engine.narrative.scene import PersonaView, Scene


class OfflineModel:
    """Narrates turns, plays personas and grades stories from structured inputs alone."""

    name = "offline"

    def narrate(self, scene: Scene) -> str:
        """The turn as prose: the same scene always gives the same text."""
        return "".join(self.narrate_stream(scene))

    def narrate_stream(self, scene: Scene) -> Iterator[str]:
        """The same text as `narrate`, a sentence at a time."""
        return render(compose(scene))

    def react(self, view: PersonaView) -> dict[str, Any]:
        """The persona's reaction to what it witnessed, validated structured output."""
        return react(view)

    def assess(self, text: str) -> dict[str, float]:
        """Story-quality measures of a text, each 0..1 (see `assessment.assess`)."""
        return assess(text)
