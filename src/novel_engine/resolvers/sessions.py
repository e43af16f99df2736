"""Sessions and turns as campaign members see them, and the commands that play them."""

from __future__ import annotations

import uuid

from novel_engine.domain.services import sessions as service
from novel_engine.domain.session import Action, ActionKind, Session, Turn
from novel_engine.resolvers.campaigns import role_of
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.ids import parse_id, require_id
from novel_engine.resolvers.pagination import Page, position_page


async def session(ctx: RequestContext, id: str) -> Session | None:
    session_id = parse_id(id)
    if session_id is None:
        return None
    found = await ctx.loaders.session_by_id.load(session_id)
    if found is None or await role_of(ctx, found.campaign_id) is None:
        return None
    return found


async def turns(
    ctx: RequestContext, session_id: uuid.UUID, first: int | None, after: str | None
) -> Page[Turn]:
    return await position_page(
        ctx.loaders.turns_by_page, session_id, lambda t: t.number, first, after
    )


async def start_session(ctx: RequestContext, campaign_id: str) -> Session:
    return await service.start_session(
        ctx.uow(), ctx.actor, require_id(campaign_id, "campaignId", "campaign")
    )


async def end_session(ctx: RequestContext, session_id: str) -> Session:
    return await service.end_session(
        ctx.uow(), ctx.actor, require_id(session_id, "sessionId", "session")
    )


def action(
    index: int, character_id: str, kind: ActionKind, intent: str, target_ids: list[str]
) -> Action:
    where = f"actions.{index}"
    return Action(
        require_id(character_id, f"{where}.characterId", "character"),
        kind,
        intent,
        tuple(require_id(t, f"{where}.targetIds", "character") for t in target_ids),
    )


async def submit_turn(
    ctx: RequestContext, session_id: str, actions: list[Action], idempotency_key: str | None
) -> Turn:
    return await service.submit_turn(
        ctx.uow(),
        ctx.actor,
        require_id(session_id, "sessionId", "session"),
        actions,
        idempotency_key,
    )
