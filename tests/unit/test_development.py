"""Character development: runs of outcomes drift personality; play changes how characters
regard each other, type and strength."""

import random
import uuid

from novel_engine.domain import development
from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    Personality,
    Relationship,
    RelationshipType,
    recorded_personality,
)
from novel_engine.domain.commands import CreateCampaign, CreateCharacter
from novel_engine.domain.consequences import Bond, plan
from novel_engine.domain.development import MAX_DRIFT, Development, Evolution, Signal, observe
from novel_engine.domain.events import AggregateType, DomainEvent, EventType
from novel_engine.domain.narration import PersonaReply
from novel_engine.domain.session import Session

OWNER = Actor(uuid.uuid4())
MIDDLE = dict.fromkeys(development.TRAITS, 0.5)
SUCCESS = ActionOutcome(True, 0.9, 0.4, 0.0, 1, "")
FAILURE = ActionOutcome(False, 0.1, 0.4, 0.0, 1, "")


def character(name: str, **traits: float) -> Character:
    return Character.create(OWNER, CreateCharacter(name, personality=Personality(**traits)))


def table(*cast: Character, world: dict[str, object] | None = None) -> tuple[Campaign, Session]:
    campaign = Campaign.create(OWNER, CreateCampaign("C", world_state=world or {}))
    campaign.character_ids.extend(c.id for c in cast)
    session = Session.start(OWNER, campaign, 1)
    session.events.clear()
    for c in cast:
        c.events.clear()
    return campaign, session


def run(
    signals: list[list[Signal]], personality: dict[str, float] | None = None
) -> list[Evolution | None]:
    """Observe one signal list per event; the evolutions, in order, None where none."""
    state: Development | None = None
    traits = dict(personality or MIDDLE)
    found: list[Evolution | None] = []
    for observed in signals:
        state, evolution = observe(state, traits, observed, uuid.uuid4())
        if evolution is not None:
            traits = evolution.traits
        found.append(evolution)
    return found


# Rules ----------------------------------------------------------------------------------


def test_three_failures_in_a_row_raise_neuroticism_and_lower_extraversion_by_one_step() -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    state = None
    evolutions = []
    for event_id in ids:
        state, evolution = observe(state, MIDDLE, [Signal.FAILED], event_id)
        evolutions.append(evolution)

    assert evolutions[:2] == [None, None]
    third = evolutions[2]
    assert third is not None
    assert third.trait_changes == {
        "openness": 0.0,
        "conscientiousness": 0.0,
        "extraversion": -0.02,
        "agreeableness": 0.0,
        "neuroticism": 0.02,
    }
    assert third.traits["neuroticism"] == 0.52
    assert third.triggering_events == tuple(ids)
    assert "failed in a row" in third.reason
    assert state is not None
    assert state.runs == {}


def test_three_successes_drift_the_other_way() -> None:
    *_, evolution = run([[Signal.SUCCEEDED]] * 3)
    assert evolution is not None
    assert evolution.trait_changes["neuroticism"] == -0.02
    assert evolution.trait_changes["extraversion"] == 0.02


def test_a_success_breaks_a_run_of_failures() -> None:
    assert (
        run([[Signal.FAILED], [Signal.FAILED], [Signal.SUCCEEDED], [Signal.FAILED]]) == [None] * 4
    )


def test_repeated_attacks_lower_agreeableness_and_speaking_breaks_the_run() -> None:
    attacks = run([[Signal.ATTACKED]] * 3)
    broken = run(
        [[Signal.ATTACKED], [Signal.ACTED_OTHERWISE], [Signal.ATTACKED], [Signal.ATTACKED]]
    )

    assert attacks[2].trait_changes["agreeableness"] == -0.03
    assert broken == [None] * 4


def test_kind_words_raise_agreeableness_and_an_attack_or_a_harsh_word_breaks_the_run() -> None:
    kind = run([[Signal.SPOKEN_TO_KINDLY]] * 3)
    attacked = run([[Signal.SPOKEN_TO_KINDLY]] * 2 + [[Signal.WAS_ATTACKED]])
    harsh = run([[Signal.SPOKEN_TO_KINDLY]] * 2 + [[Signal.SPOKEN_TO_HARSHLY]])

    assert kind[2].trait_changes["agreeableness"] == 0.02
    assert attacked == harsh == [None] * 3


