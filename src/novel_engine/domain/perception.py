"""Who perceived what: the structural rules of subjective reality.

A character perceives an event only through being there: an action or a dialogue by
its `witnesses` (the characters at the place where it happened, both ends of a move);
a change of the world by the `perceivedBy` the campaign wrote beside each changed
character's location or condition. No model decides awareness.

`perceive` gives an event's payload as one character perceived it: whole, redacted
(the parts it could not perceive removed) or None (nothing of it). It reads only the
event, so a live group can decide without a store read. Event types it does not know
are perceived by no one: a new kind of event is hidden until its rule is written.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from novel_engine.domain.events import EventType


class Perspective(Enum):
    """How much of a campaign its co-authors see."""

    OMNISCIENT = "omniscient"  # every member sees the whole story
    THROUGH_CHARACTERS = "through_characters"  # co-authors see what their characters perceived


class KnowledgeSource(Enum):
    DIRECT_OBSERVATION = "direct_observation"
    HEARSAY = "hearsay"
    INFERENCE = "inference"


class MemoryKind(Enum):
    OBSERVATION = "observation"  # something it perceived another do, or the world change
    ACTION = "action"  # something it did or said itself
    DIALOGUE = "dialogue"  # words said to it or in its hearing
    REFLECTION = "reflection"  # an insight drawn from other memories


# How much a belief is worth when learned, by how it was learned (hearsay: the speaker's
# own reliability, see `source_reliability`), and how much of it is left after each turn.
OBSERVED_RELIABILITY = 1.0
INFERRED_RELIABILITY = 0.7
DECAY_PER_TURN = {
    KnowledgeSource.DIRECT_OBSERVATION: 0.99,
    KnowledgeSource.HEARSAY: 0.97,
    KnowledgeSource.INFERENCE: 0.97,
}


def source_reliability(conscientiousness: float, neuroticism: float) -> float:
    """How far others can trust what a character says: careful minds report carefully,
    anxious ones embellish. Between 0.3 and 0.9."""
    return round(min(0.9, max(0.3, 0.4 + 0.5 * conscientiousness - 0.1 * neuroticism)), 4)


@dataclass(frozen=True)
class Belief:
    """Something a character holds true, and where it has it from."""

    character_id: uuid.UUID
    statement: str
    source: KnowledgeSource
    reliability: float  # as learned
    learned_at_turn: int
    told_by: uuid.UUID | None
    event_id: uuid.UUID | None
    position: int  # of the event in the campaign's stream

    def reliability_at(self, turn: int) -> float:
        """What is left of it `turn` (game time) later: turns, not the wall clock."""
        elapsed = max(0, turn - self.learned_at_turn)
        return round(self.reliability * DECAY_PER_TURN[self.source] ** elapsed, 4)


@dataclass(frozen=True)
class Checkpoint:
    """How far a projection of a campaign's stream has read: the last position applied
    and the game turn there (turns played, counted by their initiating events)."""

    position: int
    turn: int


# The projection of a campaign's events into its characters' beliefs (its checkpoint's
# name; its turn is the campaign's game time as far as beliefs go).
BELIEFS_PROJECTION = "beliefs"


# The world's keys that say something about one character each, by character id.
PER_CHARACTER_KEYS = ("locations", "conditions")
# ... and those a character alone knows of itself.
OWN_KEYS = ("goals",)

# Seen whole by every character: the campaign's frame, not anything happening in it.
_PUBLIC = frozenset(
    {
        EventType.CAMPAIGN_MEMBER_ADDED,
        EventType.CAMPAIGN_CHARACTER_ADDED,
        EventType.CAMPAIGN_CHARACTER_REMOVED,
        EventType.CAMPAIGN_SETTINGS_CHANGED,
        EventType.SESSION_ENDED,
    }
)
# Seen whole but for the world they carry, which is seen as `world_seen` shows it.
_WORLD_IN = {
    EventType.CAMPAIGN_CREATED: "worldState",
    EventType.SESSION_STARTED: "initialState",
}
# What is left of a turn's bookends and plot points: that they happened, not what in.
_SKELETONS: dict[EventType, tuple[str, ...]] = {
    EventType.INTERACTION_INITIATED: ("interactionId", "campaignId", "sessionId"),
    EventType.INTERACTION_RESOLVED: ("interactionId", "campaignId", "sessionId"),
    EventType.PLOT_POINT_REACHED: (
        "sessionId",
        "campaignId",
        "turnId",
        "turnNumber",
        "plotPoint",
        "timestamp",
    ),
}


def perceive(
    event_type: EventType, payload: dict[str, Any], viewers: uuid.UUID | Collection[uuid.UUID]
) -> dict[str, Any] | None:
    """`payload` as perceived by one character, or by any of several together (a player
    sees what each of its characters perceived); None when none of it was perceived."""
    seeing = frozenset([viewers] if isinstance(viewers, uuid.UUID) else viewers)
    if event_type in _PUBLIC:
        return payload
    if event_type in _WORLD_IN:
        key = _WORLD_IN[event_type]
        world = payload.get(key)
        if not isinstance(world, dict):
            return payload
        return {**payload, key: world_seen(world, seeing)}
    if event_type in (EventType.ACTION_PERFORMED, EventType.DIALOGUE_EXCHANGED):
        return payload if seeing & witnesses_of(payload) else None
    if event_type is EventType.WORLD_STATE_CHANGED:
        return _world_change_seen(payload, {str(v) for v in seeing})
    if event_type in _SKELETONS:
        return _skeleton(event_type, payload)
    if event_type is EventType.TURN_VIEWPOINT_NARRATED:
        # A turn told from one character's point of view is that character's alone.
        told_to = payload.get("viewpointCharacterId")
        return payload if told_to and told_to in {str(v) for v in seeing} else None
    return None  # the omniscient prose, and anything without a rule


def witnesses_of(payload: dict[str, Any]) -> frozenset[uuid.UUID]:
    """Who saw an action or dialogue happen; the one doing it always did."""
    seen = {uuid.UUID(w) for w in payload.get("witnesses", ())}
    doer = payload.get("actingCharacterId") or payload.get("speakerId")
    if doer:
        seen.add(uuid.UUID(doer))
    return frozenset(seen)


def listeners_of(payload: dict[str, Any]) -> frozenset[uuid.UUID]:
    """Who heard a dialogue's words: everyone there but the speaker."""
    return witnesses_of(payload) - {uuid.UUID(payload["speakerId"])}


