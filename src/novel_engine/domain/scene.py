"""What the offline model is told: a turn's scene and a persona's view, as plain data.

The inputs are structured rather than a prompt to parse, so every name, place, spoken
line and outcome the prose uses is one the caller gave.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from novel_engine.domain.character import Character, CharacterKind, Personality
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.session import ActionKind
from novel_engine.domain.story import Genre, Tone


@dataclass(frozen=True)
class SceneCharacter:
    """A character present in the scene."""

    id: str
    name: str
    kind: CharacterKind = CharacterKind.NPC
    personality: Personality = field(default_factory=Personality)
    background: str = ""

    @classmethod
    def of(cls, character: Character) -> SceneCharacter:
        return cls(
            str(character.id),
            character.name,
            character.kind,
            character.personality,
            character.background,
        )


@dataclass(frozen=True)
class Outcome:
    """How an action turned out; `description` is told as given (e.g. "the lock gave")."""

    success: bool
    description: str = ""


@dataclass(frozen=True)
class SceneAction:
    """One action of the turn. For DIALOGUE, `intent` is the spoken line; otherwise it is
    what the actor sets out to do, as a verb phrase ("search the cellar")."""

    actor_id: str
    kind: ActionKind
    intent: str
    target_ids: tuple[str, ...] = ()
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Scene:
    """Everything one turn's narration may draw on, and nothing else."""

    genre: Genre
    tone: Tone
    place: str
    characters: tuple[SceneCharacter, ...]
    actions: tuple[SceneAction, ...]
    narration_style: str = ""
    weather: str = ""
    time_of_day: str = ""
    earlier: str = ""

    def __post_init__(self) -> None:
        if not self.place.strip():
            raise InvalidInput("A scene happens somewhere: give its place.", "place")
        if any(not c.name.strip() for c in self.characters):
            raise InvalidInput("Every character in a scene has a name.", "characters")
        if any(not a.intent.strip() for a in self.actions):
            raise InvalidInput("Every action says what it means to do or say.", "actions")
        known = {c.id for c in self.characters}
        if len(known) != len(self.characters):
            raise InvalidInput("Each character in a scene needs its own id.", "characters")
        for number, action in enumerate(self.actions):
            for reference in (action.actor_id, *action.target_ids):
                if reference not in known:
                    raise InvalidInput(
                        f"Action {number} names {reference!r}, who is not in the scene.",
                        "actions",
                    )

    def character(self, character_id: str) -> SceneCharacter:
        return next(c for c in self.characters if c.id == character_id)

    def seed(self) -> int:
        """The same scene always gives the same seed, on any machine and any run."""
        return seed_of(self)


@dataclass(frozen=True)
class Held:
    """One belief as a persona's brief gives it: what, how it was learned (a
    KnowledgeSource value), how sure it is now, and who told it ("" when no one)."""

    statement: str
    source: str
    reliability: float
    told_by: str = ""


@dataclass(frozen=True)
class PersonaView:
    """What one character witnessed this turn, from which it reacts."""

    persona: SceneCharacter
    scene: Scene
    # From its turn brief: what it believes (newest first), what it perceived in earlier
    # turns (oldest first), and what it wants.
    beliefs: tuple[Held, ...] = ()
    recollections: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.persona.id not in {c.id for c in self.scene.characters}:
            raise InvalidInput("A persona reacts only to a scene it is present in.", "persona")

    def seed(self) -> int:
        return seed_of(self)


@dataclass(frozen=True)
class ViewpointScene:
    """A turn as one character perceived it, to be told from its point of view: the
    scene holds only the actions it perceived and the characters they involve."""

    viewpoint: SceneCharacter
    scene: Scene

    def __post_init__(self) -> None:
        if self.viewpoint.id not in {c.id for c in self.scene.characters}:
            raise InvalidInput("A viewpoint character is part of its own scene.", "viewpoint")

    def seed(self) -> int:
        return seed_of(self)


def canonical_json(value: Any) -> str:
    """Sorted keys, enums by value, no whitespace: equal inputs give equal bytes."""
    return json.dumps(asdict(value), sort_keys=True, separators=(",", ":"), default=_enum_value)


def seed_of(value: Any) -> int:
    digest = hashlib.sha256(canonical_json(value).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _enum_value(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"{type(value).__name__} is not part of a scene")