def test_two_runs_completing_on_one_event_make_one_evolution_with_both_reasons() -> None:
    *_, evolution = run([[Signal.FAILED, Signal.ATTACKED]] * 3)

    assert evolution is not None
    changes = evolution.trait_changes
    assert (changes["neuroticism"], changes["agreeableness"]) == (0.02, -0.03)
    assert len(evolution.triggering_events) == 3
    assert "failed in a row" in evolution.reason
    assert "attacked 3 times" in evolution.reason


def test_steps_are_small_and_drift_stays_within_bounds_whatever_happens() -> None:
    rng = random.Random(8)
    for _ in range(40):
        start = {t: rng.choice([0.0, 0.1, 0.37, 0.5, 0.93, 1.0]) for t in development.TRAITS}
        state, traits = None, dict(start)
        for _ in range(300):
            observed = rng.sample(list(Signal), rng.randint(1, 3))
            before = traits
            state, evolution = observe(state, traits, observed, uuid.uuid4())
            if evolution is not None:
                traits = evolution.traits
            for t in development.TRAITS:
                assert 0.0 <= traits[t] <= 1.0
                assert abs(traits[t] - start[t]) <= MAX_DRIFT + 1e-9
                # one event moves a trait by at most two rules' steps (never 0.03 twice)
                assert abs(traits[t] - before[t]) <= 2 * development.MAX_STEP + 1e-9
        assert state is not None
        assert state.baseline == start
    assert development.MAX_STEP <= 0.03


def test_a_trait_at_its_cap_stops_drifting_and_records_nothing() -> None:
    evolutions = run([[Signal.ATTACKED]] * 300)

    moved = [e for e in evolutions if e is not None]
    assert len(moved) == 9  # 0.5 - 8 * 0.03 = 0.26, then one more to the cap 0.25
    assert moved[-1].traits["agreeableness"] == 0.25


def test_development_is_deterministic_and_survives_storage() -> None:
    ids = [uuid.UUID(int=n) for n in range(7)]
    signals = [[Signal.FAILED], [Signal.ATTACKED], [Signal.FAILED], [Signal.SPOKEN_TO_KINDLY]]

    def play() -> tuple[Development | None, list[object]]:
        state, found = None, []
        for event_id, observed in zip(ids, signals * 2, strict=False):
            stored = Development.from_dict(state.as_dict()) if state else None
            state, evolution = observe(stored, MIDDLE, observed, event_id)
            found.append(evolution)
        return state, found

    assert play() == play()
    state, _ = play()
    assert state is not None
    assert Development.from_dict(state.as_dict()) == state


def test_what_an_action_says_to_each_character_taking_part() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()

    assert development.signals(Action(a, ActionKind.DIALOGUE, "Hi", (b,)), True) == {
        a: [Signal.SUCCEEDED, Signal.ACTED_OTHERWISE],
        b: [Signal.SPOKEN_TO_KINDLY],
    }
    assert development.signals(Action(a, ActionKind.ATTACK, "Hit", (b,)), False) == {
        a: [Signal.FAILED, Signal.ATTACKED],
        b: [Signal.WAS_ATTACKED],
    }
    assert development.signals(Action(a, ActionKind.MOVE, "the pier"), True) == {}
    assert development.signals(Action(a, ActionKind.WAIT, "..."), True) == {}


# The character and the turn ----------------------------------------------------------


