"""Who is asking."""

from __future__ import annotations

import strawberry

from novel_engine.graphql.context import Info
from novel_engine.graphql.identity.loaders import UserByIdLoader
from novel_engine.graphql.identity.types import User


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in user; null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        user_id = info.context.user_id
        found = await info.context.loader(UserByIdLoader).load(user_id) if user_id else None
        return User.from_model(found) if found else None
