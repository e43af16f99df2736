"""What of a campaign's events a viewer may see: one rule for every read path.

Members only; in a campaign seen through characters, a co-author sees what the
characters it controls perceived (whole, redacted, or not at all) and OWNER and
GAMEMASTER see everything, as `Campaign.sees_everything` says. An event rendered for a
live group (no viewer of its own) is seen as that group's viewpoint sees it.
"""

from __future__ import annotations

import dataclasses
import uuid

from novel_engine.domain.campaign import DIRECTING_ROLES
from novel_engine.domain.events import AggregateType, StoredEvent
from novel_engine.domain.perception import Perspective, perceive
from novel_engine.graphql.campaigns.loaders import CampaignByIdLoader, CharactersByCampaignIdLoader
from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.context import RequestContext


async def seen_by(
    ctx: RequestContext, campaign_id: uuid.UUID, stored: StoredEvent
) -> StoredEvent | None:
    """`stored`, an event of campaign `campaign_id`, as the viewer sees it: whole,
    redacted (the parts none of its characters perceived removed) or None."""
    stream = stored.event.stream
    if stream.kind is not AggregateType.CAMPAIGN or stream.id != campaign_id:
        return None
    if ctx.live_view is not None:
        if ctx.live_view.campaign_id != campaign_id:
            return None
        return ctx.live_view.perceive(stored)
    role = await role_of(ctx, campaign_id)
    campaign = await ctx.loader(CampaignByIdLoader).load(campaign_id) if role else None
    if role is None or campaign is None:
        return None
    # Campaign.sees_everything, on the read model.
    if campaign.perspective is Perspective.OMNISCIENT or role in DIRECTING_ROLES:
        return stored
    cast = await ctx.loader(CharactersByCampaignIdLoader).load(campaign_id)
    mine = {c.id for c in cast if c.owner_id == ctx.user_id}
    event = stored.event
    payload = perceive(event.event_type, event.payload, mine)
    if payload is None:
        return None
    if payload is event.payload:
        return stored
    return StoredEvent(dataclasses.replace(event, payload=payload), stored.position)


async def seen_in_its_campaign(ctx: RequestContext, stored: StoredEvent) -> StoredEvent | None:
    """An event reached from another (a cause, an effect) as the viewer sees it; only
    campaigns' events are ever reached."""
    return await seen_by(ctx, stored.event.stream.id, stored)
