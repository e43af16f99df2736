"""The one rule for reading a character, wherever it is reached from (a query, a story, a
campaign, a turn's actions): PUBLIC characters and the viewer's own."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from novel_engine.graphql.characters.loaders import CharacterByIdLoader
from novel_engine.graphql.context import RequestContext
from novel_engine.persistence.queries import CharacterRecord


def visible(ctx: RequestContext, found: Iterable[CharacterRecord | None]) -> list[CharacterRecord]:
    """The characters the viewer may read, in the order given."""
    return [c for c in found if c is not None and c.is_visible_to(ctx.user_id)]


async def visible_by_ids(ctx: RequestContext, ids: Iterable[uuid.UUID]) -> list[CharacterRecord]:
    """Characters by id, in order, leaving out missing ones and those the viewer may not
    read."""
    return visible(ctx, await ctx.loader(CharacterByIdLoader).load_many(list(ids)))
