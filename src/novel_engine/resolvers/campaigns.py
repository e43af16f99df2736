"""Reading campaigns their members may see, and running campaign commands."""

from __future__ import annotations

import uuid
from typing import Any

from novel_engine.domain.campaign import Campaign, CampaignRole
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.services import campaigns as service
from novel_engine.persistence.queries import CampaignRecord, ListKey
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.ids import parse_id, require_id
from novel_engine.resolvers.pagination import Page, list_page, position_page


async def role_of(ctx: RequestContext, campaign_id: uuid.UUID) -> CampaignRole | None:
    if ctx.user_id is None:
        return None
    members = await ctx.loaders.members_by_campaign_id.load(campaign_id)
    return next((m.role for m in members if m.user_id == ctx.user_id), None)


async def member_campaign_id(ctx: RequestContext, id: str) -> uuid.UUID | None:
    """The campaign's id if the viewer is a member; None for anything else."""
    campaign_id = parse_id(id)
    if campaign_id is None or await role_of(ctx, campaign_id) is None:
        return None
    return campaign_id


async def campaign(ctx: RequestContext, id: str) -> CampaignRecord | None:
    campaign_id = await member_campaign_id(ctx, id)
    return await ctx.loaders.campaign_by_id.load(campaign_id) if campaign_id else None


async def campaigns(
    ctx: RequestContext, first: int | None, after: str | None
) -> Page[CampaignRecord]:
    viewer = ctx.user_id

    async def fetch(cursor: ListKey | None, limit: int) -> list[CampaignRecord]:
        if viewer is None:
            return []
        return await ctx.services.queries.list_campaigns(viewer, cursor, limit)

    return await list_page(fetch, first, after)


async def events(
    ctx: RequestContext, campaign_id: uuid.UUID, first: int | None, after: str | None
) -> Page[StoredEvent]:
    return await position_page(
        ctx.loaders.events_by_page, campaign_id, lambda e: e.position, first, after
    )


async def create_campaign(
    ctx: RequestContext, *, name: str, description: str, world_state: Any
) -> Campaign:
    return await service.create_campaign(
        ctx.uow(), ctx.actor, name=name, description=description, world_state=world_state
    )


async def add_member(
    ctx: RequestContext, campaign_id: str, email: str, role: CampaignRole
) -> Campaign:
    campaign, _ = await service.add_member(
        ctx.uow(), ctx.actor, require_id(campaign_id, "campaignId", "campaign"), email, role
    )
    return campaign


async def add_character(ctx: RequestContext, campaign_id: str, character_id: str) -> Campaign:
    return await service.add_character(
        ctx.uow(),
        ctx.actor,
        require_id(campaign_id, "campaignId", "campaign"),
        require_id(character_id, "characterId", "character"),
    )


async def update_world_state(
    ctx: RequestContext, campaign_id: str, patch: Any, expected_version: int
) -> Campaign:
    return await service.update_world_state(
        ctx.uow(),
        ctx.actor,
        require_id(campaign_id, "campaignId", "campaign"),
        patch,
        expected_version,
    )
