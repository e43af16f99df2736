"""The story jobs on hand-written fakes: a requested story is written and assessed in
the commit that finishes its job; a model's grades are kept when valid and replaced by
the measures of the text when not; a job that fails for good says so on the story."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import CharacterKind
from novel_engine.domain.commands import CreateCharacter, GenerateStory
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import ModelAnswer, ModelRequest, StreamPiece
from novel_engine.domain.messagebus import Job
from novel_engine.domain.services import characters, stories
from novel_engine.domain.story import (
    GenerationStatus,
    Genre,
    Story,
    StoryLength,
    StoryQuality,
    Tone,
)
from novel_engine.domain.writing import Manuscript, StoryBrief
from novel_engine.narrative import stories as story_jobs
from novel_engine.narrative.assessment import assess
from novel_engine.narrative.offline import OfflineModel
from tests.unit.fakes import FakeStore, FakeUnitOfWork

OWNER = Actor(uuid.uuid4())
GRADES = {
    "coherence": 0.9,
    "engagement": 0.8,
    "characterDevelopment": 0.7,
    "plotStructure": 0.6,
    "languageQuality": 0.5,
    "overall": 0.7,
}


class JobUnitOfWork(FakeUnitOfWork):
    def __init__(self, context: FakeJobContext, finishes: bool) -> None:
        super().__init__(context.store)
        self._context, self._finishes = context, finishes

    async def commit(self) -> list[StoredEvent]:
        stored = await super().commit()
        self._context.commits.append(self._finishes)
        return stored


@dataclass
class FakeJobContext:
    store: FakeStore
    commits: list[bool] = field(default_factory=list)  # True: the commit finished the job

    def unit_of_work(self, *, finishes: bool = True) -> JobUnitOfWork:
        return JobUnitOfWork(self, finishes)


@dataclass
class Scripted:
    """A remote model stand-in: a story text, and grades as they come (unchecked)."""

    story: str = "Mira found the map. Then the tide came in.\n\nShe sailed home."
    grades: object = field(default_factory=lambda: dict(GRADES))
    fails: bool = False
    requests: list[ModelRequest] = field(default_factory=list)

    async def generate(self, request: ModelRequest) -> ModelAnswer:
        self.requests.append(request)
        if self.fails:
            raise RuntimeError("the model is on fire")
        if request.schema is None:
            return ModelAnswer(self.story, "openai", "local-model", 40, 20, attempts=2)
        return ModelAnswer("{}", "openai", "local-model", 30, 10, data=self.grades)

    async def stream(self, request: ModelRequest) -> AsyncIterator[StreamPiece]:
        raise NotImplementedError
        yield ""


async def requested(
    store: FakeStore, length: StoryLength = StoryLength.SHORT
) -> tuple[Story, StoredEvent]:
    mira = await characters.create_character(
        FakeUnitOfWork(store), OWNER, CreateCharacter("Mira", CharacterKind.PROTAGONIST)
    )
    story = await stories.generate_story(
        FakeUnitOfWork(store),
        OWNER,
        GenerateStory(
            "The Drowned Map",
            Genre.MYSTERY,
            ("loss",),
            Tone.DARK,
            character_ids=(mira.id,),
            length=length,
            prompt="a map washes ashore",
        ),
    )
    request = store.events[-1]
    assert request.event_type is EventType.STORY_GENERATION_REQUESTED
    return story, StoredEvent(request, 1)


def a_job(event: StoredEvent, attempt: int = 1, max_attempts: int = 5) -> Job:
    return Job(uuid.uuid4(), story_jobs.GENERATION, event, attempt, max_attempts, None)


def events_after(store: FakeStore, event: StoredEvent) -> list[EventType]:
    index = store.events.index(event.event)
    return [e.event_type for e in store.events[index + 1 :]]


async def test_a_requested_story_is_written_and_assessed_in_the_commit_that_finishes_the_job() -> (
    None
):
    store = FakeStore()
    story, request = await requested(store)
    ctx = FakeJobContext(store)

    await story_jobs.StoryJobs(OfflineModel()).write(a_job(request), ctx)

    written = store.stories[story.id]
    assert written.generation_status is GenerationStatus.DONE
    assert written.content is not None
    assert "Mira" in written.content
    assert written.word_count is not None
    assert written.word_count > 300
    assert written.model_used == "offline/offline-1"
    assert written.quality == StoryQuality.from_scores(assess(written.content))
    assert ctx.commits == [True]
    generated, assessed = store.events[-2:]
    assert events_after(store, request) == [
        EventType.STORY_GENERATED,
        EventType.STORY_QUALITY_ASSESSED,
    ]
    assert {generated.causation_id, assessed.causation_id} == {request.event.event_id}
    assert generated.correlation_id == request.event.correlation_id
    assert generated.user_id == OWNER.user_id
    assert generated.payload["wordCount"] == written.word_count
    assert generated.payload["qualityScore"] == written.quality.overall
    assert generated.payload["generationMetrics"]["modelUsed"] == "offline/offline-1"
    assert generated.payload["generationMetrics"]["tokensConsumed"] > written.word_count
    assert assessed.payload["method"] == "measures"
    assert assessed.payload["assessmentCriteria"]["plotStructure"] == written.quality.plot_structure


async def test_the_model_is_asked_for_the_brief_then_for_grades_under_the_job_s_key() -> None:
    store = FakeStore()
    story, request = await requested(store, StoryLength.LONG)
    model, job = Scripted(), a_job(request)

    await story_jobs.StoryJobs(model).write(job, FakeJobContext(store))

    brief, manuscript = (r.subject for r in model.requests)
    assert isinstance(brief, StoryBrief)
    assert isinstance(manuscript, Manuscript)
    assert [c.name for c in brief.cast] == ["Mira"]
    assert (brief.length, brief.prompt, brief.themes) == (
        StoryLength.LONG,
        "a map washes ashore",
        ("loss",),
    )
    assert manuscript.text == model.story
    assert [(r.key.job_id, r.key.step) for r in model.requests] == [
        (str(job.id), "story"),
        (str(job.id), "assessment"),
    ]
    written = store.stories[story.id]
    assert written.content == model.story
    assert written.model_used == "openai/local-model"
    metrics = store.events[-2].payload["generationMetrics"]
    assert (metrics["tokensConsumed"], metrics["iterations"]) == (60, 2)


async def test_a_model_s_valid_grades_are_its_assessment() -> None:
    store = FakeStore()
    story, request = await requested(store)

    await story_jobs.StoryJobs(Scripted()).write(a_job(request), FakeJobContext(store))

    assert store.stories[story.id].quality == StoryQuality.from_scores(GRADES)
    assessed = store.events[-1].payload
    assert (assessed["method"], assessed["modelUsed"]) == ("model", "openai/local-model")


@pytest.mark.parametrize(
    "grades", [{**GRADES, "overall": 3}, {"coherence": 0.5}, ["not", "an", "object"], None]
)
async def test_grades_outside_the_schema_give_way_to_the_measures_of_the_text(
    grades: object,
) -> None:
    store = FakeStore()
    story, request = await requested(store)
    model = Scripted(grades=grades)

    await story_jobs.StoryJobs(model).write(a_job(request), FakeJobContext(store))

    assert store.stories[story.id].quality == StoryQuality.from_scores(assess(model.story))
    assert store.events[-1].payload["method"] == "measures"


async def test_a_failure_before_the_last_attempt_writes_nothing_and_is_retried() -> None:
    store = FakeStore()
    story, request = await requested(store)
    ctx = FakeJobContext(store)

    with pytest.raises(RuntimeError):
        await story_jobs.StoryJobs(Scripted(fails=True)).write(a_job(request, 4, 5), ctx)

    assert store.stories[story.id].generation_status is GenerationStatus.GENERATING
    assert ctx.commits == []
    assert events_after(store, request) == []


async def test_on_its_last_attempt_a_failing_job_says_so_on_the_story() -> None:
    store = FakeStore()
    story, request = await requested(store)
    ctx = FakeJobContext(store)

    with pytest.raises(RuntimeError):
        await story_jobs.StoryJobs(Scripted(fails=True)).write(a_job(request, 5, 5), ctx)

    failed = store.stories[story.id]
    assert failed.generation_status is GenerationStatus.FAILED
    assert failed.generation_error == "writing failed after 5 attempts (RuntimeError)"
    assert failed.content is None
    # Written without finishing the job: the job itself ends dead, with its error.
    assert ctx.commits == [False]
    [event] = store.events[store.events.index(request.event) + 1 :]
    assert event.event_type is EventType.STORY_GENERATION_FAILED
    assert event.payload["reason"] == failed.generation_error
    assert event.causation_id == request.event.event_id


async def test_a_story_already_written_is_not_written_again() -> None:
    store = FakeStore()
    story, request = await requested(store)
    jobs = story_jobs.StoryJobs(OfflineModel())
    await jobs.write(a_job(request), FakeJobContext(store))
    before = (store.stories[story.id].version, len(store.events))
    model = Scripted()

    await story_jobs.StoryJobs(model).write(a_job(request), FakeJobContext(store))

    assert (store.stories[story.id].version, len(store.events)) == before
    assert model.requests == []


async def test_a_compiled_story_is_assessed_once() -> None:
    store = FakeStore()
    text = 'Mira lit the lamp. Then Bram spoke.\n\n"Who goes there?" Mira called.'
    compiled = Story.compile(
        OWNER,
        title="Gloom, session 1",
        genre=Genre.HORROR,
        tone=Tone.DARK,
        character_ids=[],
        content=text,
        session_id=uuid.uuid4(),
        campaign_id=uuid.uuid4(),
        turns=2,
    )
    async with FakeUnitOfWork(store) as uow:
        await uow.stories.add(compiled)
        await uow.commit()
    event = StoredEvent(store.events[-1], 1)
    assert event.event.event_type is EventType.STORY_COMPILED
    jobs = story_jobs.StoryJobs(OfflineModel())
    ctx = FakeJobContext(store)

    await jobs.assess(a_job(event), ctx)
    await jobs.assess(a_job(event), ctx)

    assert store.stories[compiled.id].quality == StoryQuality.from_scores(assess(text))
    assert ctx.commits == [True]
    assert events_after(store, event) == [EventType.STORY_QUALITY_ASSESSED]
