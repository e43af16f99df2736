"""Viewpoint narration on in-memory fakes: in a campaign seen through its characters the
turn-story job tells the turn again from each witnessing player character's point of view,
from what it perceived alone; a crash keeps what was stored; an omniscient campaign asks
nothing more."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from novel_engine.domain.campaign import CampaignRole
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    AddCampaignMember,
    SubmitTurn,
    UpdateCampaignSettings,
    UpdateWorldState,
)
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import ModelRequest, StreamPiece
from novel_engine.domain.messagebus import Job
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk, Viewpoints, in_progress
from novel_engine.domain.perception import Perspective, perceive
from novel_engine.domain.scene import ViewpointScene
from novel_engine.domain.services import campaigns, sessions
from novel_engine.domain.session import Action, ActionKind, Turn
from novel_engine.narrative.engine import StoryEngine
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.steps import NARRATION, viewpoint_step
from tests.unit.fakes import FakeStore
from tests.unit.test_campaign_services import people
from tests.unit.test_services import a_character
from tests.unit.test_session_services import Table
from tests.unit.test_story_engine import Context, Publisher, Reader

HALL_MARKER, CELLAR_MARKER = "heliotrope", "quinsy"


class Recording(OfflineModel):
    """The offline model, remembering every request it streamed; it may crash once, in
    the middle of one step's answer."""

    def __init__(self) -> None:
        self.asked: list[ModelRequest] = []
        self.crash_in: str | None = None
        self.after_pieces = 1

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        self.asked.append(request)
        count = 0
        async for piece in super().stream(request):
            if self.crash_in == request.key.step and count == self.after_pieces:
                self.crash_in = None
                raise ConnectionError("the worker died")
            count += 1
            yield piece


class TwoRooms:
    """Tam (Bob's) in the hall, Kit (Eve's) in the cellar, Ada directing."""

    async def set(self, perspective: Perspective, model: OfflineModel) -> TwoRooms:
        self.table = table = await Table().set()
        uow = table.uow
        [self.eve] = await people(uow, "eve2")
        await campaigns.add_member(
            uow,
            table.ada,
            AddCampaignMember(table.campaign.id, "eve2@example.com", CampaignRole.COAUTHOR),
        )
        self.kit = await a_character(uow, self.eve, "Kit")
        await campaigns.add_character(
            uow, self.eve, AddCampaignCharacter(table.campaign.id, self.kit.id)
        )
        self.tam = table.tam
        campaign = uow.store.campaigns[table.campaign.id]
        await campaigns.update_world_state(
            uow,
            table.ada,
            UpdateWorldState(
                table.campaign.id,
                {"locations": {str(self.tam.id): "the hall", str(self.kit.id): "the cellar"}},
                campaign.world_version,
            ),
        )
        await campaigns.update_settings(
            uow, table.ada, UpdateCampaignSettings(table.campaign.id, perspective=perspective)
        )
        session = await table.start()
        self.session_id = session.id
        self.publisher = Publisher()
        self.model = model
        self.engine = StoryEngine(model, Reader(uow.store), self.publisher)  # type: ignore[arg-type]
        return self

    @property
    def store(self) -> FakeStore:
        return self.table.uow.store

    async def play(self) -> tuple[Turn, Job]:
        actions = [
            Action(self.tam.id, ActionKind.SKILL, f"study the {HALL_MARKER} tapestry"),
            Action(self.kit.id, ActionKind.SKILL, f"search the {CELLAR_MARKER} barrels"),
        ]
        turn = await sessions.submit_turn(
            self.table.uow, self.table.ada, SubmitTurn(self.session_id, actions)
        )
        [resolved] = [
            StoredEvent(e, 1)
            for e in self.store.events
            if e.event_type is EventType.INTERACTION_RESOLVED and e.aggregate_id == turn.id
        ]
        return turn, Job(uuid.uuid4(), "story", resolved, 1, 5, None)

    def turn(self, turn_id: uuid.UUID) -> Turn:
        return next(t for t in self.store.turns if t.id == turn_id)

    def telling(self, turn_id: uuid.UUID, viewpoint: uuid.UUID | None) -> list[NarrativeChunk]:
        return [c for c in self.store.chunks if c.turn_id == turn_id and c.viewpoint == viewpoint]

    def viewpoint_events(self) -> dict[str, str]:
        return {
            e.payload["viewpointCharacterId"]: e.payload["text"]
            for e in self.store.events
            if e.event_type is EventType.TURN_VIEWPOINT_NARRATED
        }


async def through_characters(model: OfflineModel | None = None) -> TwoRooms:
    return await TwoRooms().set(Perspective.THROUGH_CHARACTERS, model or Recording())


