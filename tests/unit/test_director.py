import uuid

from novel_engine.domain import director
from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.character import (
    Character,
    Personality,
    Relationship,
    RelationshipType,
    Skill,
)
from novel_engine.domain.commands import CreateCampaign, CreateCharacter
from novel_engine.domain.consequences import plan
from novel_engine.domain.events import EventType, StreamId
from novel_engine.domain.session import Session

OWNER = Actor(uuid.uuid4())


def character(name: str, skills: tuple[Skill, ...] = (), **traits: float) -> Character:
    return Character.create(
        OWNER, CreateCharacter(name, personality=Personality(**traits), skills=skills)
    )


def table(*cast: Character, world: dict[str, object] | None = None) -> tuple[Campaign, Session]:
    campaign = Campaign.create(OWNER, CreateCampaign("C", world_state=world or {}))
    campaign.character_ids.extend(c.id for c in cast)
    session = Session.start(OWNER, campaign, 1)
    session.events.clear()
    for c in cast:
        c.events.clear()
    return campaign, session


def a_turn_rolling(low: float, high: float) -> uuid.UUID:
    """A turn id whose first action rolls in [low, high): found, not guessed."""
    return next(
        turn_id
        for turn_id in (uuid.UUID(int=n) for n in range(10_000))
        if low <= director.roll_for(director.seed_for(turn_id, 0)) < high
    )


def test_the_same_turn_rolls_the_same_and_each_action_rolls_its_own() -> None:
    turn_id = uuid.UUID("6f1c0c52-3d2e-4a49-9a8e-5b0d2c1e7f00")

    first = [director.roll_for(director.seed_for(turn_id, i)) for i in range(5)]
    again = [director.roll_for(director.seed_for(turn_id, i)) for i in range(5)]

    assert first == again
    assert len(set(first)) == 5
    assert all(0 <= r < 1 for r in first)
    # sha256 of "<turn id>:<index>", first 8 bytes: the same in every process and version
    assert director.seed_for(turn_id, 0) == director.seed_for(uuid.UUID(str(turn_id)), 0)


def test_a_skilled_actor_succeeds_where_an_unskilled_one_fails_with_the_same_roll() -> None:
    novice = character("Novice")
    expert = character("Expert", skills=(Skill("cartography", 100),))
    turn_id = a_turn_rolling(0.2, 0.5)
    places = director.Places({}, [novice.id, expert.id])

    def attempt(who: Character) -> ActionOutcome:
        action = Action(who.id, ActionKind.SKILL, "reads the map by cartography")
        return director.check(turn_id, 0, action, {who.id: who}, places, {})

    failed, succeeded = attempt(novice), attempt(expert)

    assert failed.roll == succeeded.roll
    assert (failed.success, succeeded.success) == (False, True)
    assert succeeded.difficulty == failed.difficulty == 0.5
    assert "cartography 100" in succeeded.description
    assert succeeded.description.startswith(f"Rolled {succeeded.roll:.2f} + 0.30")
    assert failed.description.endswith("against 0.50 (skill 0.50): failure.")


def test_waiting_always_succeeds_and_says_so() -> None:
    waiter = character("Waiter", conscientiousness=0.0)
    places = director.Places({}, [waiter.id])
    action = Action(waiter.id, ActionKind.WAIT, "waits")

    checks = [
        director.check(uuid.UUID(int=n), 0, action, {waiter.id: waiter}, places, {})
        for n in range(200)
    ]

    assert all(c.success for c in checks)
    assert {c.description for c in checks} == {"Waiting always succeeds."}


def test_a_move_is_witnessed_where_it_starts_and_where_it_ends() -> None:
    mover, at_pier, at_lighthouse, at_inn = (character(n) for n in ("M", "P", "L", "I"))
    world = {
        "locations": {
            str(mover.id): "the pier",
            str(at_pier.id): "the pier",
            str(at_lighthouse.id): "the lighthouse",
            str(at_inn.id): "the inn",
        }
    }
    places = director.Places(world, [mover.id, at_pier.id, at_lighthouse.id, at_inn.id])

    seen = director.witnesses(Action(mover.id, ActionKind.MOVE, "the lighthouse"), places)
    said = director.witnesses(Action(mover.id, ActionKind.DIALOGUE, "Hello"), places)

    assert seen == sorted([mover.id, at_pier.id, at_lighthouse.id])
    assert said == sorted([mover.id, at_pier.id])


