"""Creating campaigns, bringing people and characters in, and changing the world."""

from __future__ import annotations

import uuid

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, Member
from novel_engine.domain.commands import (
    AddCampaignCharacter,
    AddCampaignMember,
    CreateCampaign,
    ForkCampaign,
    UpdateCampaignSettings,
    UpdateWorldState,
)
from novel_engine.domain.errors import InvalidInput, NotFound
from novel_engine.domain.events import EventType
from novel_engine.domain.fork import fork
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


async def fork_campaign(uow: UnitOfWork, actor: Actor, command: ForkCampaign) -> Campaign:
    """A new campaign whose history is the original's through the event at `command.at`
    (a cursor: its position in the stream), everything else rebuilt from that history,
    written with its events in one transaction. The original is read, never changed."""
    actor.require_user()
    async with uow:
        original = await visible_campaign(uow, actor, command.campaign_id)
        original.ensure_can_direct(actor)
        # Positions up to the committed head are all committed: the head is reserved in
        # the transaction that writes them.
        head = await uow.history.head(original.id)
        if not 1 <= command.position <= head:
            raise InvalidInput("`at` is not an event of this campaign.", "at")
        read = await uow.history.read(original.id, min(command.position + 1, head))
        history, following = read[: command.position], read[command.position :]
        cast = {
            uuid.UUID(s.event.payload["characterId"])
            for s in history
            if s.event.event_type is EventType.CAMPAIGN_CHARACTER_ADDED
        }
        alive = {c.id for c in await uow.characters.get_many(sorted(cast))}
        after = following[0].event if following else None
        branch = fork(actor, original, history, command.at, alive, after)
        await uow.campaigns.add(branch.campaign)
        for session in branch.sessions:
            await uow.sessions.add(session)
        told = {t.id: t for s in branch.sessions for t in s.new_turns}
        await uow.narration.copy(
            {was: (told[now].session_id, now) for was, now in branch.told.items()}
        )
        await uow.commit()
    return branch.campaign