async def test_each_player_character_gets_the_turn_told_from_what_it_perceived_alone() -> None:
    rooms = await through_characters()
    turn, job = await rooms.play()
    context = Context(rooms.store)

    await rooms.engine.tell(job, context)

    # then: the omniscient prose tells both rooms, each viewpoint only its own
    done = rooms.turn(turn.id)
    assert done.narration_status is NarrationStatus.DONE
    assert HALL_MARKER in (done.narrative or "")
    assert CELLAR_MARKER in (done.narrative or "")
    told = rooms.viewpoint_events()
    assert set(told) == {str(rooms.tam.id), str(rooms.kit.id)}
    assert HALL_MARKER in told[str(rooms.tam.id)]
    assert CELLAR_MARKER not in told[str(rooms.tam.id)]
    assert "Kit" not in told[str(rooms.tam.id)]
    assert CELLAR_MARKER in told[str(rooms.kit.id)]
    assert HALL_MARKER not in told[str(rooms.kit.id)]
    assert "Tam" not in told[str(rooms.kit.id)]
    # each telling is its own stream: numbered from 0, ended, joining to its event's text
    for character in (rooms.tam, rooms.kit):
        chunks = rooms.telling(turn.id, character.id)
        assert [c.sequence for c in chunks] == list(range(len(chunks)))
        assert chunks[-1].done
        assert not any(c.done for c in chunks[:-1])
        assert "".join(c.text for c in chunks) == told[str(character.id)]
    # the job was finished once, by the last telling
    assert context.finished == 1


async def test_a_viewpoints_request_carries_nothing_its_character_did_not_perceive() -> None:
    model = Recording()
    rooms = await through_characters(model)
    turn, job = await rooms.play()

    await rooms.engine.tell(job, Context(rooms.store))

    steps = [r.key.step for r in model.asked]
    assert steps == [NARRATION, viewpoint_step(rooms.tam.id), viewpoint_step(rooms.kit.id)]
    tam_request = model.asked[1]
    assert isinstance(tam_request.subject, ViewpointScene)
    assert [c.name for c in tam_request.subject.scene.characters] == ["Tam"]
    assert CELLAR_MARKER not in tam_request.prompt
    assert "Kit" not in tam_request.prompt
    assert HALL_MARKER in tam_request.prompt
    assert "Viewpoint: Tam" in tam_request.prompt
    assert {r.key.turn_id for r in model.asked} == {turn.id}


async def test_an_omniscient_campaign_is_told_once_with_no_viewpoint() -> None:
    model = Recording()
    rooms = await TwoRooms().set(Perspective.OMNISCIENT, model)
    turn, job = await rooms.play()

    await rooms.engine.tell(job, Context(rooms.store))

    assert [r.key.step for r in model.asked] == [NARRATION]
    assert rooms.viewpoint_events() == {}
    assert all(c.viewpoint is None for c in rooms.store.chunks)
    assert rooms.turn(turn.id).narration_status is NarrationStatus.DONE


async def test_ai_played_characters_and_characters_that_saw_nothing_get_no_telling() -> None:
    model = Recording()
    rooms = await through_characters(model)
    wren = await a_character(rooms.table.uow, rooms.table.ada, "Wren")
    await campaigns.add_character(
        rooms.table.uow,
        rooms.table.ada,
        AddCampaignCharacter(rooms.table.campaign.id, wren.id, ai_controlled=True),
    )
    actions = [Action(rooms.tam.id, ActionKind.SKILL, f"study the {HALL_MARKER} tapestry")]
    turn = await sessions.submit_turn(
        rooms.table.uow, rooms.table.ada, SubmitTurn(rooms.session_id, actions)
    )
    [resolved] = [
        StoredEvent(e, 1)
        for e in rooms.store.events
        if e.event_type is EventType.INTERACTION_RESOLVED and e.aggregate_id == turn.id
    ]

    await rooms.engine.tell(Job(uuid.uuid4(), "story", resolved, 1, 5, None), Context(rooms.store))

    assert set(rooms.viewpoint_events()) == {str(rooms.tam.id)}
    assert viewpoint_step(wren.id) not in [r.key.step for r in model.asked]


