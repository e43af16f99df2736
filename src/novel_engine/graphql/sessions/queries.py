"""Reading sessions as campaign members see them."""

from __future__ import annotations

import strawberry

from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.context import Info
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.sessions.loaders import SessionByIdLoader
from novel_engine.graphql.sessions.types import Session


@strawberry.type
class SessionsQuery:
    @strawberry.field(description="A session of a campaign you are a member of.")
    async def session(self, info: Info, id: strawberry.ID) -> Session | None:
        session_id = parse_id(id)
        found = (
            await info.context.loader(SessionByIdLoader).load(session_id) if session_id else None
        )
        if found is None or await role_of(info.context, found.campaign_id) is None:
            return None
        return Session.from_model(found)
