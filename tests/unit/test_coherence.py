"""The coherence check inside a turn: warnings kept on the turn, strict mode refusing."""

import uuid

import pytest

from novel_engine.domain.coherence import Origin, Record, Rule, Said, Severity, check, statements
from novel_engine.domain.errors import CoherenceViolation, ErrorCode
from novel_engine.domain.session import Action, ActionKind
from tests.unit.test_session import COAUTHOR, OWNER, table

PLACED = Origin(uuid.uuid4(), 4)
HURT = Origin(uuid.uuid4(), 7)


def test_a_turn_keeps_its_warnings_naming_the_events_that_established_the_facts() -> None:
    # given
    campaign, session, cast, mira, tam = table()
    campaign.world_state = {"locations": {str(mira.id): "the cellar"}}
    record = Record(placed_by={mira.id: PLACED})

    # when
    turn = session.take_turn(
        COAUTHOR,
        campaign,
        cast,
        [Action(tam.id, ActionKind.DIALOGUE, "Psst", (mira.id,))],
        None,
        record,
    )

    # then
    [warning] = turn.warnings
    assert warning.rule is Rule.LISTENER_ABSENT
    assert warning.severity is Severity.WARNING
    assert warning.event_id == PLACED.event_id
    assert (
        warning.message
        == "Action 1: the listener is not at the campaign's starting place with the actor."
    )
    assert "cellar" not in warning.message  # where Mira went is not Tam's to know
    assert session.turn_count == 1


def test_strict_mode_refuses_an_error_and_records_nothing() -> None:
    # given
    campaign, session, cast, mira, tam = table()
    campaign.strict_coherence = True
    campaign.world_state = {"conditions": {str(tam.id): "unconscious"}}
    record = Record(hurt_by={tam.id: HURT})

    # when
    with pytest.raises(CoherenceViolation) as refused:
        session.take_turn(
            COAUTHOR,
            campaign,
            cast,
            [Action(tam.id, ActionKind.ATTACK, "I rise and strike", (mira.id,))],
            None,
            record,
        )

    # then
    assert refused.value.code is ErrorCode.COHERENCE_VIOLATION
    assert refused.value.field == "actions.0"
    [warning] = refused.value.warnings
    assert (warning.rule, warning.event_id) == (Rule.INCAPACITATED, HURT.event_id)
    assert session.events == []
    assert session.turn_count == 0
    assert session.new_turns == []


def test_strict_mode_plays_a_turn_with_warnings_only() -> None:
    campaign, session, cast, mira, tam = table()
    campaign.strict_coherence = True
    campaign.world_state = {"locations": {str(mira.id): "the cellar"}}

    turn = session.take_turn(
        OWNER, campaign, cast, [Action(tam.id, ActionKind.ATTACK, "I strike", (mira.id,))]
    )

    assert [w.rule for w in turn.warnings] == [Rule.TARGET_ABSENT]
    assert session.turn_count == 1


def test_a_contradiction_names_the_actors_earlier_words() -> None:
    tam = uuid.uuid4()
    said = Said(tam, "Trust me, the well is dry.", uuid.uuid4())

    [warning] = check(
        [Action(tam, ActionKind.DIALOGUE, "The well is not dry!")], {}, Record(said=(said,))
    )

    assert warning.rule is Rule.SELF_CONTRADICTION
    assert warning.event_id == said.event_id
    assert 'said earlier "well is dry"' in warning.message


def test_warnings_survive_being_stored() -> None:
    tam, mira = uuid.uuid4(), uuid.uuid4()
    found = check(
        [Action(tam, ActionKind.ATTACK, "strike", (mira,))],
        {"locations": {str(mira): "the roof"}},
        Record(placed_by={mira: PLACED}),
    )
    assert [type(w).from_dict(w.as_dict()) for w in found] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I swear the key is in the cellar.", ["key is in cellar"]),
        ("Listen, the key isn't in the cellar!", ["key is not in cellar"]),
        ("The guard is dead and the door is open.", ["guard is dead", "door is open"]),
        ("He is here.", []),
        ("The door is no longer locked.", []),
        ("Run!", []),
    ],
)
def test_statements_are_read_structurally(text: str, found: list[str]) -> None:
    assert [s.text for s in statements(text)] == found
