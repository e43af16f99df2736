"""What a story is written or judged from: a brief for the model that writes it, a
manuscript for the one that grades it, and a session's narrated turns, edited into one.

Like a Scene, these are structured inputs: the offline model answers from them, and
remote models read a prompt made from the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from novel_engine.domain.scene import SceneCharacter, seed_of
from novel_engine.domain.session import Turn
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


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def edited(turns: Sequence[Turn]) -> str:
    """The turns' prose as one text, in turn order: every turn starts a paragraph, its
    own paragraphs stay apart, and runs of whitespace inside a paragraph (line breaks
    included) become one space."""
    paragraphs = []
    for turn in sorted(turns, key=lambda t: t.number):
        for block in _PARAGRAPH_BREAK.split(turn.narrative or ""):
            paragraph = " ".join(block.split())
            if paragraph:
                paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def genre_and_tone(world_state: Mapping[str, Any]) -> tuple[Genre, Tone]:
    """A campaign's genre and tone as the story engine reads them from its world
    (`genre: "sci-fi"`, `tone: "dark"`); adventure and heroic when unset or unknown."""
    return world_genre(world_state), world_tone(world_state) or DEFAULT_TONE


def world_genre(world_state: Mapping[str, Any]) -> Genre:
    """The genre a campaign's world sets; adventure when unset or unknown."""
    genre: Genre | None = _valued(Genre, world_state.get("genre"))
    return genre or DEFAULT_GENRE


def world_tone(world_state: Mapping[str, Any]) -> Tone | None:
    """The tone a campaign's world sets, if it sets a known one."""
    tone: Tone | None = _valued(Tone, world_state.get("tone"))
    return tone


def _valued(kind: Any, given: object) -> Any:
    return next((member for member in kind if member.value == given), None)