def test_three_failed_attacks_in_a_turn_record_the_evolution_on_the_attackers_stream() -> None:
    # given: a nervous attacker (neuroticism 0.9: -0.16) against a vigilant target
    # (conscientiousness 1.0: +0.2) elsewhere (+0.2): 0.9 to beat, at most 0.84 reached
    brute = character("Brute", neuroticism=0.9, extraversion=0.6)
    guard = character("Guard", conscientiousness=1.0)
    campaign, session = table(brute, guard, world={"locations": {str(guard.id): "the tower"}})
    cast = {brute.id: brute, guard.id: guard}
    attack = Action(brute.id, ActionKind.ATTACK, "swings at the guard", (guard.id,))

    # when
    turn = session.take_turn(OWNER, campaign, cast, [attack, attack, attack])

    # then
    assert [o.success for o in turn.outcomes] == [False, False, False]
    attacks = [e for e in session.events if e.event_type is EventType.ACTION_PERFORMED]
    [evolved] = [e for e in brute.events if e.event_type is EventType.CHARACTER_PERSONALITY_EVOLVED]
    assert evolved.stream == brute.stream
    assert evolved.payload["characterId"] == str(brute.id)
    assert evolved.payload["triggeringEvents"] == [str(e.event_id) for e in attacks]
    assert evolved.causation_id == attacks[-1].event_id
    assert evolved.payload["traitChanges"] == {
        "openness": 0.0,
        "conscientiousness": 0.0,
        "extraversion": -0.02,
        "agreeableness": -0.03,
        "neuroticism": 0.02,
    }
    assert "failed in a row" in evolved.payload["evolutionReason"]
    assert brute.personality == Personality(extraversion=0.58, agreeableness=0.47, neuroticism=0.92)
    assert brute.development is not None
    assert brute.development.baseline["neuroticism"] == 0.9
    # the guard was attacked (no personality run of its own completes)
    assert not [e for e in guard.events if e.event_type is EventType.CHARACTER_PERSONALITY_EVOLVED]


def test_runs_carry_across_turns_and_a_persona_reaction_counts() -> None:
    brute = character("Brute", neuroticism=0.9)
    guard = character("Guard", conscientiousness=1.0)
    campaign, session = table(brute, guard, world={"locations": {str(guard.id): "the tower"}})
    campaign.ai_character_ids.add(brute.id)
    cast = {brute.id: brute, guard.id: guard}
    attack = Action(brute.id, ActionKind.ATTACK, "swings", (guard.id,))

    turn = session.take_turn(OWNER, campaign, cast, [attack, attack])
    assert brute.development is not None
    assert len(brute.development.runs["outcome"].events) == 2
    answers = next(e for e in session.events if e.event_type is EventType.ACTION_PERFORMED)
    session.react(
        OWNER, campaign, cast, turn, [PersonaReply(attack, answers.event_id, "offline", False)]
    )

    evolved = [e for e in brute.events if e.event_type is EventType.CHARACTER_PERSONALITY_EVOLVED]
    assert len(evolved) == 1
    assert brute.personality.neuroticism == 0.92


def test_the_owner_setting_a_personality_makes_it_the_new_baseline() -> None:
    brute = character("Brute")
    for _ in range(3):
        brute.develop_through_play(OWNER, [Signal.FAILED], _event(brute))
    assert brute.development is not None
    assert brute.personality.neuroticism == 0.52

    brute.update(OWNER, brute.version, CharacterChanges(personality=Personality(neuroticism=0.1)))

    assert brute.development is None
    brute.develop_through_play(OWNER, [Signal.FAILED], _event(brute))
    assert brute.development is not None
    assert brute.development.baseline["neuroticism"] == 0.1


def _event(c: Character) -> DomainEvent:
    """An action event to develop from."""
    return DomainEvent(
        EventType.ACTION_PERFORMED, c.id, AggregateType.INTERACTION, {}, None, c.stream
    )


# Relationships ---------------------------------------------------------------------------


def regard(listener: Character, speaker: Character) -> tuple[RelationshipType, float] | None:
    for r in listener.relationships:
        if r.related_character_id == speaker.id:
            return r.type, r.strength
    return None


def apply(bonds: list[object], listener: Character) -> None:
    for bond in bonds:
        assert isinstance(bond, Bond)
        listener.relationships = [
            r for r in listener.relationships if r.related_character_id != bond.related_id
        ] + [Relationship(bond.related_id, bond.type, bond.strength)]


