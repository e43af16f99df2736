"""Plot points of a session: reached from the tension of its turns, in order, each once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from novel_engine.domain.actions import Action, ActionKind, ActionOutcome
from novel_engine.domain.narration import Reaction
from novel_engine.domain.plot import TurnSummary, arc, plot_point
from novel_engine.domain.session import Turn
from novel_engine.domain.story import PlotPoint

TALK = TurnSummary()
WANDER = TurnSummary(places=("the crypt",))
FUMBLE = TurnSummary(failures=1)
SKIRMISH = TurnSummary(attacks=1, failures=1)  # 1.5: a blow that missed
FIGHT = TurnSummary(attacks=1, hurt=1)  # 3: a blow that landed
STRUGGLE = TurnSummary(attacks=2, hurt=1)  # 4
BATTLE = TurnSummary(attacks=2, hurt=2, failures=1)  # 6.5

INCITING, RISING, CLIMAX, FALLING, RESOLUTION = PlotPoint


def test_a_session_of_talk_reaches_no_plot_point() -> None:
    assert arc([TALK] * 10) == [None] * 10
    assert plot_point([TALK] * 10) is None
    assert plot_point([TALK] * 10, ended=True) is None


def test_a_session_builds_through_the_five_points_in_order() -> None:
    history = [TALK, WANDER, FUMBLE, SKIRMISH, FIGHT, TALK, TALK]
    assert arc(history) == [None, INCITING, None, RISING, CLIMAX, FALLING, RESOLUTION]


def test_the_latest_turn_says_which_point_it_reached() -> None:
    history = [TALK, WANDER, FUMBLE, SKIRMISH, FIGHT]
    assert [plot_point(history[:n]) for n in range(1, 6)] == [
        None,
        INCITING,
        None,
        RISING,
        CLIMAX,
    ]
    assert plot_point([]) is None


def test_each_point_is_reached_once() -> None:
    history = [WANDER, SKIRMISH, FUMBLE, FIGHT, TALK, TALK, BATTLE, TALK, BATTLE, TALK]
    reached = [p for p in arc(history) if p is not None]
    assert reached == list(PlotPoint)


def test_the_climax_waits_for_the_hardest_fight_yet() -> None:
    # An early battle sets the bar: a lesser fight after it is not the climax.
    history = [WANDER, BATTLE, FIGHT, FIGHT, BATTLE]
    assert arc(history) == [INCITING, RISING, None, None, CLIMAX]


def test_the_climax_needs_a_fight_that_draws_blood_or_more() -> None:
    history = [WANDER, SKIRMISH, SKIRMISH, SKIRMISH, SKIRMISH]
    assert arc(history) == [INCITING, None, RISING, None, None]


def test_falling_action_comes_when_the_tension_halves() -> None:
    history = [WANDER, FUMBLE, SKIRMISH, BATTLE, STRUGGLE, FIGHT]
    assert arc(history) == [INCITING, None, RISING, CLIMAX, None, FALLING]


def test_a_place_counts_only_the_first_time_it_is_reached() -> None:
    back_and_forth = [WANDER, TurnSummary(places=("the crypt",))] * 3
    assert arc(back_and_forth) == [INCITING] + [None] * 5


def test_the_end_of_a_session_past_its_climax_resolves_it() -> None:
    to_climax = [WANDER, SKIRMISH, SKIRMISH, FIGHT]
    assert arc(to_climax)[-1] is CLIMAX
    assert plot_point(to_climax, ended=True) is RESOLUTION
    assert plot_point([*to_climax, TALK], ended=True) is RESOLUTION


def test_the_end_of_a_session_before_its_climax_or_after_its_resolution_adds_nothing() -> None:
    assert plot_point([WANDER, SKIRMISH, FIGHT], ended=True) is None
    resolved = [WANDER, SKIRMISH, SKIRMISH, FIGHT, TALK, TALK]
    assert arc(resolved)[-1] is RESOLUTION
    assert plot_point(resolved, ended=True) is None


def test_a_played_turn_is_summarised_from_its_actions_reactions_and_outcomes() -> None:
    mara, bram, tess = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    actions = (
        Action(mara, ActionKind.ATTACK, "strike", (bram, tess, mara)),
        Action(bram, ActionKind.ATTACK, "strike back", (mara,)),
        Action(tess, ActionKind.MOVE, "the crypt"),
        Action(mara, ActionKind.MOVE, "the tower"),
        Action(bram, ActionKind.DIALOGUE, "Enough!", (mara,)),
    )
    verdicts = (True, False, True, False, True)
    turn = Turn(
        id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        campaign_id=uuid.uuid4(),
        number=1,
        actions=actions,
        submitted_by=uuid.uuid4(),
        created_at=datetime.now(UTC),
        correlation_id=uuid.uuid4(),
        outcomes=tuple(judged(ok) for ok in verdicts),
        reactions=(
            Reaction(
                Action(tess, ActionKind.DIALOGUE, "Stop!", (mara,)),
                judged(False),
                uuid.uuid4(),
                "offline/offline-1",
                False,
            ),
        ),
    )

    assert TurnSummary.of(turn) == TurnSummary(attacks=2, failures=3, hurt=2, places=("the crypt",))


def judged(success: bool) -> ActionOutcome:
    return ActionOutcome(success, 0.5, 0.5, 0.0, 1, "")
