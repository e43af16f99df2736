"""Reading stories as the viewer may see them."""

from __future__ import annotations

from functools import partial

import strawberry

from novel_engine.graphql.context import Info
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.pagination import Connection, connection, list_page
from novel_engine.graphql.stories.loaders import StoryByIdLoader
from novel_engine.graphql.stories.types import Story


@strawberry.type
class StoriesQuery:
    @strawberry.field
    async def story(self, info: Info, id: strawberry.ID) -> Story | None:
        story_id = parse_id(id)
        found = await info.context.loader(StoryByIdLoader).load(story_id) if story_id else None
        return (
            Story.from_model(found) if found and found.is_visible_to(info.context.user_id) else None
        )

    @strawberry.field(description="Public stories and your own, oldest first.")
    async def stories(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Story]:
        ctx = info.context
        fetch = partial(ctx.services.queries.list_stories, ctx.user_id)
        return connection(await list_page(fetch, first, after), Story.from_model)
