"""When a live stream's viewpoint no longer holds: the events that end it, and those that
must not (a replay passing an old change ends the stream only where the viewpoint now in
force would differ)."""

from __future__ import annotations

import uuid
from typing import Any

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StoredEvent, StreamId
from novel_engine.domain.perception import Perspective
from novel_engine.graphql.events.seeing import EVERYTHING, Viewpoint, seen

CAMPAIGN, BOB, CLEO = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
TAM, PIP, IVA = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
THROUGH = Perspective.THROUGH_CHARACTERS

BOBS = Viewpoint(frozenset({TAM}), perspective=THROUGH, player=BOB)
VIEWERS = Viewpoint(frozenset(), perspective=THROUGH)
OMNISCIENT_COAUTHOR = Viewpoint(perspective=Perspective.OMNISCIENT)
THROUGH_TAM = Viewpoint(frozenset({TAM}), through=TAM)


def stored(event_type: EventType, payload: dict[str, Any]) -> StoredEvent:
    stream = StreamId(AggregateType.CAMPAIGN, CAMPAIGN)
    event = DomainEvent(event_type, CAMPAIGN, AggregateType.CAMPAIGN, payload, BOB, stream)
    return StoredEvent(event, 7)


def settings(changes: dict[str, Any]) -> StoredEvent:
    return stored(EventType.CAMPAIGN_SETTINGS_CHANGED, {"changes": changes})


def added(character: uuid.UUID, player: uuid.UUID, *, ai: bool = False) -> StoredEvent:
    payload = {"characterId": str(character), "controlledBy": str(player), "aiControlled": ai}
    return stored(EventType.CAMPAIGN_CHARACTER_ADDED, payload)


def removed(character: uuid.UUID) -> StoredEvent:
    return stored(EventType.CAMPAIGN_CHARACTER_REMOVED, {"characterId": str(character)})


def test_switching_perspective_ends_only_the_streams_it_decided() -> None:
    to_omniscient = settings({"perspective": "omniscient"})
    assert BOBS.outdated_by(to_omniscient)
    assert VIEWERS.outdated_by(to_omniscient)
    assert not OMNISCIENT_COAUTHOR.outdated_by(to_omniscient)  # already in force
    assert OMNISCIENT_COAUTHOR.outdated_by(settings({"perspective": "through_characters"}))
    assert not EVERYTHING.outdated_by(to_omniscient)
    assert not THROUGH_TAM.outdated_by(to_omniscient)
    assert not BOBS.outdated_by(settings({"narrationStyle": "terse"}))


def test_a_character_joining_ends_its_players_union_unless_it_is_already_in_it() -> None:
    assert BOBS.outdated_by(added(PIP, BOB))
    assert not BOBS.outdated_by(added(TAM, BOB))  # replaying how Tam joined
    assert not BOBS.outdated_by(added(PIP, BOB, ai=True))  # a persona agent plays it
    assert not BOBS.outdated_by(added(IVA, CLEO))
    assert not VIEWERS.outdated_by(added(PIP, BOB))
    assert not THROUGH_TAM.outdated_by(added(PIP, BOB))


def test_a_character_leaving_ends_the_streams_that_look_through_it() -> None:
    assert BOBS.outdated_by(removed(TAM))
    assert THROUGH_TAM.outdated_by(removed(TAM))
    assert not THROUGH_TAM.outdated_by(removed(IVA))
    assert not EVERYTHING.outdated_by(removed(TAM))


def test_seeing_everything_returns_the_event_itself_and_a_hidden_one_is_none() -> None:
    action = stored(
        EventType.ACTION_PERFORMED, {"actingCharacterId": str(IVA), "witnesses": [str(IVA)]}
    )
    assert seen(EVERYTHING, action) is action
    assert seen(BOBS, action) is None
    assert seen(Viewpoint(frozenset({IVA})), action) is action
