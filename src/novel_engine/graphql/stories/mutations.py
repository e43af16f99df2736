"""Creating stories and telling their events."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from novel_engine.domain import commands, errors
from novel_engine.domain.services import stories as service
from novel_engine.domain.story import Story as StoryModel
from novel_engine.domain.story import StoryEntry
from novel_engine.graphql.context import Info
from novel_engine.graphql.errors import Error, ResultUnion
from novel_engine.graphql.ids import require_id
from novel_engine.graphql.stories.inputs import (
    CreateStoryInput,
    GenerateStoryInput,
    StoryEventInput,
)
from novel_engine.graphql.stories.types import Story, StoryEvent, StoryEventAdded

CreateStoryResult = ResultUnion(
    "CreateStoryResult",
    Story,
    errors.InvalidInput,
    errors.NotFound,
    errors.AuthenticationRequired,
)
GenerateStoryResult = ResultUnion(
    "GenerateStoryResult",
    Story,
    errors.InvalidInput,
    errors.NotFound,
    errors.AuthenticationRequired,
)
CompileStoryResult = ResultUnion(
    "CompileStoryResult",
    Story,
    errors.InvalidInput,
    errors.NotFound,
    errors.AuthenticationRequired,
)
AddStoryEventResult = ResultUnion(
    "AddStoryEventResult",
    StoryEventAdded,
    errors.InvalidInput,
    errors.NotFound,
    errors.Forbidden,
    errors.AuthenticationRequired,
)


def _character_ids(given: list[strawberry.ID] | None) -> tuple[uuid.UUID, ...]:
    return tuple(require_id(c, "characterIds", "character") for c in given or ())


def _story_fields(input: CreateStoryInput | GenerateStoryInput) -> dict[str, Any]:
    """What creating and generating a story share: its title, genre, themes, tone,
    visibility and cast."""
    return {
        "title": input.title,
        "genre": input.genre,
        "themes": tuple(input.themes or ()),
        "tone": input.tone,
        "visibility": input.visibility,
        "character_ids": _character_ids(input.character_ids),
    }


def _story_event_added(added: tuple[StoryModel, StoryEntry]) -> StoryEventAdded:
    story, entry = added
    return StoryEventAdded(story=Story.from_model(story), event=StoryEvent.from_model(entry))


@strawberry.type
class StoriesMutation:
    @strawberry.mutation(graphql_type=CreateStoryResult.annotation)
    async def create_story(self, info: Info, input: CreateStoryInput) -> Story | Error:
        ctx = info.context
        return await CreateStoryResult.attempt(
            lambda: service.create_story(
                ctx.uow(),
                ctx.actor(),
                commands.CreateStory(**_story_fields(input)),
            ),
            Story.from_model,
        )

    @strawberry.mutation(
        description="Ask the configured model for a story: it is answered at once, "
        "GENERATING, and written in the background (then DONE, with its quality).",
        graphql_type=GenerateStoryResult.annotation,
    )
    async def generate_story(self, info: Info, input: GenerateStoryInput) -> Story | Error:
        ctx = info.context
        return await GenerateStoryResult.attempt(
            lambda: service.generate_story(
                ctx.uow(),
                ctx.actor(),
                commands.GenerateStory(
                    **_story_fields(input), length=input.length, prompt=input.prompt
                ),
            ),
            Story.from_model,
        )

    @strawberry.mutation(
        description="A private story made of a session's narrated turns; its quality is "
        "assessed in the background.",
        graphql_type=CompileStoryResult.annotation,
    )
    async def compile_story(
        self, info: Info, session_id: strawberry.ID, title: str | None = None
    ) -> Story | Error:
        ctx = info.context
        return await CompileStoryResult.attempt(
            lambda: service.compile_story(
                ctx.uow(),
                ctx.actor(),
                commands.CompileStory(require_id(session_id, "sessionId", "session"), title),
            ),
            Story.from_model,
        )

    @strawberry.mutation(graphql_type=AddStoryEventResult.annotation)
    async def add_story_event(
        self, info: Info, story_id: strawberry.ID, input: StoryEventInput
    ) -> StoryEventAdded | Error:
        ctx = info.context
        return await AddStoryEventResult.attempt(
            lambda: service.add_story_event(
                ctx.uow(),
                ctx.actor(),
                commands.AddStoryEvent(
                    require_id(story_id, "storyId", "story"),
                    input.description,
                    input.plot_point,
                    _character_ids(input.character_ids),
                ),
            ),
            _story_event_added,
        )
