"""Replay on the story engine's in-memory fakes: turns replayed as the engine played them,
a resumed remote narration continued from the same text, turns not over left aside, and
a changed text caught where it is kept."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from novel_engine.domain.events import EventType
from novel_engine.domain.language import CallRecord, ModelAnswer, ModelRequest
from novel_engine.domain.messagebus import Job
from novel_engine.domain.services import storytelling
from novel_engine.domain.services.storytelling import PlayedTurn
from novel_engine.domain.session import Action, ActionKind, Turn
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import NARRATOR
from novel_engine.narrative.replay import replay_turn
from novel_engine.narrative.steps import NARRATION
from tests.unit.fakes import FakeUnitOfWork
from tests.unit.test_story_engine import Context, Continuing, Game, Reader, a_game, named


async def played(game: Game, turn: Turn, **answers: CallRecord) -> PlayedTurn:
    """The turn as the session log reads it: its personas' briefs as of its resolution."""
    events = await Reader(game.store).about(turn.id)
    resolved = next(
        e.position for e in events if e.event.event_type is EventType.INTERACTION_RESOLVED
    )
    setting = await storytelling.setting(
        FakeUnitOfWork(game.store), game.session_id, turn.id, briefs_at=resolved
    )
    return PlayedTurn(setting, events, {}, answers)


class FailingChronicler(Continuing):
    """Personas answered by the offline model; the chronicler's stream breaks."""

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        return await OfflineModel().generate(request)


def recorded(prompt: str, answer: str) -> CallRecord:
    return CallRecord(
        str(uuid.uuid4()), NARRATION, 1, "remote", "m", NARRATOR, prompt, answer, 3, 4, 0.1, False
    )


async def test_an_offline_turn_replays_identically_until_its_text_is_changed() -> None:
    game = await a_game("Wren")
    wren = named(game, "Wren")
    turn, job = await game.play(
        [Action(game.table.tam.id, ActionKind.DIALOGUE, "Who keeps this ferry?", (wren,))]
    )
    await game.engine.tell(job, Context(game.store))

    assert (await replay_turn(await played(game, turn), reactions_per_turn=3)).report() == (
        "turn 1: identical"
    )

    narrated = game.turn(turn.id)
    index = game.store.turns.index(narrated)
    game.store.turns[index] = replace(narrated, narrative="A dragon came.")
    report = (await replay_turn(await played(game, turn), reactions_per_turn=3)).report()
    assert report.startswith("turn 1: diverges at narration (narrative)\n")
    assert "-A dragon came." in report.splitlines()


async def test_a_resumed_remote_narration_replays_from_the_text_it_was_asked_to_continue() -> None:
    # given: a narration that crashed after two chunks, then continued by the remote model
    model = Continuing(["One. ", "Two. ", "CRASH"], ["Three."])
    game = await a_game(model=model)
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    with pytest.raises(ConnectionError):
        await game.engine.tell(job, Context(game.store))
    await game.engine.tell(job, Context(game.store))
    assert game.turn(turn.id).narrative == "One. Two. Three."

    # when: replayed with the second run's record (the first run's records were replaced)
    answered = await replay_turn(
        await played(game, turn, narration=recorded(model.prompts[1], "Three.")),
        reactions_per_turn=3,
    )

    # then
    assert answered.report() == "turn 1: identical"


async def test_a_failed_narration_compares_reactions_only_and_a_pending_turn_is_left_aside() -> (
    None
):
    game = await a_game("Wren", model=FailingChronicler(["CRASH"], ["CRASH"]))
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    pending, _ = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait again")])
    with pytest.raises(ConnectionError):
        await game.engine.tell(job, Context(game.store))
    await game.engine.tell(Job(job.id, job.kind, job.event, 5, 5, None), Context(game.store))

    failed = await replay_turn(await played(game, turn), reactions_per_turn=3)
    waiting = await replay_turn(await played(game, pending), reactions_per_turn=3)

    assert game.turn(turn.id).reactions  # Wren's reaction was compared
    assert failed.divergence is None
    assert failed.report().startswith("turn 1: identical (reactions only; not narrated: ")
    assert waiting.report() == "turn 2: identical (still being narrated: not compared)"
