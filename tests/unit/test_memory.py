"""Memory rules: importance by what happened, insights from recurring memories, and the
Generative Agents ranking of recency, relevance and importance."""

from __future__ import annotations

import uuid

import pytest

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StoredEvent, StreamId
from novel_engine.domain.language import CallKey
from novel_engine.domain.memory import (
    Candidate,
    Cue,
    ImportanceSheet,
    Memory,
    Note,
    Recollection,
    ReflectionSheet,
    RetrievalWeights,
    rank,
)
from novel_engine.domain.perception import MemoryKind
from novel_engine.narrative.knowledge import perceptions
from novel_engine.narrative.memory import (
    importance,
    importance_request,
    insights_of,
    note_of,
    reflect,
    reflection_request,
    scores_of,
)
from novel_engine.narrative.offline import OfflineModel

ANNA, BRAM, CORA = (uuid.uuid4() for _ in range(3))
NAMES = {ANNA: "Anna", BRAM: "Bram", CORA: "Cora"}
CAMPAIGN = uuid.uuid4()


def _stored(event_type: EventType, payload: dict[str, object]) -> StoredEvent:
    event = DomainEvent(
        event_type=event_type,
        aggregate_id=uuid.uuid4(),
        aggregate_type=AggregateType.INTERACTION,
        payload=payload,
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, CAMPAIGN),
    )
    return StoredEvent(event, 3)


def _attack(success: bool) -> StoredEvent:
    return _stored(
        EventType.ACTION_PERFORMED,
        {
            "actingCharacterId": str(ANNA),
            "actionType": "combat",
            "actionDescription": "strike Bram",
            "targetIds": [str(BRAM)],
            "witnesses": [str(ANNA), str(BRAM), str(CORA)],
            "outcome": {"success": success, "consequences": []},
        },
    )


def _scored(stored: StoredEvent) -> dict[uuid.UUID, tuple[Cue, int]]:
    return {
        p.character_id: (note_of(stored, p).cue, importance(note_of(stored, p)))
        for p in perceptions(stored, 1, NAMES)
    }


def test_being_attacked_matters_more_than_watching_and_success_more_than_failure() -> None:
    assert _scored(_attack(True)) == {
        ANNA: (Cue.ATTACKING, 6),
        BRAM: (Cue.ATTACKED, 9),
        CORA: (Cue.WITNESSED_ATTACK, 7),
    }
    assert _scored(_attack(False)) == {
        ANNA: (Cue.ATTACKING, 7),  # its own setback sticks
        BRAM: (Cue.ATTACKED, 7),
        CORA: (Cue.WITNESSED_ATTACK, 5),
    }


def test_words_to_a_character_matter_more_than_words_overheard() -> None:
    said = _stored(
        EventType.DIALOGUE_EXCHANGED,
        {
            "speakerId": str(ANNA),
            "listenerId": str(BRAM),
            "message": "Meet me at dawn.",
            "witnesses": [str(ANNA), str(BRAM), str(CORA)],
        },
    )
    assert _scored(said) == {
        ANNA: (Cue.SPOKE, 4),
        BRAM: (Cue.ADDRESSED, 5),
        CORA: (Cue.OVERHEARD, 3),
    }


@pytest.mark.parametrize(
    ("action_type", "own", "seen"),
    [("movement", (Cue.MOVED, 2), (Cue.SAW_MOVE, 2)), ("wait", (Cue.WAITED, 1), (Cue.SAW_WAIT, 1))],
)
def test_moves_and_waits_matter_least(
    action_type: str, own: tuple[Cue, int], seen: tuple[Cue, int]
) -> None:
    done = _stored(
        EventType.ACTION_PERFORMED,
        {
            "actingCharacterId": str(ANNA),
            "actionType": action_type,
            "actionDescription": "the mill",
            "witnesses": [str(ANNA), str(BRAM)],
            "outcome": {"success": True},
        },
    )
    assert _scored(done) == {ANNA: own, BRAM: seen}


def test_a_wound_of_ones_own_matters_more_than_anothers() -> None:
    hurt = _stored(
        EventType.WORLD_STATE_CHANGED,
        {
            "changes": {"conditions": {str(BRAM): "wounded"}},
            "perceivedBy": {"conditions": {str(BRAM): [str(BRAM), str(CORA)]}},
        },
    )
    assert _scored(hurt) == {BRAM: (Cue.HARMED, 7), CORA: (Cue.CONDITION, 4)}


def _sheet(*notes: Note) -> ReflectionSheet:
    return ReflectionSheet(
        BRAM, "Bram", NAMES, tuple(Recollection(n, note, 8) for n, note in enumerate(notes, 1))
    )


