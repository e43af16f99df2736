"""What each character takes from an event: memories and beliefs with provenance."""

from __future__ import annotations

import uuid

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StoredEvent, StreamId
from novel_engine.domain.perception import KnowledgeSource, MemoryKind
from novel_engine.narrative.knowledge import perceptions

ANNA, BRAM, CORA = (uuid.uuid4() for _ in range(3))
NAMES = {ANNA: "Anna", BRAM: "Bram", CORA: "Cora"}
CAMPAIGN = uuid.uuid4()


def _stored(event_type: EventType, payload: dict[str, object], position: int = 7) -> StoredEvent:
    event = DomainEvent(
        event_type=event_type,
        aggregate_id=uuid.uuid4(),
        aggregate_type=AggregateType.INTERACTION,
        payload=payload,
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, CAMPAIGN),
    )
    return StoredEvent(event, position)


def test_a_listener_takes_the_words_as_hearsay_from_the_speaker() -> None:
    said = _stored(
        EventType.DIALOGUE_EXCHANGED,
        {
            "speakerId": str(ANNA),
            "listenerId": str(BRAM),
            "message": "The key is under the bell.",
            "witnesses": [str(ANNA), str(BRAM)],
            "speakerReliability": 0.8,
        },
    )
    found = {p.character_id: p for p in perceptions(said, 3, NAMES)}
    assert set(found) == {ANNA, BRAM}  # Cora was not there
    assert found[ANNA].kind is MemoryKind.ACTION
    heard = found[BRAM]
    assert heard.kind is MemoryKind.DIALOGUE
    hearsay = [b for b in heard.beliefs if b.source is KnowledgeSource.HEARSAY]
    assert [(b.statement, b.told_by, b.reliability, b.learned_at_turn) for b in hearsay] == [
        ("The key is under the bell.", ANNA, 0.8, 3)
    ]
    assert hearsay[0].reliability_at(13) < hearsay[0].reliability_at(3) == 0.8


def test_witnesses_of_a_successful_attack_infer_who_means_harm() -> None:
    struck = _stored(
        EventType.ACTION_PERFORMED,
        {
            "actingCharacterId": str(ANNA),
            "actionType": "combat",
            "actionDescription": "strike Bram",
            "targetIds": [str(BRAM)],
            "witnesses": [str(ANNA), str(BRAM), str(CORA)],
            "outcome": {"success": True, "consequences": ["Bram is wounded."]},
        },
    )
    found = {p.character_id: p for p in perceptions(struck, 1, NAMES)}
    inferred = [b.statement for b in found[CORA].beliefs if b.source is KnowledgeSource.INFERENCE]
    assert inferred == ["Anna means Bram harm."]
    assert not [b for b in found[ANNA].beliefs if b.source is KnowledgeSource.INFERENCE]
    assert "Bram is wounded." in found[CORA].account


def test_a_world_change_teaches_only_those_who_perceived_each_part() -> None:
    moved = _stored(
        EventType.WORLD_STATE_CHANGED,
        {
            "changes": {"locations": {str(ANNA): "cellar"}, "weather": "rain"},
            "previousState": {"locations": {str(ANNA): "hall"}, "weather": None},
            "perceivedBy": {"locations": {str(ANNA): [str(ANNA), str(CORA)]}},
        },
    )
    found = {p.character_id: p for p in perceptions(moved, 2, NAMES)}
    assert set(found) == {CORA}  # Anna remembers her own move as her action
    assert found[CORA].account == "Anna is now at cellar."
