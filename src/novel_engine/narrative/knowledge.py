"""What each character takes from one event: a perception per character that perceived
it, with the memory it leaves and the beliefs it gives, with their provenance.

Structural and deterministic (domain/perception.py decides who perceived what): the
same event log always gives the same perceptions, which is what lets beliefs and
memories be rebuilt from it and a fork's characters know exactly what they knew.

- An action or dialogue: every witness observes it (DIRECT_OBSERVATION); the one doing
  it remembers it as its own action. A dialogue's listeners also take its words as
  HEARSAY, told by the speaker, as reliable as the speaker was when speaking. A
  successful attack lets its witnesses (but the attacker) infer who means whom harm
  (INFERENCE).
- A change of the world: who perceived a character's move or new condition observes it.
- Anything else (the frame of the campaign, the omniscient prose) teaches no one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.perception import (
    INFERRED_RELIABILITY,
    OBSERVED_RELIABILITY,
    Belief,
    KnowledgeSource,
    MemoryKind,
    perceive,
    source_reliability,
    witnesses_of,
)

_ACTIONS = (EventType.ACTION_PERFORMED, EventType.DIALOGUE_EXCHANGED)
# A dialogue event written before speakers' reliability was recorded: a middling speaker.
_UNKNOWN_SPEAKER = source_reliability(0.5, 0.5)


@dataclass(frozen=True)
class Perception:
    """One character's perception of one event."""

    character_id: uuid.UUID
    event_id: uuid.UUID
    position: int
    turn: int
    kind: MemoryKind
    account: str  # the memory it leaves, in words
    beliefs: tuple[Belief, ...]
    about: frozenset[uuid.UUID]  # the characters it concerns


def starts_turn(stored: StoredEvent) -> bool:
    """Game time advances by one with each turn's initiating event."""
    return stored.event.event_type is EventType.INTERACTION_INITIATED


def perceptions(stored: StoredEvent, turn: int, names: Mapping[uuid.UUID, str]) -> list[Perception]:
    """Each character that perceived `stored`, and what it took from it, in id order.
    `names` names the characters (one unknown is "someone")."""
    event = stored.event
    if event.event_type in _ACTIONS:
        viewers = sorted(witnesses_of(event.payload))
    elif event.event_type is EventType.WORLD_STATE_CHANGED:
        perceived = event.payload.get("perceivedBy") or {}
        viewers = sorted(
            {uuid.UUID(c) for entries in perceived.values() for w in entries.values() for c in w}
        )
    else:
        return []
    found = []
    for viewer in viewers:
        seen = perceive(event.event_type, event.payload, viewer)
        if seen is None:
            continue
        perception = _taken(stored, seen, viewer, turn, _Names(names))
        if perception is not None:
            found.append(perception)
    return found


def characters_named(batch: Iterable[StoredEvent]) -> set[uuid.UUID]:
    """The characters the perceptions of `batch` speak of or belong to: those whose
    names `perceptions` needs."""
    return {c for s in batch for p in perceptions(s, 0, {}) for c in (p.character_id, *p.about)}


class _Names:
    def __init__(self, names: Mapping[uuid.UUID, str]) -> None:
        self._names = names

    def __call__(self, character: str | uuid.UUID | None) -> str:
        if character is None:
            return "someone"
        key = character if isinstance(character, uuid.UUID) else uuid.UUID(character)
        return self._names.get(key, "someone")


