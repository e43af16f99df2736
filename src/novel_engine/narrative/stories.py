"""The durable jobs behind generateStory and compileStory: the configured model writes a
requested story, and every generated or compiled story is assessed.

Model calls happen here, outside any transaction: a job reads what it needs in a unit of
work it leaves at once, calls the model, then writes its results in the unit of work
that marks the job done. A job that runs again (after a crash) calls the model again
under the same job id and step, and writes its results once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from time import monotonic

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.events import DomainEvent, EventType
from novel_engine.domain.language import CallKey, LanguageModel
from novel_engine.domain.messagebus import Handlers, Job, JobContext
from novel_engine.domain.scene import SceneCharacter
from novel_engine.domain.story import Assessment, Draft, Story, StoryLength, StoryQuality
from novel_engine.domain.writing import Manuscript, StoryBrief
from novel_engine.narrative.assessment import assess
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import assessment_request, story_request

log = logging.getLogger(__name__)

GENERATION = "story-generation"
ASSESSMENT = "story-assessment"


def handlers(model: LanguageModel) -> Handlers:
    """The story jobs, calling `model` (the configured one, with its fallback)."""
    jobs = StoryJobs(model)
    registry = Handlers()
    registry.add_durable(GENERATION, [EventType.STORY_GENERATION_REQUESTED], jobs.write)
    registry.add_durable(ASSESSMENT, [EventType.STORY_COMPILED], jobs.assess)
    return registry


class StoryJobs:
    def __init__(self, model: LanguageModel) -> None:
        self.model = model

    async def write(self, job: Job, ctx: JobContext) -> None:
        """Write a requested story and assess it; keep both in one commit. On its last
        attempt a job that cannot finish marks the story failed, then fails itself."""
        cause = job.event.event
        async with ctx.unit_of_work(finishes=False) as uow:  # read, then let go
            story = await uow.stories.get(cause.aggregate_id)
            cast = await uow.characters.get_many(story.character_ids) if story else []
        if story is None or not story.awaits_text:
            return
        try:
            draft = await self._draft(story, cast, str(job.id))
            assessment = await self._assessment(story.title, draft.text, str(job.id))
            async with ctx.unit_of_work() as uow:
                written = await uow.stories.get(story.id)
                if written is not None and written.awaits_text:
                    written.finish_generation(_as_owner(written, cause), draft, assessment, cause)
                    await uow.commit()
        except Exception as exc:
            if job.attempt >= job.max_attempts:
                reason = f"writing failed after {job.attempt} attempts ({type(exc).__name__})"
                await _give_up(ctx, story.id, cause, reason)
            raise

    async def assess(self, job: Job, ctx: JobContext) -> None:
        """Assess a compiled story's text."""
        cause = job.event.event
        async with ctx.unit_of_work(finishes=False) as uow:
            story = await uow.stories.get(cause.aggregate_id)
        if story is None or story.content is None or story.quality is not None:
            return
        assessment = await self._assessment(story.title, story.content, str(job.id))
        async with ctx.unit_of_work() as uow:
            story = await uow.stories.get(story.id)
            if story is not None and story.quality is None:
                story.assess(_as_owner(story, cause), assessment, cause)
                await uow.commit()

    async def _draft(self, story: Story, cast: list[Character], job_id: str) -> Draft:
        by_id = {c.id: c for c in cast}
        brief = StoryBrief(
            title=story.title,
            genre=story.genre,
            tone=story.tone,
            length=story.length or StoryLength.MEDIUM,
            themes=tuple(story.themes),
            cast=tuple(SceneCharacter.of(by_id[i]) for i in story.character_ids if i in by_id),
            prompt=story.prompt,
        )
        started = monotonic()
        answer = await self.model.generate(story_request(brief, CallKey(job_id, "story")))
        text = answer.text.strip()
        if not text:
            raise ValueError("the model answered with no story")
        return Draft(
            text=text,
            model_used=answer.model_used,
            tokens=answer.prompt_tokens + answer.output_tokens,
            seconds=monotonic() - started,
            attempts=answer.attempts,
            fallback=answer.fallback,
        )

    async def _assessment(self, title: str, text: str, job_id: str) -> Assessment:
        """The model's grades when it gives valid ones; the offline model's (and any
        failure's) are the documented measures of the text."""
        request = assessment_request(Manuscript(title, text), CallKey(job_id, "assessment"))
        try:
            answer = await self.model.generate(request)
            if not isinstance(answer.data, Mapping):
                raise InvalidInput("The assessment is not an object.", "quality")
            quality = StoryQuality.from_scores(answer.data)
        except Exception:
            log.warning("assessing %r by model failed; measuring the text", title, exc_info=True)
            return Assessment(StoryQuality.from_scores(assess(text)), "measures")
        method = "measures" if answer.provider == OfflineModel.provider else "model"
        return Assessment(quality, method, answer.model_used)


async def _give_up(ctx: JobContext, story_id: uuid.UUID, cause: DomainEvent, reason: str) -> None:
    async with ctx.unit_of_work(finishes=False) as uow:
        story = await uow.stories.get(story_id)
        if story is not None and story.awaits_text:
            story.fail_generation(_as_owner(story, cause), reason, cause)
            await uow.commit()


def _as_owner(story: Story, cause: DomainEvent) -> Actor:
    """A job writes for the story's owner, in the correlation of the request behind it."""
    return Actor(story.owner_id, cause.correlation_id, cause.event_id)
