import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, CampaignRole
from novel_engine.domain.character import Character
from novel_engine.domain.commands import CreateCampaign, CreateCharacter
from novel_engine.domain.errors import Forbidden, InvalidInput, SessionNotActive
from novel_engine.domain.events import EventType
from novel_engine.domain.session import Action, ActionKind, Session

OWNER = Actor(uuid.uuid4())
COAUTHOR = Actor(uuid.uuid4())
VIEWER = Actor(uuid.uuid4())


def character(actor: Actor, name: str) -> Character:
    return Character.create(actor, CreateCharacter(name))


def table() -> tuple[Campaign, Session, dict[uuid.UUID, Character], Character, Character]:
    campaign = Campaign.create(OWNER, CreateCampaign("C"))
    campaign.add_member(OWNER, COAUTHOR.user_id, CampaignRole.COAUTHOR)  # type: ignore[arg-type]
    campaign.add_member(OWNER, VIEWER.user_id, CampaignRole.VIEWER)  # type: ignore[arg-type]
    mira, tam = character(OWNER, "Mira"), character(COAUTHOR, "Tam")
    for c in (mira, tam):
        campaign.character_ids.append(c.id)
    session = Session.start(OWNER, campaign, 1)
    session.events.clear()
    return campaign, session, {mira.id: mira, tam.id: tam}, mira, tam


def test_a_turn_records_its_interaction_in_order_with_causation() -> None:
    campaign, session, cast, mira, tam = table()

    turn = session.take_turn(
        COAUTHOR,
        campaign,
        cast,
        [
            Action(tam.id, ActionKind.DIALOGUE, "Hello", (mira.id,)),
            Action(tam.id, ActionKind.MOVE, "the pier"),
        ],
    )

    types = [e.event_type for e in session.events]
    assert types == [
        EventType.INTERACTION_INITIATED,
        EventType.DIALOGUE_EXCHANGED,
        EventType.ACTION_PERFORMED,
        EventType.WORLD_STATE_CHANGED,
        EventType.INTERACTION_RESOLVED,
    ]
    initiated = session.events[0]
    assert initiated.aggregate_id == turn.id
    assert all(e.causation_id == initiated.event_id for e in session.events[1:])
    assert {e.stream.id for e in session.events} == {campaign.id}
    assert campaign.world_state == {"locations": {str(tam.id): "the pier"}}
    assert (turn.number, session.turn_count) == (1, 1)


def test_who_may_act() -> None:
    campaign, session, cast, mira, tam = table()
    with pytest.raises(Forbidden):
        session.take_turn(COAUTHOR, campaign, cast, [Action(mira.id, ActionKind.WAIT, "x")])
    with pytest.raises(Forbidden):
        session.take_turn(VIEWER, campaign, cast, [Action(tam.id, ActionKind.WAIT, "x")])
    session.take_turn(OWNER, campaign, cast, [Action(tam.id, ActionKind.WAIT, "x")])
    assert session.turn_count == 1


def test_bad_actions_change_nothing() -> None:
    campaign, session, cast, _, tam = table()
    stranger = character(COAUTHOR, "Stranger")
    for actions, field in [
        ([], "actions"),
        ([Action(stranger.id, ActionKind.WAIT, "x")], "actions.0.characterId"),
        ([Action(tam.id, ActionKind.ATTACK, "x", (stranger.id,))], "actions.0.targetIds"),
        ([Action(tam.id, ActionKind.WAIT, "x" * 2001)], "actions.0.intent"),
        ([Action(tam.id, ActionKind.MOVE, "the \ud800 pier")], "actions.0.intent"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            session.take_turn(COAUTHOR, campaign, {**cast, stranger.id: stranger}, actions)
        assert caught.value.field == field
    assert (session.turn_count, session.events, campaign.world_version) == (0, [], 1)


def test_an_ended_session_takes_no_turns() -> None:
    campaign, session, cast, _, tam = table()
    session.end(OWNER, campaign)
    with pytest.raises(SessionNotActive):
        session.take_turn(COAUTHOR, campaign, cast, [Action(tam.id, ActionKind.WAIT, "x")])


def test_the_initiated_event_describes_the_first_action_alone() -> None:
    campaign, session, cast, mira, tam = table()

    session.take_turn(
        OWNER,
        campaign,
        cast,
        [
            Action(tam.id, ActionKind.DIALOGUE, "Put it down.", (mira.id,)),
            Action(mira.id, ActionKind.ATTACK, "lunges", (tam.id,)),
        ],
    )

    initiated = session.events[0].payload
    assert initiated["initiatingCharacterId"] == str(tam.id)
    assert initiated["interactionType"] == "dialogue"
    assert initiated["intent"] == "Put it down."
    assert initiated["targetCharacterIds"] == [str(mira.id)]
    assert [a["kind"] for a in initiated["context"]["actions"]] == ["dialogue", "attack"]


def test_turn_events_carry_no_outcome_nobody_decided() -> None:
    campaign, session, cast, mira, tam = table()

    session.take_turn(
        COAUTHOR,
        campaign,
        cast,
        [
            Action(tam.id, ActionKind.DIALOGUE, "Hello", (mira.id,)),
            Action(tam.id, ActionKind.ATTACK, "swings", (mira.id,)),
        ],
    )

    for event in session.events:
        assert not {"success", "tone", "narrativeImpact"} & set(event.payload), event.event_type


def test_moving_to_where_one_already_is_changes_no_world_state() -> None:
    campaign, session, cast, _, tam = table()
    session.take_turn(COAUTHOR, campaign, cast, [Action(tam.id, ActionKind.MOVE, "the pier")])
    session.events.clear()

    session.take_turn(COAUTHOR, campaign, cast, [Action(tam.id, ActionKind.MOVE, "the pier")])

    assert EventType.WORLD_STATE_CHANGED not in [e.event_type for e in session.events]
    assert campaign.world_version == 2
    assert session.events[-1].payload["resolution"]["worldVersion"] == 2