def _taken(
    stored: StoredEvent, seen: dict[str, Any], viewer: uuid.UUID, turn: int, name: _Names
) -> Perception | None:
    event = stored.event

    def belief(
        statement: str, source: KnowledgeSource, reliability: float, told_by: Any = None
    ) -> Belief:
        return Belief(
            viewer, statement, source, reliability, turn, told_by, event.event_id, stored.position
        )

    if event.event_type is EventType.DIALOGUE_EXCHANGED:
        speaker = uuid.UUID(seen["speakerId"])
        listener = seen.get("listenerId")
        words = str(seen["message"]).strip()
        to = f" to {name(listener)}" if listener else ""
        account = f"{name(speaker)} said{to}: \u201c{words}\u201d"
        beliefs = [belief(account, KnowledgeSource.DIRECT_OBSERVATION, OBSERVED_RELIABILITY)]
        if viewer != speaker and not words.endswith("?"):  # a question tells nothing
            told = float(seen.get("speakerReliability", _UNKNOWN_SPEAKER))
            beliefs.append(belief(words, KnowledgeSource.HEARSAY, told, speaker))
        kind = MemoryKind.ACTION if viewer == speaker else MemoryKind.DIALOGUE
        about = {speaker, *([uuid.UUID(listener)] if listener else [])}
        return Perception(
            viewer,
            event.event_id,
            stored.position,
            turn,
            kind,
            account,
            tuple(beliefs),
            frozenset(about),
        )
    if event.event_type is EventType.ACTION_PERFORMED:
        actor = uuid.UUID(seen["actingCharacterId"])
        targets = [uuid.UUID(t) for t in seen.get("targetIds", [])]
        outcome = seen.get("outcome") or {}
        account = _deed(name(actor), seen, outcome)
        beliefs = [belief(account, KnowledgeSource.DIRECT_OBSERVATION, OBSERVED_RELIABILITY)]
        if seen.get("actionType") == "combat" and outcome.get("success") and viewer != actor:
            for target in targets:
                beliefs.append(
                    belief(
                        f"{name(actor)} means {name(target)} harm.",
                        KnowledgeSource.INFERENCE,
                        INFERRED_RELIABILITY,
                    )
                )
        kind = MemoryKind.ACTION if viewer == actor else MemoryKind.OBSERVATION
        return Perception(
            viewer,
            event.event_id,
            stored.position,
            turn,
            kind,
            account,
            tuple(beliefs),
            frozenset({actor, *targets}),
        )
    return _world_seen(stored, seen, viewer, turn, name, belief)


def _deed(actor: str, seen: dict[str, Any], outcome: dict[str, Any]) -> str:
    intent = str(seen.get("actionDescription", "")).strip().rstrip(".!?")
    if seen.get("actionType") == "movement":
        done = (
            f"{actor} went to {intent}"
            if outcome.get("success")
            else (f"{actor} tried to go to {intent} but did not get there")
        )
    elif seen.get("actionType") == "wait":
        done = f"{actor} waited"
    else:
        intent = intent[3:] if intent.lower().startswith("to ") else intent
        verdict = "and succeeded" if outcome.get("success") else "but failed"
        done = f"{actor} tried to {intent[:1].lower()}{intent[1:]} {verdict}"
    consequences = " ".join(str(c) for c in outcome.get("consequences", ()))
    return f"{done}. {consequences}".strip()


def _world_seen(
    stored: StoredEvent,
    seen: dict[str, Any],
    viewer: uuid.UUID,
    turn: int,
    name: _Names,
    belief: Any,
) -> Perception | None:
    changes = seen.get("changes") or {}
    facts: list[str] = []
    about: set[uuid.UUID] = set()
    for character, place in sorted((changes.get("locations") or {}).items()):
        if uuid.UUID(character) != viewer:  # its own move it remembers as its action
            facts.append(f"{name(character)} is now at {place}.")
            about.add(uuid.UUID(character))
    for character, condition in sorted((changes.get("conditions") or {}).items()):
        facts.append(
            f"{name(character)} is {condition}." if condition else f"{name(character)} recovered."
        )
        about.add(uuid.UUID(character))
    if not facts:
        return None
    beliefs = tuple(
        belief(f, KnowledgeSource.DIRECT_OBSERVATION, OBSERVED_RELIABILITY) for f in facts
    )
    return Perception(
        viewer,
        stored.event.event_id,
        stored.position,
        turn,
        MemoryKind.OBSERVATION,
        " ".join(facts),
        beliefs,
        frozenset(about),
    )
