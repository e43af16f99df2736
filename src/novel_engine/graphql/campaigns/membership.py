"""Who may read a campaign and what hangs from it: its members, and no one else."""

from __future__ import annotations

import uuid

from novel_engine.domain.campaign import CampaignRole
from novel_engine.graphql.campaigns.loaders import MembersByCampaignIdLoader
from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.ids import parse_id


async def role_of(ctx: RequestContext, campaign_id: uuid.UUID) -> CampaignRole | None:
    if ctx.user_id is None:
        return None
    members = await ctx.loader(MembersByCampaignIdLoader).load(campaign_id)
    return next((m.role for m in members if m.user_id == ctx.user_id), None)


async def member_campaign_id(ctx: RequestContext, id: str) -> uuid.UUID | None:
    """The campaign's id if the viewer is a member; None for anything else."""
    campaign_id = parse_id(id)
    if campaign_id is None or await role_of(ctx, campaign_id) is None:
        return None
    return campaign_id
