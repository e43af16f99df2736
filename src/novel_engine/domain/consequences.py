"""What a judged action changes in the world, planned before anything is changed.

The plan comes first so the action's event can list its consequences; the turn then
enacts each change as its own event caused by that action event.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.character import Character, RelationshipType
from novel_engine.domain.director import label, named_skill

DIALOGUE_STEP = 0.1  # how much one exchange warms or cools a listener
HELP_STEP = 0.1  # how much being helped warms a target
FIRST_IMPRESSION = 0.5  # a listener with no relationship to the speaker starts here
ENMITY = 0.6  # a first attack makes an enemy this strong; another adds ENMITY_STEP
ENMITY_STEP = 0.2
# Relationship types change with hysteresis: the line that makes a type is beyond the
# one that unmakes it, so a word either way at a boundary does not flip it back and forth.
ALLY_ABOVE = 0.7  # a NEUTRAL warmth rising above this makes an ALLY
ALLY_BELOW = 0.4  # an ALLY's warmth falling under this makes it NEUTRAL again
SCORN_BELOW = 0.1  # a NEUTRAL warmth falling under this makes an ENEMY...
SCORN_ENMITY = 0.3  # ...this strong
RECONCILED_BELOW = 0.2  # an ENEMY's enmity falling under this makes it NEUTRAL...
RECONCILED_WARMTH = 0.3  # ...this warm (wary still)
# An INTERACT or SKILL helps its targets when its intent says so with one of these
# word stems ("heals", "bandaging", "protects"...).
HELPING_STEMS = (
    "aid",
    "assist",
    "bandag",
    "comfort",
    "cure",
    "defend",
    "feed",
    "give",
    "heal",
    "help",
    "mend",
    "protect",
    "rescu",
    "save",
    "shar",
    "shield",
    "support",
    "tend",
)
_WORD = re.compile(r"[a-z]+")
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
        return _changed([_regard(cast[t], actor, step) for t in relating], cast, actor)
    gained: list[Change] = []
    if action.kind is ActionKind.SKILL and check.success:
        skill = named_skill(action, cast[actor])
        if skill is not None and skill[1] < MAX_LEVEL:
            gained.append(Learned(actor, skill[0], skill[1] + 1))
    helping = action.kind in (ActionKind.SKILL, ActionKind.INTERACT) and helps(action)
    if helping and check.success:
        gained += _changed([_regard(cast[t], actor, HELP_STEP) for t in relating], cast, actor)
    return gained


def helps(action: Action) -> bool:
    """Whether the action's intent says it helps its targets."""
    words = _WORD.findall(action.intent.casefold())
    return bool(action.target_ids) and any(w.startswith(HELPING_STEMS) for w in words)


def _changed(bonds: list[Bond], cast: dict[uuid.UUID, Character], actor: uuid.UUID) -> list[Change]:
    """At a bound already, another word changes nothing and says nothing."""
    return [b for b in bonds if (b.type, b.strength) != _relationship(cast[b.character_id], actor)]


def _enmity(target: Character, attacker: uuid.UUID) -> Bond:
    known = _relationship(target, attacker)
    strength = ENMITY
    if known is not None and known[0] is RelationshipType.ENEMY:
        strength = min(1.0, known[1] + ENMITY_STEP)
    return Bond(target.id, attacker, RelationshipType.ENEMY, strength)


def _regard(listener: Character, speaker: uuid.UUID, step: float) -> Bond:
    """How `listener` regards `speaker` after words or help that warm it by `step` (or
    cool it, below zero). An enemy's strength is its enmity: warmth lowers it."""
    kind, strength = _relationship(listener, speaker) or (
        RelationshipType.NEUTRAL,
        FIRST_IMPRESSION,
    )
    if kind is RelationshipType.ENEMY:
        enmity = _unit(strength - step)
        if step > 0 and enmity < RECONCILED_BELOW:
            return Bond(listener.id, speaker, RelationshipType.NEUTRAL, RECONCILED_WARMTH)
        return Bond(listener.id, speaker, kind, enmity)
    warmth = _unit(strength + step)
    if step > 0 and kind is RelationshipType.NEUTRAL and warmth > ALLY_ABOVE:
        kind = RelationshipType.ALLY
    elif step < 0 and kind is RelationshipType.ALLY and warmth < ALLY_BELOW:
        kind = RelationshipType.NEUTRAL
    elif step < 0 and kind is RelationshipType.NEUTRAL and warmth < SCORN_BELOW:
        return Bond(listener.id, speaker, RelationshipType.ENEMY, SCORN_ENMITY)
    # ROMANTIC and FAMILY are declared by owners; play changes only their strength.
    return Bond(listener.id, speaker, kind, warmth)


def _unit(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


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