def test_repeated_attacks_by_one_character_make_it_dangerous_with_evidence() -> None:
    struck = Note(BRAM, MemoryKind.OBSERVATION, "Anna struck me.", Cue.ATTACKED, ANNA, True)
    waited = Note(BRAM, MemoryKind.ACTION, "Bram waited.", Cue.WAITED, BRAM, True)
    insights = reflect(_sheet(struck, waited, struck))
    assert [(i.statement, i.evidence, i.importance) for i in insights] == [
        ("Anna is dangerous to me.", (1, 3), 8)
    ]
    assert reflect(_sheet(struck, waited)) == []  # once is not a pattern


def test_kind_words_make_a_friend_and_failures_a_gloom() -> None:
    kind = Note(BRAM, MemoryKind.DIALOGUE, "Cora said: “Thank you, friend.”", Cue.ADDRESSED, CORA)
    cold = Note(BRAM, MemoryKind.DIALOGUE, "Cora said: “Move.”", Cue.ADDRESSED, CORA)
    failed = Note(BRAM, MemoryKind.ACTION, "Bram tried but failed.", Cue.ACTED, BRAM, False)
    statements = [i.statement for i in reflect(_sheet(kind, failed, cold, kind, failed))]
    assert statements == ["Cora is on my side.", "Things keep going wrong for me."]
    assert reflect(_sheet(kind, cold)) == []


def test_a_models_scores_out_of_bounds_or_miscounted_are_refused_whole() -> None:
    sheet = ImportanceSheet((Note(BRAM, MemoryKind.OBSERVATION, "x", Cue.SAW_WAIT),) * 2)
    assert scores_of({"scores": [3, 10]}, sheet) == [3, 10]
    assert scores_of({"scores": [3.0, 4]}, sheet) == [3, 4]
    for bad in (
        {"scores": [3, 11]},
        {"scores": [0, 2]},
        {"scores": [3]},
        {"scores": [3, 2.5]},
        {"scores": [True, 2]},
        {"scores": "3, 4"},
        [3, 4],
        None,
    ):
        assert scores_of(bad, sheet) is None, bad


def test_a_models_insights_must_point_at_the_memories_reflected_on() -> None:
    struck = Note(BRAM, MemoryKind.OBSERVATION, "Anna struck me.", Cue.ATTACKED, ANNA, True)
    sheet = _sheet(struck, struck)
    good = {"insights": [{"statement": "Anna hates me.", "evidence": [1, 2], "importance": 7}]}
    assert [(i.statement, i.evidence) for i in insights_of(good, sheet) or []] == [
        ("Anna hates me.", (1, 2))
    ]
    for evidence, score in (([3], 7), ([], 7), ([1], 0), ([1], 11)):
        bad = {"insights": [{"statement": "x", "evidence": evidence, "importance": score}]}
        assert insights_of(bad, sheet) is None, bad


async def test_the_offline_model_answers_both_memory_requests_by_the_rules() -> None:
    struck = Note(BRAM, MemoryKind.OBSERVATION, "Anna struck me.", Cue.ATTACKED, ANNA, True)
    model = OfflineModel()
    scored = await model.generate(importance_request(ImportanceSheet((struck,)), CallKey("j", "s")))
    assert scored.data == {"scores": [9]}
    reflected = await model.generate(reflection_request(_sheet(struck, struck), CallKey("j", "r")))
    assert reflected.data == {
        "insights": [{"statement": "Anna is dangerous to me.", "evidence": [1, 2], "importance": 8}]
    }


def _memory(id: int, importance: int, accessed: int) -> Memory:
    return Memory(
        CAMPAIGN, BRAM, MemoryKind.OBSERVATION, f"m{id}", importance, 0, accessed, 1, id=id
    )


def test_ranking_weighs_normalised_relevance_importance_and_recency() -> None:
    relevant = Candidate(_memory(1, 1, 0), relevance=2.0, current_turn=100)
    fresh = Candidate(_memory(2, 1, 100), current_turn=100)
    dramatic = Candidate(_memory(3, 9, 0), current_turn=100)
    ranked = rank([fresh, dramatic, relevant], RetrievalWeights())
    assert [(r.memory.id, r.score) for r in ranked] == [(1, 3.0), (3, 2.0), (2, 0.5)]
    only_recency = rank([fresh, dramatic, relevant], RetrievalWeights(1, 0, 0))
    assert only_recency[0].memory.id == 2


def test_a_part_equal_for_every_candidate_counts_half() -> None:
    ranked = rank([Candidate(_memory(1, 5, 3), current_turn=3)], RetrievalWeights())
    assert ranked[0].score == 0.5 * 0.5 + 3 * 0.5 + 2 * 0.5
    with pytest.raises(ValueError, match="negative"):
        RetrievalWeights(-1, 1, 1)
