"""Which tellings of a session's prose a viewer reads: the one rule for the narrative
stream and `Turn.narrative` alike."""

from __future__ import annotations

import uuid

from novel_engine.domain.campaign import DIRECTING_ROLES
from novel_engine.domain.narration import Viewpoints
from novel_engine.domain.perception import Perspective
from novel_engine.graphql.campaigns.loaders import CampaignByIdLoader, CharactersByCampaignIdLoader
from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.context import RequestContext


async def narrative_viewpoints(ctx: RequestContext, campaign_id: uuid.UUID) -> Viewpoints | None:
    """Who may see everything (OWNER and GAMEMASTER, every member of an omniscient
    campaign) reads the omniscient prose; any other member of a campaign seen through
    its characters reads the tellings from the points of view of the characters it owns
    in the campaign (none when it has none). None for a non-member."""
    role = await role_of(ctx, campaign_id)
    campaign = await ctx.loader(CampaignByIdLoader).load(campaign_id)
    if role is None or campaign is None:
        return None
    if campaign.perspective is Perspective.OMNISCIENT or role in DIRECTING_ROLES:
        return Viewpoints.omniscient()
    cast = await ctx.loader(CharactersByCampaignIdLoader).load(campaign_id)
    return Viewpoints.of(c.id for c in cast if c.owner_id == ctx.user_id)
