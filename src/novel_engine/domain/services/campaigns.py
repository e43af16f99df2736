"""Creating campaigns, bringing people and characters in, and changing the world."""

from __future__ import annotations

import uuid

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, Member
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    AddCampaignMember,
    CreateCampaign,
    UpdateCampaignSettings,
    UpdateWorldState,
)
from novel_engine.domain.errors import NotFound
from novel_engine.domain.ports import UnitOfWork
from novel_engine.domain.services.characters import visible_character
from novel_engine.domain.user import normalize_email


async def visible_campaign(uow: UnitOfWork, actor: Actor, campaign_id: uuid.UUID) -> Campaign:
    campaign = await uow.campaigns.get(campaign_id)
    if campaign is None:
        raise NotFound("No campaign with this id.", "campaignId")
    campaign.ensure_visible_to(actor)
    return campaign


async def create_campaign(uow: UnitOfWork, actor: Actor, command: CreateCampaign) -> Campaign:
    campaign = Campaign.create(actor, command)
    async with uow:
        await uow.campaigns.add(campaign)
        await uow.commit()
    return campaign


async def add_member(
    uow: UnitOfWork, actor: Actor, command: AddCampaignMember
) -> tuple[Campaign, Member]:
    actor.require_user()
    address = normalize_email(command.email)
    async with uow:
        campaign = await visible_campaign(uow, actor, command.campaign_id)
        user = await uow.users.get_by_email(address)
        if user is None:
            raise NotFound("No user with this email.", "email")
        member = campaign.add_member(actor, user.id, command.role)
        await uow.commit()
    return campaign, member


async def add_character(uow: UnitOfWork, actor: Actor, command: AddCampaignCharacter) -> Campaign:
    actor.require_user()
    async with uow:
        campaign = await visible_campaign(uow, actor, command.campaign_id)
        character = await visible_character(uow, actor, command.character_id, "characterId")
        campaign.add_character(actor, character, ai_controlled=command.ai_controlled)
        await uow.commit()
    return campaign


async def update_settings(
    uow: UnitOfWork, actor: Actor, command: UpdateCampaignSettings
) -> Campaign:
    actor.require_user()
    async with uow:
        campaign = await visible_campaign(uow, actor, command.campaign_id)
        campaign.update_settings(
            actor, command.narration_style, command.perspective, command.strict_coherence
        )
        await uow.commit()
    return campaign


async def update_world_state(uow: UnitOfWork, actor: Actor, command: UpdateWorldState) -> Campaign:
    actor.require_user()
    async with uow:
        campaign = await visible_campaign(uow, actor, command.campaign_id)
        campaign.update_world_state(actor, command.patch, command.expected_version)
        await uow.commit()
    return campaign
