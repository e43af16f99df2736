"""Who may follow a campaign live (its events, its presence): its members, no one else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from novel_engine.domain.errors import AuthenticationRequired, NotFound
from novel_engine.graphql.campaigns.membership import member_campaign_id
from novel_engine.graphql.context import RequestContext


@dataclass(frozen=True)
class Follower:
    """A member following one campaign."""

    campaign_id: uuid.UUID
    user_id: uuid.UUID


async def authorize_follower(ctx: RequestContext, campaign_id: str) -> Follower:
    """The viewer as a follower of the campaign, if a member.

    An anonymous viewer is asked to log in: no campaign is visible to anyone anonymous,
    so saying so leaks nothing. Anyone else who is not a member is told there is no
    such campaign, whether or not it exists.
    """
    if ctx.user_id is None:
        raise AuthenticationRequired("Log in to follow this campaign.")
    stream_id = await member_campaign_id(ctx, campaign_id)
    if stream_id is None:
        raise NotFound("No campaign with this id.", "campaignId")
    return Follower(stream_id, ctx.user_id)