def test_a_successful_attack_wounds_the_target_who_turns_enemy_as_events_of_the_action() -> None:
    # given: a calm master of the sword, whose attack cannot fail (0.5 + 0.3 + 0.2 >= 0.5)
    attacker = character("Ash", skills=(Skill("sword", 100),), neuroticism=0.0)
    target = character("Bran")
    bystander = character("Cole")
    campaign, session = table(attacker, target, bystander)
    cast = {c.id: c for c in (attacker, target, bystander)}

    # when
    turn = session.take_turn(
        OWNER, campaign, cast, [Action(attacker.id, ActionKind.ATTACK, "sword", (target.id,))]
    )

    # then
    [outcome] = turn.outcomes
    assert outcome.success
    assert outcome.consequences == (
        "The target is wounded.",
        "The target regards the actor as enemy (0.60).",
    )
    assert campaign.world_state["conditions"] == {str(target.id): "wounded"}
    assert [(r.related_character_id, r.type) for r in target.relationships] == [
        (attacker.id, RelationshipType.ENEMY)
    ]
    performed = next(e for e in session.events if e.event_type is EventType.ACTION_PERFORMED)
    assert performed.payload["location"] is None  # everyone shares the default place
    assert performed.payload["witnesses"] == sorted(str(c) for c in cast)
    assert performed.payload["outcome"]["success"] is True
    assert performed.payload["outcome"]["seed"] == str(director.seed_for(turn.id, 0))
    [formed] = target.events
    assert formed.event_type is EventType.CHARACTER_RELATIONSHIP_FORMED
    assert formed.causation_id == performed.event_id
    assert formed.stream == StreamId(target.aggregate_type, target.id)
    assert formed.payload["formationEvent"] == "play"


def test_a_hopeless_word_cools_the_listener_and_changes_nothing_else() -> None:
    # given: a shy, wounded speaker calling to a disagreeable listener elsewhere:
    # difficulty 0.4 + 0.2 + 0.2 + 0.1 = 0.9 against at best 0.99 - 0.2
    speaker = character("Shy", extraversion=0.0)
    listener = character("Grump", agreeableness=0.0)
    world = {
        "locations": {str(listener.id): "the tower"},
        "conditions": {str(speaker.id): "wounded"},
    }
    campaign, session = table(speaker, listener, world=world)
    cast = {speaker.id: speaker, listener.id: listener}

    turn = session.take_turn(
        OWNER, campaign, cast, [Action(speaker.id, ActionKind.DIALOGUE, "Help!", (listener.id,))]
    )

    [outcome] = turn.outcomes
    assert not outcome.success
    assert outcome.difficulty == 0.9
    assert "the listener is elsewhere" in outcome.description
    assert "the actor is wounded" in outcome.description
    [regard] = listener.relationships
    assert (regard.type, regard.strength) == (RelationshipType.NEUTRAL, 0.4)
    assert campaign.world_version == 1  # no one moved, no one was hurt
    exchanged = session.events[1]
    assert exchanged.payload["witnesses"] == [str(speaker.id)]
    assert listener.events[0].causation_id == exchanged.event_id


def test_using_a_named_skill_well_raises_it_by_one_level_from_experience() -> None:
    # given: cartography 99 and conscientiousness 1.0 fail only on a roll under 0.003
    mapper = character("Mapper", skills=(Skill("Cartography", 99),), conscientiousness=1.0)
    campaign, session = table(mapper)
    action = Action(mapper.id, ActionKind.SKILL, "charts the coast with cartography")

    turns = [session.take_turn(OWNER, campaign, {mapper.id: mapper}, [action]) for _ in range(3)]

    first = next(t for t in turns if t.outcomes[0].success)
    assert first.outcomes[0].consequences == ("The actor's Cartography rises to 100.",)
    assert mapper.skills == [Skill("Cartography", 100)]
    [gained] = [e for e in mapper.events if e.event_type is EventType.CHARACTER_SKILL_GAINED]
    assert gained.payload["acquisitionMethod"] == "experience"
    assert (gained.payload["skillName"], gained.payload["skillLevel"]) == ("Cartography", 100)


def test_a_failed_move_stays_put() -> None:
    # given: two vigilant guards bar the way (0.0 + 0.1 * 2 targets) and the roll is low
    mover, guard, other = character("M"), character("G"), character("H")
    turn_id = a_turn_rolling(0.0, 0.2)
    places = director.Places({}, [mover.id, guard.id, other.id])
    action = Action(mover.id, ActionKind.MOVE, "the gate", (guard.id, other.id))
    cast = {c.id: c for c in (mover, guard, other)}

    verdict = director.check(turn_id, 0, action, cast, places, {})

    assert not verdict.success
    assert verdict.difficulty == 0.2
    assert plan(action, verdict, cast, {}) == []
    assert places.of(mover.id) is None


def test_talking_to_oneself_or_past_the_coldest_changes_no_relationship() -> None:
    speaker, listener = character("S"), character("L")
    cast = {speaker.id: speaker, listener.id: listener}
    # an enemy's strength is its enmity: at 1.0 no harsh word makes it colder
    listener.relationships.append(Relationship(speaker.id, RelationshipType.ENEMY, 1.0))
    failed = ActionOutcome(False, 0.1, 0.5, 0.0, 1, "")

    to_self = plan(Action(speaker.id, ActionKind.DIALOGUE, "Hm.", (speaker.id,)), failed, cast, {})
    colder = plan(Action(speaker.id, ActionKind.DIALOGUE, "Go.", (listener.id,)), failed, cast, {})

    assert (to_self, colder) == ([], [])
