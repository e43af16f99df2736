"""Reading characters as the viewer may see them."""

from __future__ import annotations

from functools import partial

import strawberry

from novel_engine.graphql.characters.types import Character
from novel_engine.graphql.characters.visibility import visible_by_ids
from novel_engine.graphql.context import Info
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.pagination import Connection, connection, list_page


@strawberry.type
class CharactersQuery:
    @strawberry.field
    async def character(self, info: Info, id: strawberry.ID) -> Character | None:
        character_id = parse_id(id)
        if character_id is None:
            return None
        found = await visible_by_ids(info.context, [character_id])
        return Character.from_model(found[0]) if found else None

    @strawberry.field(description="Public characters and your own, oldest first.")
    async def characters(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Character]:
        ctx = info.context
        fetch = partial(ctx.services.queries.list_characters, ctx.user_id)
        return connection(await list_page(fetch, first, after), Character.from_model)
