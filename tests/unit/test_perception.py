"""Who perceives what of an event: the structural rules, read from the event alone."""

from __future__ import annotations

import uuid

from novel_engine.domain.events import EventType
from novel_engine.domain.perception import perceive, world_perceivers, world_seen

ANNA, BRAM, CORA = (uuid.uuid4() for _ in range(3))


def _said(speaker: uuid.UUID, witnesses: list[uuid.UUID]) -> dict[str, object]:
    return {
        "speakerId": str(speaker),
        "listenerId": None,
        "message": "The key is under the bell.",
        "witnesses": [str(w) for w in witnesses],
    }


def test_a_dialogue_is_perceived_by_its_witnesses_and_the_speaker_only() -> None:
    said = _said(ANNA, [BRAM])
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, ANNA) == said
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, BRAM) == said
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, CORA) is None


def test_the_omniscient_prose_is_perceived_by_no_character() -> None:
    narrated = {"text": "Anna whispers where the key is."}
    assert perceive(EventType.TURN_NARRATED, narrated, ANNA) is None


def test_a_turns_bookends_keep_only_that_it_happened() -> None:
    initiated = {
        "interactionId": "i",
        "campaignId": "c",
        "sessionId": "s",
        "intent": "secret words",
        "context": {"turnNumber": 4, "actions": [{"intent": "secret words"}]},
    }
    seen = perceive(EventType.INTERACTION_INITIATED, initiated, CORA)
    assert seen == {"interactionId": "i", "campaignId": "c", "sessionId": "s", "turnNumber": 4}


def test_a_move_is_seen_at_both_ends_and_a_wound_where_it_happens() -> None:
    cast = [str(c) for c in (ANNA, BRAM, CORA)]
    before = {"locations": {str(ANNA): "hall", str(BRAM): "hall", str(CORA): "cellar"}}
    patch = {"locations": {str(ANNA): "cellar"}, "conditions": {str(BRAM): "wounded"}}
    after = {
        "locations": {str(ANNA): "cellar", str(BRAM): "hall", str(CORA): "cellar"},
        "conditions": {str(BRAM): "wounded"},
    }
    perceived = world_perceivers(before, patch, after, cast)
    assert perceived["locations"][str(ANNA)] == sorted(cast)
    assert perceived["conditions"][str(BRAM)] == [str(BRAM)]
    change = {
        "changes": {**patch, "weather": "rain"},
        "previousState": {"locations": {str(ANNA): "hall"}, "conditions": None, "weather": None},
        "perceivedBy": perceived,
    }
    seen_by_cora = perceive(EventType.WORLD_STATE_CHANGED, change, CORA)
    assert seen_by_cora is not None
    assert seen_by_cora["changes"] == {"locations": {str(ANNA): "cellar"}, "weather": "rain"}
    assert "perceivedBy" not in seen_by_cora
    seen_by_bram = perceive(EventType.WORLD_STATE_CHANGED, change, BRAM)
    assert seen_by_bram is not None
    assert seen_by_bram["changes"]["conditions"] == {str(BRAM): "wounded"}


def test_an_event_type_without_a_rule_is_perceived_by_no_one() -> None:
    assert perceive(EventType.STORY_GENERATED, {"content": "x"}, ANNA) is None


def test_a_player_of_several_characters_sees_what_any_of_them_perceived() -> None:
    said = _said(ANNA, [BRAM])
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, {CORA, BRAM}) == said
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, {CORA}) is None
    assert perceive(EventType.DIALOGUE_EXCHANGED, said, set()) is None


def test_a_world_is_seen_with_only_those_who_stand_with_the_viewer() -> None:
    world = {
        "place": "the manor",
        "weather": "rain",
        "locations": {str(ANNA): "hall", str(BRAM): "hall", str(CORA): "cellar"},
        "conditions": {str(BRAM): "wounded", str(CORA): "wounded"},
        "goals": {str(ANNA): "find the key", str(CORA): "hide the key"},
    }
    seen = world_seen(world, {ANNA})
    assert seen == {
        "place": "the manor",
        "weather": "rain",
        "locations": {str(ANNA): "hall", str(BRAM): "hall"},
        "conditions": {str(BRAM): "wounded"},
        "goals": {str(ANNA): "find the key"},
    }
    started = {"sessionId": "s", "initialState": world}
    assert perceive(EventType.SESSION_STARTED, started, CORA) == {
        "sessionId": "s",
        "initialState": world_seen(world, {CORA}),
    }
    assert "cellar" not in str(perceive(EventType.CAMPAIGN_CREATED, {"worldState": world}, BRAM))