async def test_a_rerun_after_a_crash_in_a_viewpoint_keeps_its_chunks_and_writes_the_rest() -> None:
    # when: the worker dies in the middle of Kit's telling, and the job runs again
    model = Recording()
    rooms = await through_characters(model)
    turn, job = await rooms.play()
    model.crash_in = viewpoint_step(rooms.kit.id)
    with pytest.raises(ConnectionError):
        await rooms.engine.tell(job, Context(rooms.store))
    midway = rooms.telling(turn.id, rooms.kit.id)
    assert midway
    assert not midway[-1].done
    assert rooms.turn(turn.id).narration_status is NarrationStatus.STREAMING
    context = Context(rooms.store)
    await rooms.engine.tell(job, context)

    # then: what was stored is kept, nothing is told twice, the texts are the same
    chunks = rooms.telling(turn.id, rooms.kit.id)
    assert chunks[: len(midway)] == midway
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    told = rooms.viewpoint_events()
    assert [e.event_type for e in rooms.store.events].count(EventType.TURN_NARRATED) == 1
    assert [e.event_type for e in rooms.store.events].count(EventType.TURN_VIEWPOINT_NARRATED) == 2
    [kit_request] = [r for r in model.asked if r.key.step == viewpoint_step(rooms.kit.id)][-1:]
    assert isinstance(kit_request.subject, ViewpointScene)
    whole = "".join(OfflineModel().narrate_viewpoint(kit_request.subject))
    assert told[str(rooms.kit.id)] == whole
    assert "".join(c.text for c in chunks) == whole
    assert rooms.turn(turn.id).narration_status is NarrationStatus.DONE
    assert context.finished == 1


class FailingViewpoints(OfflineModel):
    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        if request.key.step != NARRATION:
            yield "From where Kit stood. "
            raise ConnectionError("the model went away")
        async for piece in super().stream(request):
            yield piece


async def test_a_viewpoint_failing_on_the_last_attempt_fails_the_turn_and_ends_its_stream() -> None:
    rooms = await through_characters(FailingViewpoints())
    turn, job = await rooms.play()
    last = Job(job.id, job.kind, job.event, 5, 5, None)

    await rooms.engine.tell(last, Context(rooms.store))

    failed = rooms.turn(turn.id)
    assert failed.narration_status is NarrationStatus.FAILED
    assert "ConnectionError" in (failed.narration_error or "")
    started = rooms.telling(turn.id, rooms.tam.id)
    assert started[-1].done
    assert rooms.viewpoint_events() == {}


def test_the_telling_from_a_viewpoint_is_perceived_by_that_character_only() -> None:
    tam, kit = uuid.uuid4(), uuid.uuid4()
    told = {"viewpointCharacterId": str(tam), "text": "From where Tam stood."}
    assert perceive(EventType.TURN_VIEWPOINT_NARRATED, told, tam) == told
    assert perceive(EventType.TURN_VIEWPOINT_NARRATED, told, {kit, tam}) == told
    assert perceive(EventType.TURN_VIEWPOINT_NARRATED, told, kit) is None
    assert perceive(EventType.TURN_NARRATED, {"text": "All of it."}, tam) is None


def test_a_reader_gets_only_its_tellings_still_under_way() -> None:
    session, turn, tam, kit = (uuid.uuid4() for _ in range(4))
    chunks = [
        NarrativeChunk(session, turn, 0, "All.", False, 1),
        NarrativeChunk(session, turn, 1, "", True, 2),
        NarrativeChunk(session, turn, 0, "Tam saw.", False, 3, tam),
        NarrativeChunk(session, turn, 1, "", True, 4, tam),
        NarrativeChunk(session, turn, 0, "Kit saw.", False, 5, kit),
    ]
    assert in_progress(chunks, Viewpoints.omniscient()) == []
    assert in_progress(chunks, Viewpoints.of([tam])) == []
    assert in_progress(chunks, Viewpoints.of([kit])) == [chunks[4]]
    assert in_progress(chunks, Viewpoints.of([])) == []
    assert not Viewpoints.omniscient().shows(tam)
    assert not Viewpoints.of([kit]).shows(None)


def test_the_offline_viewpoint_telling_is_deterministic_and_differs_by_viewpoint() -> None:
    from novel_engine.domain.scene import Scene, SceneAction, SceneCharacter
    from novel_engine.domain.story import Genre, Tone

    tam, kit = SceneCharacter("t", "Tam"), SceneCharacter("k", "Kit")
    scene = Scene(
        Genre.FANTASY,
        Tone.MYSTERIOUS,
        "the hall",
        (tam, kit),
        (SceneAction("t", ActionKind.DIALOGUE, "Who goes there?", ("k",)),),
        narration_style="second person, terse",
    )
    model = OfflineModel()
    as_tam = "".join(model.narrate_viewpoint(ViewpointScene(tam, scene)))
    assert as_tam == "".join(model.narrate_viewpoint(ViewpointScene(tam, scene)))
    assert "Tam" in as_tam.split(".")[0]
    assert as_tam != "".join(model.narrate_viewpoint(ViewpointScene(kit, scene)))
