"""Root queries."""

from __future__ import annotations

import strawberry

from novel_engine.resolvers import campaigns, characters, identity, sessions, stories
from novel_engine.schema.types import (
    Campaign,
    Character,
    Connection,
    Info,
    Session,
    Story,
    User,
    connection,
)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user; null when anonymous.")
    async def viewer(self, info: Info) -> User | None:
        found = await identity.viewer(info.context)
        return User.from_model(found) if found else None

    @strawberry.field
    async def character(self, info: Info, id: strawberry.ID) -> Character | None:
        found = await characters.character(info.context, id)
        return Character.from_model(found) if found else None

    @strawberry.field(description="Public characters and your own, oldest first.")
    async def characters(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Character]:
        page = await characters.characters(info.context, first, after)
        return connection(page, Character.from_model)

    @strawberry.field
    async def story(self, info: Info, id: strawberry.ID) -> Story | None:
        found = await stories.story(info.context, id)
        return Story.from_model(found) if found else None

    @strawberry.field(description="Public stories and your own, oldest first.")
    async def stories(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Story]:
        page = await stories.stories(info.context, first, after)
        return connection(page, Story.from_model)

    @strawberry.field(description="A campaign you are a member of.")
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        found = await campaigns.campaign(info.context, id)
        return Campaign.from_model(found) if found else None

    @strawberry.field(description="The campaigns you are a member of, oldest first.")
    async def campaigns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Campaign]:
        page = await campaigns.campaigns(info.context, first, after)
        return connection(page, Campaign.from_model)

    @strawberry.field(description="A session of a campaign you are a member of.")
    async def session(self, info: Info, id: strawberry.ID) -> Session | None:
        found = await sessions.session(info.context, id)
        return Session.from_model(found) if found else None
