"""A turn's narration as it is written: statuses, streamed chunks, what persona agents
answered, and the usage of the models that wrote them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from novel_engine.domain.actions import Action, ActionOutcome


class NarrationStatus(Enum):
    PENDING = "pending"  # the turn is waiting for its reactions and its chronicler
    STREAMING = "streaming"  # chunks are being written
    DONE = "done"  # the whole text is saved on the turn
    FAILED = "failed"  # it will not be narrated; the turn says why


@dataclass(frozen=True)
class NarrativeChunk:
    """A piece of a turn's prose, in the order written. `cursor` is its place in the
    session's narration (increasing across turns, every telling), set once the chunk is
    stored. `viewpoint` is the character whose point of view the telling is written
    from, None for the omniscient prose; each telling has its own sequence and its own
    last (`done`) chunk."""

    session_id: uuid.UUID
    turn_id: uuid.UUID
    sequence: int
    text: str
    done: bool = False
    cursor: int = 0
    viewpoint: uuid.UUID | None = None


@dataclass(frozen=True)
class Viewpoints:
    """Which tellings of the story a reader gets: the omniscient prose (`characters` is
    None), or the tellings from the points of view of these characters, nothing else."""

    characters: frozenset[uuid.UUID] | None = None

    @classmethod
    def omniscient(cls) -> Viewpoints:
        return cls(None)

    @classmethod
    def of(cls, characters: Iterable[uuid.UUID]) -> Viewpoints:
        return cls(frozenset(characters))

    def shows(self, viewpoint: uuid.UUID | None) -> bool:
        """Whether the reader gets the telling from `viewpoint` (None: the omniscient)."""
        if self.characters is None:
            return viewpoint is None
        return viewpoint is not None and viewpoint in self.characters


def told_to(chunks: Iterable[NarrativeChunk], viewpoints: Viewpoints) -> str | None:
    """A turn's finished tellings that `viewpoints` shows, each whole, joined by a blank
    line in the order written; None when there is none."""
    shown = sorted((c for c in chunks if viewpoints.shows(c.viewpoint)), key=lambda c: c.cursor)
    finished = {c.viewpoint for c in shown if c.done}
    texts: dict[uuid.UUID | None, str] = {}
    for chunk in shown:
        if chunk.viewpoint in finished:
            texts[chunk.viewpoint] = texts.get(chunk.viewpoint, "") + chunk.text
    return "\n\n".join(texts.values()) if texts else None


def in_progress(chunks: Iterable[NarrativeChunk], viewpoints: Viewpoints) -> list[NarrativeChunk]:
    """Of a turn's chunks, those of the reader's tellings still being written (a telling
    whose last chunk is stored is over), in cursor order."""
    shown = [c for c in chunks if viewpoints.shows(c.viewpoint)]
    over = {c.viewpoint for c in shown if c.done}
    return sorted((c for c in shown if c.viewpoint not in over), key=lambda c: c.cursor)


@dataclass(frozen=True)
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.calls + other.calls,
            self.prompt_tokens + other.prompt_tokens,
            self.output_tokens + other.output_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "calls": self.calls,
            "promptTokens": self.prompt_tokens,
            "outputTokens": self.output_tokens,
        }


@dataclass(frozen=True)
class PersonaReply:
    """What a persona agent chose to do, before the director resolves it."""

    action: Action
    answers: uuid.UUID  # the event it reacts to
    model_used: str
    fallback: bool


@dataclass(frozen=True)
class Reaction:
    """A persona's reply as resolved: recorded on its turn."""

    action: Action
    outcome: ActionOutcome
    answers: uuid.UUID
    model_used: str
    fallback: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.as_dict(),
            "outcome": self.outcome.as_dict(),
            "answers": str(self.answers),
            "modelUsed": self.model_used,
            "fallback": self.fallback,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reaction:
        return cls(
            action=Action.from_dict(data["action"]),
            outcome=ActionOutcome.from_dict(data["outcome"]),
            answers=uuid.UUID(data["answers"]),
            model_used=str(data["modelUsed"]),
            fallback=bool(data["fallback"]),
        )
