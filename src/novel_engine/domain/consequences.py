"""What a judged action changes in the world, planned before anything is changed.

The plan comes first so the action's event can list its consequences; the turn then
enacts each change as its own event caused by that action event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.character import Character, RelationshipType
from novel_engine.domain.director import label, named_skill

DIALOGUE_STEP = 0.1  # how much one exchange warms or cools a listener
FIRST_IMPRESSION = 0.5  # a listener with no relationship to the speaker starts here
ENMITY = 0.6  # a first attack makes an enemy this strong; another adds ENMITY_STEP
ENMITY_STEP = 0.2
WOUNDED = "wounded"
GRAVELY_WOUNDED = "gravely wounded"
MAX_LEVEL = 100


@dataclass(frozen=True)
class Moved:
    character_id: uuid.UUID
    place: str


@dataclass(frozen=True)
class Hurt:
    character_id: uuid.UUID
    condition: str


@dataclass(frozen=True)
class Bond:
    """`character_id` now regards `related_id` this way."""

    character_id: uuid.UUID
    related_id: uuid.UUID
    type: RelationshipType
    strength: float


@dataclass(frozen=True)
class Learned:
    character_id: uuid.UUID
    skill: str
    level: int


Change = Moved | Hurt | Bond | Learned


def plan(
    action: Action,
    check: ActionOutcome,
    cast: dict[uuid.UUID, Character],
    conditions: dict[str, str],
) -> list[Change]:
    actor = action.character_id
    others = [t for t in dict.fromkeys(action.target_ids) if t != actor]  # once each
    # A relationship changes only where one can be held (not beyond the limit).
    relating = [t for t in others if cast[t].can_relate_to(actor)]
    if action.kind is ActionKind.MOVE:
        return [Moved(actor, action.intent)] if check.success else []
    if action.kind is ActionKind.ATTACK and check.success:
        changes: list[Change] = []
        for target in others:
            worse = GRAVELY_WOUNDED if conditions.get(str(target)) else WOUNDED
            changes.append(Hurt(target, worse))
            if target in relating:
                changes.append(_enmity(cast[target], actor))
        return changes
    if action.kind is ActionKind.DIALOGUE:
        step = DIALOGUE_STEP if check.success else -DIALOGUE_STEP
        warmer = [_warmth(cast[t], actor, step) for t in relating]
        # At 0.0 or 1.0 already, another word changes nothing and says nothing.
        return [b for b in warmer if b.strength != _strength(cast[b.character_id], actor)]
    if action.kind is ActionKind.SKILL and check.success:
        skill = named_skill(action, cast[actor])
        if skill is not None and skill[1] < MAX_LEVEL:
            return [Learned(actor, skill[0], skill[1] + 1)]
    return []


def _enmity(target: Character, attacker: uuid.UUID) -> Bond:
    known = _relationship(target, attacker)
    strength = ENMITY
    if known is not None and known[0] is RelationshipType.ENEMY:
        strength = min(1.0, known[1] + ENMITY_STEP)
    return Bond(target.id, attacker, RelationshipType.ENEMY, strength)


def _warmth(listener: Character, speaker: uuid.UUID, step: float) -> Bond:
    kind, strength = _relationship(listener, speaker) or (
        RelationshipType.NEUTRAL,
        FIRST_IMPRESSION,
    )
    return Bond(listener.id, speaker, kind, round(min(1.0, max(0.0, strength + step)), 4))


def _strength(character: Character, related: uuid.UUID) -> float | None:
    known = _relationship(character, related)
    return known[1] if known else None


def _relationship(
    character: Character, related: uuid.UUID
) -> tuple[RelationshipType, float] | None:
    for r in character.relationships:
        if r.related_character_id == related:
            return r.type, r.strength
    return None


def describe(change: Change, action: Action) -> str:
    who = label(action, change.character_id)
    if isinstance(change, Moved):
        return f"{who.capitalize()} is now at {change.place}."
    if isinstance(change, Hurt):
        return f"{who.capitalize()} is {change.condition}."
    if isinstance(change, Bond):
        other = label(action, change.related_id)
        return f"{who.capitalize()} regards {other} as {change.type.value} ({change.strength:.2f})."
    return f"{who.capitalize()}'s {change.skill} rises to {change.level}."
