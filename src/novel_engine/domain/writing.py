"""What a story is written or judged from: a brief for the model that writes it, a
manuscript for the one that grades it, and a session's narrated turns for compiling.

Like a Scene, these are structured inputs: the offline model answers from them, and
remote models read a prompt made from the same facts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from novel_engine.domain.scene import SceneCharacter, seed_of
from novel_engine.domain.story import Genre, StoryLength, Tone

DEFAULT_GENRE = Genre.ADVENTURE
DEFAULT_TONE = Tone.HEROIC


@dataclass(frozen=True)
class StoryBrief:
    """A story to write: everything the requester chose, and nothing else."""

    title: str
    genre: Genre
    tone: Tone
    length: StoryLength
    themes: tuple[str, ...] = ()
    cast: tuple[SceneCharacter, ...] = ()
    prompt: str = ""

    def seed(self) -> int:
        return seed_of(self)


@dataclass(frozen=True)
class Manuscript:
    """A story's text, to be judged."""

    title: str
    text: str


@dataclass(frozen=True)
class NarratedTurn:
    """A turn's prose as the chronicler wrote it, and who acted or was acted on in it."""

    number: int
    text: str
    character_ids: tuple[uuid.UUID, ...] = ()


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def edited(turns: Sequence[NarratedTurn]) -> str:
    """The turns' prose as one text, in turn order: every turn starts a paragraph, its
    own paragraphs stay apart, and runs of whitespace inside a paragraph (line breaks
    included) become one space."""
    paragraphs = []
    for turn in sorted(turns, key=lambda t: t.number):
        for block in _PARAGRAPH_BREAK.split(turn.text):
            paragraph = " ".join(block.split())
            if paragraph:
                paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def genre_and_tone(world_state: Mapping[str, Any]) -> tuple[Genre, Tone]:
    """A campaign's genre and tone: `worldState.genre` and `worldState.tone`, by value
    or name in any case ("sci-fi", "SCI_FI"); adventure and heroic when unset or unknown."""
    return (
        _named(Genre, world_state.get("genre"), DEFAULT_GENRE),
        _named(Tone, world_state.get("tone"), DEFAULT_TONE),
    )


def _named(kind: Any, given: object, default: Any) -> Any:
    if not isinstance(given, str):
        return default
    wanted = given.strip().casefold()
    for member in kind:
        if wanted in (member.value.casefold(), member.name.casefold()):
            return member
    return default