def talk(
    speaker: Character, listener: Character, outcome: ActionOutcome, times: int
) -> list[object]:
    seen = []
    cast = {speaker.id: speaker, listener.id: listener}
    for _ in range(times):
        action = Action(speaker.id, ActionKind.DIALOGUE, "Friend.", (listener.id,))
        apply(plan(action, outcome, cast, {}), listener)
        seen.append(regard(listener, speaker))
    return seen


def test_warmth_past_seven_tenths_makes_an_ally_and_under_four_tenths_neutral_again() -> None:
    speaker, listener = character("S"), character("L")

    warming = talk(speaker, listener, SUCCESS, 3)
    cooling = talk(speaker, listener, FAILURE, 5)

    assert warming == [
        (RelationshipType.NEUTRAL, 0.6),
        (RelationshipType.NEUTRAL, 0.7),
        (RelationshipType.ALLY, 0.8),
    ]
    # hysteresis: an ally stays one down to 0.4 and is neutral only under it
    assert cooling == [
        (RelationshipType.ALLY, 0.7),
        (RelationshipType.ALLY, 0.6),
        (RelationshipType.ALLY, 0.5),
        (RelationshipType.ALLY, 0.4),
        (RelationshipType.NEUTRAL, 0.3),
    ]


def test_kind_words_bring_an_enemys_enmity_down_until_it_is_neutral() -> None:
    speaker, listener = character("S"), character("L")
    listener.relationships.append(Relationship(speaker.id, RelationshipType.ENEMY, 0.6))

    seen = talk(speaker, listener, SUCCESS, 5)

    assert seen == [
        (RelationshipType.ENEMY, 0.5),
        (RelationshipType.ENEMY, 0.4),
        (RelationshipType.ENEMY, 0.3),
        (RelationshipType.ENEMY, 0.2),
        (RelationshipType.NEUTRAL, 0.3),
    ]
    # harsh words falling under 0.1 make an enemy of a stranger
    assert talk(character("X"), character("Y"), FAILURE, 5)[-1] == (RelationshipType.ENEMY, 0.3)


def test_declared_romance_and_family_change_only_in_strength() -> None:
    speaker, listener = character("S"), character("L")
    listener.relationships.append(Relationship(speaker.id, RelationshipType.FAMILY, 0.5))

    assert talk(speaker, listener, FAILURE, 5)[-1] == (RelationshipType.FAMILY, 0.0)
    assert talk(speaker, listener, SUCCESS, 9)[-1] == (RelationshipType.FAMILY, 0.9)


def test_successful_help_warms_its_target_and_other_interactions_do_not() -> None:
    healer, patient = character("Healer"), character("Patient")
    cast = {healer.id: healer, patient.id: patient}
    heal = Action(healer.id, ActionKind.SKILL, "bandages her wound", (patient.id,))
    pocket = Action(healer.id, ActionKind.INTERACT, "picks his pocket", (patient.id,))
    shield = Action(healer.id, ActionKind.INTERACT, "shields him from the arrows", (patient.id,))

    assert plan(heal, SUCCESS, cast, {}) == [
        Bond(patient.id, healer.id, RelationshipType.NEUTRAL, 0.6)
    ]
    assert plan(heal, FAILURE, cast, {}) == []
    assert plan(pocket, SUCCESS, cast, {}) == []
    assert plan(shield, SUCCESS, cast, {}) == [
        Bond(patient.id, healer.id, RelationshipType.NEUTRAL, 0.6)
    ]


def test_a_characters_events_say_what_its_personality_became() -> None:
    brute = character("Brute", neuroticism=0.9)
    for _ in range(3):
        brute.develop_through_play(OWNER, [Signal.FAILED], _event(brute))
    brute.update(OWNER, brute.version, CharacterChanges(name="Brute the Elder"))
    brute.update(OWNER, brute.version, CharacterChanges(personality=Personality(openness=0.1)))

    said = [recorded_personality(e) for e in brute.events]

    created, evolved, renamed, edited = said
    assert created == Personality(neuroticism=0.9)
    assert evolved == Personality(neuroticism=0.92, extraversion=0.48)
    assert renamed is None
    assert edited == Personality(openness=0.1)
