"""What a character can attempt in a turn."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any


class ActionKind(Enum):
    DIALOGUE = "dialogue"
    MOVE = "move"
    ATTACK = "attack"
    SKILL = "skill"
    INTERACT = "interact"
    WAIT = "wait"


@dataclass(frozen=True)
class Action:
    character_id: uuid.UUID
    kind: ActionKind
    intent: str
    target_ids: tuple[uuid.UUID, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "characterId": str(self.character_id),
            "kind": self.kind.value,
            "intent": self.intent,
            "targetIds": [str(t) for t in self.target_ids],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(
            uuid.UUID(data["characterId"]),
            ActionKind(data["kind"]),
            data["intent"],
            tuple(uuid.UUID(t) for t in data["targetIds"]),
        )


@dataclass(frozen=True)
class ActionOutcome:
    """What the rules decided for one action, with the numbers that decided it."""

    success: bool
    roll: float
    difficulty: float
    modifier: float
    seed: int
    description: str
    consequences: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "roll": self.roll,
            "difficulty": self.difficulty,
            "modifier": self.modifier,
            # As text: a 64-bit seed is beyond what JSON numbers hold exactly everywhere.
            "seed": str(self.seed),
            "description": self.description,
            "consequences": list(self.consequences),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionOutcome:
        return cls(
            success=bool(data["success"]),
            roll=float(data["roll"]),
            difficulty=float(data["difficulty"]),
            modifier=float(data["modifier"]),
            seed=int(data["seed"]),
            description=str(data["description"]),
            consequences=tuple(str(c) for c in data["consequences"]),
        )