def world_perceivers(
    before: dict[str, Any], patch: dict[str, Any], after: dict[str, Any], cast: Iterable[str]
) -> dict[str, dict[str, list[str]]]:
    """For each character whose location or condition a world change touches, who saw
    it: a move by those at either end (and the mover), a condition by those where the
    character now stands (and the character). A character with no location stands at
    the campaign's default place. Keys of the world that are not about one character
    are common knowledge and get no entry."""
    seen: dict[str, dict[str, list[str]]] = {}
    was, now = _locations(before), _locations(after)
    for key in PER_CHARACTER_KEYS:
        if key not in patch:
            continue
        entries: dict[str, list[str]] = {}
        for character in entries_changed(patch[key], before.get(key)):
            places = {now.get(character)}
            if key == "locations":
                places.add(was.get(character))
            at_place = [c for c in cast if now.get(c) in places]
            entries[character] = sorted({character, *at_place})
        seen[key] = entries
    return seen


def entries_changed(changed: Any, before: Any) -> dict[str, Any]:
    """A change to a key about characters one by one, as entries: an object as given;
    anything else (null, a plain value) takes away every entry there was."""
    if isinstance(changed, dict):
        return changed
    return dict.fromkeys(before) if isinstance(before, dict) else {}


def world_seen(world: dict[str, Any], viewers: Collection[uuid.UUID]) -> dict[str, Any]:
    """A world state as characters see it: where they and whoever stands with them are,
    and how those are; their own goals; the rest of the world (weather, the place, any
    common fact) whole. Where others stand elsewhere, and their goals, are left out."""
    seeing = {str(v) for v in viewers}
    locations = _locations(world)
    places = {locations.get(v) for v in seeing}
    beside = {c for c, place in locations.items() if place in places} | seeing
    seen = dict(world)
    for key, keep in (("locations", beside), ("conditions", beside), ("goals", seeing)):
        entries = world.get(key)
        if isinstance(entries, dict):
            seen[key] = {c: v for c, v in entries.items() if c in keep}
    return seen


def _locations(world: dict[str, Any]) -> dict[str, str | None]:
    found = world.get("locations")
    if not isinstance(found, dict):
        return {}
    return {k: v if isinstance(v, str) else None for k, v in found.items()}


def _world_change_seen(payload: dict[str, Any], seeing: set[str]) -> dict[str, Any] | None:
    perceived = payload.get("perceivedBy") or {}
    changes, previous = payload.get("changes") or {}, payload.get("previousState") or {}
    seen_changes: dict[str, Any] = {}
    seen_previous: dict[str, Any] = {}
    for key, value in changes.items():
        if key in PER_CHARACTER_KEYS or key in OWN_KEYS:
            before = previous.get(key)
            entries = entries_changed(value, before)
            if key in OWN_KEYS:
                kept = {c: v for c, v in entries.items() if c in seeing}
            else:
                who = perceived.get(key, {})
                kept = {c: v for c, v in entries.items() if seeing.intersection(who.get(c, ()))}
            if kept:
                seen_changes[key] = kept
                was = before if isinstance(before, dict) else {}
                seen_previous[key] = {c: was[c] for c in kept if c in was}
        else:
            seen_changes[key] = value
            seen_previous[key] = previous.get(key)
    if not seen_changes:
        return None
    redacted = copy.copy(payload)
    redacted["changes"] = seen_changes
    redacted["previousState"] = seen_previous
    redacted.pop("perceivedBy", None)
    return redacted


def _skeleton(event_type: EventType, payload: dict[str, Any]) -> dict[str, Any]:
    kept = {k: payload[k] for k in _SKELETONS[event_type] if k in payload}
    turn = (payload.get("context") or payload.get("resolution") or {}).get("turnNumber")
    if turn is not None and "turnNumber" not in kept:
        kept["turnNumber"] = turn
    return kept
