"""Reading the campaigns the viewer is a member of."""

from __future__ import annotations

import strawberry

from novel_engine.graphql.campaigns.loaders import CampaignByIdLoader
from novel_engine.graphql.campaigns.membership import member_campaign_id
from novel_engine.graphql.campaigns.types import Campaign
from novel_engine.graphql.context import Info
from novel_engine.graphql.pagination import Connection, connection, list_page
from novel_engine.persistence.queries import CampaignRecord, ListKey


@strawberry.type
class CampaignsQuery:
    @strawberry.field(description="A campaign you are a member of.")
    async def campaign(self, info: Info, id: strawberry.ID) -> Campaign | None:
        campaign_id = await member_campaign_id(info.context, id)
        found = (
            await info.context.loader(CampaignByIdLoader).load(campaign_id) if campaign_id else None
        )
        return Campaign.from_model(found) if found else None

    @strawberry.field(description="The campaigns you are a member of, oldest first.")
    async def campaigns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Campaign]:
        ctx = info.context
        viewer = ctx.user_id

        async def fetch(cursor: ListKey | None, limit: int) -> list[CampaignRecord]:
            if viewer is None:
                return []
            return await ctx.services.queries.list_campaigns(viewer, cursor, limit)

        return connection(await list_page(fetch, first, after), Campaign.from_model)
