"""The story engine's jobs on in-memory fakes with the offline model: who reacts (only AI
characters that witnessed something, bounded per turn), how reactions are recorded, and
how narration is stored chunk by chunk and resumed after a crash without repeating."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    EndSession,
    StartSession,
    SubmitTurn,
)
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import ModelAnswer, ModelRequest, StreamPiece
from novel_engine.domain.messagebus import Job
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk, PersonaReply, Usage
from novel_engine.domain.plot import TurnSummary, arc, plot_point
from novel_engine.domain.services import campaigns, sessions, storytelling
from novel_engine.domain.session import Action, ActionKind, Turn
from novel_engine.narrative.engine import StoryEngine
from novel_engine.narrative.offline import OfflineModel
from tests.unit.fakes import FakeStore, FakeUnitOfWork
from tests.unit.test_services import a_character
from tests.unit.test_session_services import Table


class Context:
    """A job context over the fake store: each unit of work is its own transaction."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.finished = 0

    def unit_of_work(self, *, finishes: bool = True) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.store)
        if finishes:
            commit = uow.commit

            async def finishing() -> list[StoredEvent]:
                stored = await commit()
                self.finished += 1
                return stored

            uow.commit = finishing  # type: ignore[method-assign]
        return uow

    def reading(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class Reader:
    """The event store as the engine reads it, over the fake store's events."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def _stored(self) -> list[StoredEvent]:
        """Every event with its position in its own stream, in commit order."""
        counts: dict[uuid.UUID, int] = {}
        stored = []
        for e in self.store.events:
            counts[e.stream.id] = counts.get(e.stream.id, 0) + 1
            stored.append(StoredEvent(e, counts[e.stream.id]))
        return stored

    async def about(self, aggregate_id: uuid.UUID) -> list[StoredEvent]:
        return [s for s in self._stored() if s.event.aggregate_id == aggregate_id]

    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        found = [s for s in self._stored() if s.event.stream.id == stream_id]
        return [s for s in found if s.position > after][:limit]

    async def head(self, stream_id: uuid.UUID) -> int:
        raise NotImplementedError


class Publisher:
    def __init__(self) -> None:
        self.sent: list[tuple[NarrativeChunk, int]] = []

    async def publish(self, chunk: NarrativeChunk, previous: int) -> None:
        self.sent.append((chunk, previous))


@dataclass
class Game:
    table: Table
    engine: StoryEngine
    publisher: Publisher
    session_id: uuid.UUID

    @property
    def store(self) -> FakeStore:
        return self.table.uow.store

    async def play(self, actions: list[Action]) -> tuple[Turn, Job]:
        turn = await sessions.submit_turn(
            self.table.uow, self.table.bob, SubmitTurn(self.session_id, actions)
        )
        [resolved] = [
            stored
            for stored in await Reader(self.store).about(turn.id)
            if stored.event.event_type is EventType.INTERACTION_RESOLVED
        ]
        return turn, Job(uuid.uuid4(), "story", resolved, 1, 5, None)

    def turn(self, turn_id: uuid.UUID) -> Turn:
        return next(t for t in self.store.turns if t.id == turn_id)


async def a_game(*ai_names: str, bound: int = 3, model: object | None = None) -> Game:
    table = await Table().set()
    for name in ai_names:
        character = await a_character(table.uow, table.ada, name)
        await campaigns.add_character(
            table.uow,
            table.ada,
            AddCampaignCharacter(table.campaign.id, character.id, ai_controlled=True),
        )
    session = await sessions.start_session(table.uow, table.ada, StartSession(table.campaign.id))
    publisher = Publisher()
    engine = StoryEngine(
        model or OfflineModel(),  # type: ignore[arg-type]
        Reader(table.uow.store),
        publisher,
        reactions_per_turn=bound,
    )
    return Game(table, engine, publisher, session.id)


def named(game: Game, name: str) -> uuid.UUID:
    return next(c.id for c in game.store.characters.values() if c.name == name)


async def test_each_ai_character_that_witnessed_the_turn_reacts_once_caused_by_what_it_saw() -> (
    None
):
    game = await a_game("Wren", "Orla")
    turn, job = await game.play(
        [
            Action(
                game.table.tam.id,
                ActionKind.DIALOGUE,
                "Who keeps this ferry?",
                (named(game, "Wren"),),
            )
        ]
    )

    await game.engine.tell(job, Context(game.store))

    reacted = game.turn(turn.id)
    assert sorted(game.store.characters[r.action.character_id].name for r in reacted.reactions) == [
        "Orla",
        "Wren",
    ]
    [spoken] = [
        e
        for e in game.store.events
        if e.event_type is EventType.DIALOGUE_EXCHANGED and not e.payload.get("aiControlled")
    ]
    for reaction in reacted.reactions:
        assert reaction.answers == spoken.event_id
        assert reaction.model_used == "offline/offline-1"
    answers = [
        e
        for e in game.store.events
        if e.payload.get("aiControlled") and e.event_type.value.startswith("interactions.")
    ]
    assert {e.causation_id for e in answers} == {spoken.event_id}
    assert all(e.correlation_id == turn.correlation_id for e in answers)
    assert all("outcome" in e.payload and e.payload["witnesses"] for e in answers)


async def test_reactions_are_bounded_per_turn_and_only_witnesses_react() -> None:
    # given: one AI character far away, two present, and room for one reaction
    game = await a_game("Wren", "Orla", "Far", bound=1)
    far = named(game, "Far")
    campaign = game.store.campaigns[game.table.campaign.id]
    campaign.world_state = {"locations": {str(far): "the far bank"}}
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait for the tide")])

    await game.engine.tell(job, Context(game.store))

    [reaction] = game.turn(turn.id).reactions
    assert reaction.action.character_id == named(game, "Wren")  # the first in cast order


async def test_no_ai_character_means_no_reaction_only_the_narration() -> None:
    game = await a_game()
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    context = Context(game.store)
    events = len(game.store.events)

    await game.engine.tell(job, context)

    assert game.turn(turn.id).reactions == ()
    written = [e.event_type for e in game.store.events[events:]]
    assert EventType.TURN_NARRATED in written
    assert not any(t.value.startswith("interactions.") for t in written)
    assert context.finished == 1  # the narration's last commit finishes the job


class CrashingOnce(OfflineModel):
    """The offline model, whose first narration breaks off after a sentence."""

    def __init__(self) -> None:
        self.streams = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        self.streams += 1
        async for piece in super().stream(request):
            yield piece
            if self.streams == 1:
                raise ConnectionError("the model went away")


async def test_a_turn_run_again_after_its_reactions_were_saved_reacts_once() -> None:
    model = CrashingOnce()
    game = await a_game("Wren", model=model)
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])

    with pytest.raises(ConnectionError):
        await game.engine.tell(job, Context(game.store))
    await game.engine.tell(job, Context(game.store))

    told = game.turn(turn.id)
    assert len(told.reactions) == 1
    answers = [e for e in game.store.events if e.payload.get("aiControlled") is True]
    assert len([e for e in answers if e.event_type.value.startswith("interactions.")]) == 1
    assert told.narration_status is NarrationStatus.DONE


async def test_only_ai_characters_react_and_only_once() -> None:
    game = await a_game("Wren")
    turn, _ = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    uow = FakeUnitOfWork(game.store)
    human = PersonaReply(
        Action(game.table.tam.id, ActionKind.DIALOGUE, "Me too."), uuid.uuid4(), "x/y", False
    )
    wren = PersonaReply(
        Action(named(game, "Wren"), ActionKind.DIALOGUE, "Hm."), uuid.uuid4(), "x/y", False
    )
    actor = Actor(None)

    with pytest.raises(Forbidden):
        await storytelling.react(uow, actor, game.session_id, turn.id, [human])
    await storytelling.react(FakeUnitOfWork(game.store), actor, game.session_id, turn.id, [wren])
    again = await storytelling.react(
        FakeUnitOfWork(game.store), actor, game.session_id, turn.id, [wren]
    )

    assert again is None
    assert len(game.turn(turn.id).reactions) == 1


async def test_narration_streams_chunks_that_join_to_the_saved_text_then_ends_the_stream() -> None:
    game = await a_game("Wren")
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.MOVE, "the ferry landing")])

    await game.engine.tell(job, Context(game.store))

    narrated = game.turn(turn.id)
    assert narrated.narration_status is NarrationStatus.DONE
    chunks = [c for c, _ in game.publisher.sent]
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].done
    assert "".join(c.text for c in chunks) == narrated.narrative
    # each chunk names the one before it in the session, so listeners notice a gap
    assert [p for _, p in game.publisher.sent] == [0, *[c.cursor for c in chunks[:-1]]]
    [event] = [e for e in game.store.events if e.event_type is EventType.TURN_NARRATED]
    assert event.payload["text"] == narrated.narrative
    assert event.payload["wordCount"] == len(narrated.narrative.split())


async def test_a_resumed_narration_keeps_the_stored_chunks_and_writes_only_the_rest() -> None:
    # given: a crash after the first two chunks were stored
    game = await a_game()
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.MOVE, "the ferry landing")])
    await game.engine.tell(job, Context(game.store))
    whole = game.turn(turn.id).narrative or ""
    first_two = [c for c in game.store.chunks if c.turn_id == turn.id][:2]
    assert len(first_two) == 2
    game.store.chunks[:] = first_two
    crashed = replace(
        game.turn(turn.id), narration_status=NarrationStatus.STREAMING, narrative=None
    )
    game.store.turns[game.store.turns.index(game.turn(turn.id))] = crashed
    game.store.events[:] = [
        e for e in game.store.events if e.event_type is not EventType.TURN_NARRATED
    ]

    # when: the job runs again (the offline model starts over, identically)
    await game.engine.tell(job, Context(game.store))

    # then: nothing stored twice, and the same text
    chunks = [c for c in game.store.chunks if c.turn_id == turn.id]
    assert chunks[:2] == first_two
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert game.turn(turn.id).narrative == whole
    assert len([e for e in game.store.events if e.event_type is EventType.TURN_NARRATED]) == 1


class Continuing:
    """A remote model that, asked again, continues the text rather than starting over."""

    def __init__(self, *takes: list[str]) -> None:
        self.takes = list(takes)
        self.prompts: list[str] = []

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        raise NotImplementedError

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        self.prompts.append(request.prompt)
        take = self.takes.pop(0)
        for piece in take:
            if piece == "CRASH":
                raise ConnectionError("the model went away")
            yield piece
        yield ModelAnswer("".join(take), "remote", "m", 3, 4)


async def test_a_continuing_model_is_asked_to_continue_and_its_text_follows_what_is_stored() -> (
    None
):
    model = Continuing(["One. ", "Two. ", "CRASH"], ["Three."])
    game = await a_game(model=model)
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])

    with pytest.raises(ConnectionError):
        await game.engine.tell(job, Context(game.store))
    await game.engine.tell(job, Context(game.store))

    narrated = game.turn(turn.id)
    assert narrated.narrative == "One. Two. Three."
    assert (narrated.model_used, narrated.fallback) == ("remote/m", False)
    assert "One. Two." in model.prompts[1]


async def test_a_narration_failing_on_its_last_attempt_ends_the_turn_failed_with_a_reason() -> None:
    model = Continuing(["CRASH"])
    game = await a_game(model=model)
    turn, job = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    last = Job(job.id, job.kind, job.event, 5, 5, None)

    await game.engine.tell(last, Context(game.store))

    failed = game.turn(turn.id)
    assert failed.narration_status is NarrationStatus.FAILED
    assert "ConnectionError" in (failed.narration_error or "")
    assert game.publisher.sent[-1][0].done


async def test_a_turn_is_narrated_once() -> None:
    game = await a_game()
    turn, _ = await game.play([Action(game.table.tam.id, ActionKind.WAIT, "wait")])
    uow = FakeUnitOfWork(game.store)
    first = await storytelling.narrated(uow, Actor(None), turn.id, "Text.", "o/o", False, Usage())
    again = await storytelling.narrated(
        FakeUnitOfWork(game.store), Actor(None), turn.id, "Other.", "o/o", False, Usage()
    )

    assert first is not None
    assert again is None
    assert game.turn(turn.id).narrative == "Text."
    with pytest.raises(InvalidInput):
        game.store.sessions[game.session_id].narrated(
            Actor(None), game.turn(turn.id), "x", "o/o", False, Usage()
        )


async def test_plot_points_are_emitted_as_turns_are_narrated_and_the_end_resolves() -> None:
    game = await a_game("Wren")
    wren, tam = named(game, "Wren"), game.table.tam.id
    strikes = [
        [Action(tam, ActionKind.ATTACK, "strike with the oar", (wren,))] * n
        for n in (1, 2, 4, 4, 6)
    ]
    for actions in strikes:
        _, job = await game.play(actions)
        await game.engine.tell(job, Context(game.store))
    await sessions.end_session(game.table.uow, game.table.ada, EndSession(game.session_id))

    summaries = [TurnSummary.of(t) for t in sorted(game.store.turns, key=lambda t: t.number)]
    expected = [(n, p.value) for n, p in enumerate(arc(summaries), 1) if p is not None]
    reached = [
        (e.payload["turnNumber"], e.payload["plotPoint"])
        for e in game.store.events
        if e.event_type is EventType.PLOT_POINT_REACHED
    ]
    assert expected[:3] == [(1, "inciting-incident"), (2, "rising-action"), (3, "climax")]
    ending = plot_point(summaries, ended=True)
    assert reached == expected + ([(None, ending.value)] if ending else [])
    for event in (e for e in game.store.events if e.event_type is EventType.PLOT_POINT_REACHED):
        assert event.payload["sessionId"] == str(game.session_id)
        assert event.payload["description"]
