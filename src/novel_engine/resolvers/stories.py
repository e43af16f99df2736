"""Reading stories as the viewer may see them, and running story commands."""

from __future__ import annotations

import uuid
from functools import partial

from novel_engine.domain.character import Visibility
from novel_engine.domain.services import stories as service
from novel_engine.domain.story import Genre, PlotPoint, Story, StoryEntry, Tone
from novel_engine.persistence.queries import CharacterRecord, StoryRecord
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.ids import parse_id, require_id
from novel_engine.resolvers.pagination import Page, list_page, position_page


async def story(ctx: RequestContext, id: str) -> StoryRecord | None:
    story_id = parse_id(id)
    if story_id is None:
        return None
    found = await ctx.loaders.story_by_id.load(story_id)
    return found if found and found.is_visible_to(ctx.user_id) else None


async def stories(ctx: RequestContext, first: int | None, after: str | None) -> Page[StoryRecord]:
    return await list_page(partial(ctx.services.queries.list_stories, ctx.user_id), first, after)


async def cast(ctx: RequestContext, story_id: uuid.UUID) -> list[CharacterRecord]:
    found = await ctx.loaders.characters_by_story_id.load(story_id)
    return [c for c in found if c.is_visible_to(ctx.user_id)]


async def entries(
    ctx: RequestContext, story_id: uuid.UUID, first: int | None, after: str | None
) -> Page[StoryEntry]:
    return await position_page(
        ctx.loaders.story_entries_by_page, story_id, lambda e: e.sequence, first, after
    )


async def create_story(
    ctx: RequestContext,
    *,
    title: str,
    genre: Genre,
    themes: list[str],
    tone: Tone,
    visibility: Visibility,
    character_ids: list[str],
) -> Story:
    return await service.create_story(
        ctx.uow(),
        ctx.actor,
        title=title,
        genre=genre,
        themes=themes,
        tone=tone,
        visibility=visibility,
        character_ids=[require_id(c, "characterIds", "character") for c in character_ids],
    )


async def add_story_event(
    ctx: RequestContext,
    story_id: str,
    *,
    description: str,
    plot_point: PlotPoint | None,
    character_ids: list[str],
) -> tuple[Story, StoryEntry]:
    return await service.add_story_event(
        ctx.uow(),
        ctx.actor,
        require_id(story_id, "storyId", "story"),
        description=description,
        plot_point=plot_point,
        character_ids=[require_id(c, "characterIds", "character") for c in character_ids],
    )
