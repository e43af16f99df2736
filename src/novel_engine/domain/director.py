"""The director: the rules that decide what each action of a turn achieves.

Pure and deterministic. Each action gets a roll drawn from a seed derived from the turn
id and the action's index, checked against a difficulty (the kind of action, its
targets, the world) after a modifier (the actor's skill and personality). The verdict
names every number and why it is what it is, so a player can see why an action failed.
What a success changes is returned as a plan of `Change`s; the turn enacts them.
The table of numbers is documented in docs/decisions/0013-director-rules.md.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.character import Character

# What a kind of action asks before targets and world are counted.
BASE_DIFFICULTY = {
    ActionKind.WAIT: 0.0,
    ActionKind.MOVE: 0.0,
    ActionKind.INTERACT: 0.4,
    ActionKind.DIALOGUE: 0.4,
    ActionKind.SKILL: 0.5,
    ActionKind.ATTACK: 0.5,
}
EXTRA_TARGET = 0.1  # each target past the first (for a MOVE, each one barring the way)
TARGET_ELSEWHERE = 0.2  # speaking to or striking someone not at the actor's place
WOUNDED_ACTOR = 0.1  # a wounded character finds everything harder
TRAIT_WEIGHT = 0.4  # a trait of 1.0 or 0.0 moves a number by 0.2 from the middle
SKILL_WEIGHT = 0.3  # a skill at level 100 adds 0.3
DECIMALS = 4  # stored numbers are rounded so they reproduce the verdict exactly


class Places:
    """Where the campaign's characters stand; None is the campaign's default place."""

    def __init__(self, world_state: dict[str, Any], character_ids: list[uuid.UUID]) -> None:
        locations = world_state.get("locations")
        known = locations if isinstance(locations, dict) else {}
        self._at: dict[uuid.UUID, str | None] = {}
        for character_id in character_ids:
            place = known.get(str(character_id))
            self._at[character_id] = place if isinstance(place, str) else None

    def of(self, character_id: uuid.UUID) -> str | None:
        return self._at.get(character_id)

    def present(self, *places: str | None) -> list[uuid.UUID]:
        """The characters at any of `places`, in id order."""
        return sorted(c for c, at in self._at.items() if at in places)

    def move(self, character_id: uuid.UUID, place: str) -> None:
        self._at[character_id] = place


def seed_for(turn_id: uuid.UUID, index: int) -> int:
    """A seed stable across processes and versions (unlike Python's salted `hash`)."""
    digest = hashlib.sha256(f"{turn_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def roll_for(seed: int) -> float:
    return round(random.Random(seed).random(), DECIMALS)


def witnesses(action: Action, places: Places) -> list[uuid.UUID]:
    """Who is at the actor's place before the action; a MOVE is seen at both ends."""
    here = places.of(action.character_id)
    if action.kind is ActionKind.MOVE:
        return places.present(here, action.intent)
    return places.present(here)


def check(
    turn_id: uuid.UUID,
    index: int,
    action: Action,
    cast: dict[uuid.UUID, Character],
    places: Places,
    conditions: dict[str, str],
) -> ActionOutcome:
    """The verdict on one action; its consequences are planned from it afterwards."""
    seed = seed_for(turn_id, index)
    roll = roll_for(seed)
    difficulty, hard = _difficulty(action, cast, places, conditions)
    modifier, helps = _modifier(action, cast[action.character_id])
    success = round(roll + modifier, DECIMALS) >= difficulty
    if action.kind is ActionKind.WAIT:
        description = "Waiting always succeeds."
    else:
        description = (
            f"Rolled {roll:.2f} {'-' if modifier < 0 else '+'} {abs(modifier):.2f}"
            f"{_because(helps)} against {difficulty:.2f}{_because(hard)}: "
            f"{'success' if success else 'failure'}."
        )
    return ActionOutcome(success, roll, difficulty, modifier, seed, description)


def _because(reasons: list[str]) -> str:
    return f" ({', '.join(reasons)})" if reasons else ""


def _difficulty(
    action: Action,
    cast: dict[uuid.UUID, Character],
    places: Places,
    conditions: dict[str, str],
) -> tuple[float, list[str]]:
    kind, targets = action.kind, action.target_ids
    if kind is ActionKind.WAIT:
        return 0.0, []
    value, reasons = BASE_DIFFICULTY[kind], [f"{kind.value} {BASE_DIFFICULTY[kind]:.2f}"]
    extra = len(targets) if kind is ActionKind.MOVE else max(0, len(targets) - 1)
    if extra:
        value += EXTRA_TARGET * extra
        reasons.append(f"{extra} more target{'s' if extra > 1 else ''}")
    if targets and kind in (ActionKind.DIALOGUE, ActionKind.ATTACK):
        primary = cast[targets[0]]
        if kind is ActionKind.DIALOGUE:
            trait, level = "agreeableness", primary.personality.agreeableness
            value += (0.5 - level) * TRAIT_WEIGHT
        else:
            trait, level = "conscientiousness", primary.personality.conscientiousness
            value += (level - 0.5) * TRAIT_WEIGHT
        reasons.append(f"{label(action, primary.id)}'s {trait} {level:.2f}")
        here = places.of(action.character_id)
        away = [t for t in targets if places.of(t) != here]
        if away:
            value += TARGET_ELSEWHERE
            reasons.append(f"{label(action, away[0])} is elsewhere")
    if str(action.character_id) in conditions:
        value += WOUNDED_ACTOR
        reasons.append(f"the actor is {conditions[str(action.character_id)]}")
    return round(value, DECIMALS), reasons


# The trait that helps each kind of action, and whether a high or a low value helps.
_HELPING_TRAIT = {
    ActionKind.DIALOGUE: ("extraversion", 1),
    ActionKind.SKILL: ("conscientiousness", 1),
    ActionKind.ATTACK: ("neuroticism", -1),
    ActionKind.INTERACT: ("openness", 1),
}


def _modifier(action: Action, actor: Character) -> tuple[float, list[str]]:
    if action.kind in (ActionKind.WAIT, ActionKind.MOVE):
        return 0.0, []
    value, reasons = 0.0, []
    skill = named_skill(action, actor)
    if skill is not None:
        value += skill[1] / 100 * SKILL_WEIGHT
        reasons.append(f"{skill[0]} {skill[1]}")
    trait, sign = _HELPING_TRAIT[action.kind]
    level = float(getattr(actor.personality, trait))
    value += sign * (level - 0.5) * TRAIT_WEIGHT
    reasons.append(f"{trait} {level:.2f}")
    return round(value, DECIMALS), reasons


def label(action: Action, character_id: uuid.UUID) -> str:
    """A character's part in the action. Outcomes are kept with the turn, so they name
    parts, not characters: a character made private later is not named by old turns."""
    if character_id == action.character_id:
        return "the actor"
    if len(action.target_ids) == 1:
        return "the listener" if action.kind is ActionKind.DIALOGUE else "the target"
    return f"target {action.target_ids.index(character_id) + 1}"


def named_skill(action: Action, actor: Character) -> tuple[str, int] | None:
    """The actor's best skill whose name the intent mentions, as (name, level)."""
    intent = action.intent.casefold()
    named = [s for s in actor.skills if s.name.casefold() in intent]
    best = max(named, key=lambda s: s.level, default=None)
    return (best.name, best.level) if best else None
