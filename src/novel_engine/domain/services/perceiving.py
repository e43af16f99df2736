"""Reading what a character perceived and holds: its turn brief."""

from __future__ import annotations

import uuid

from novel_engine.domain import brief
from novel_engine.domain.actor import Actor
from novel_engine.domain.errors import NotFound
from novel_engine.domain.ports import UnitOfWork


async def turn_brief(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID, character_id: uuid.UUID
) -> brief.TurnBrief:
    """The brief of `character_id` in the session's campaign, for its player, the
    campaign's OWNER or a GAMEMASTER. `uow` only reads."""
    async with uow:
        session = await uow.sessions.get(session_id)
        campaign = await uow.campaigns.get(session.campaign_id) if session else None
        if session is None or campaign is None or campaign.role_of(actor.user_id) is None:
            raise NotFound("No session with this id.", "sessionId")
        found = await uow.characters.get_many([character_id])
        if not found or character_id not in campaign.character_ids:
            raise NotFound("No character with this id in the campaign.", "characterId")
        brief.ensure_may_read(campaign, actor, found[0])
        return await brief.load(uow, campaign, character_id)
