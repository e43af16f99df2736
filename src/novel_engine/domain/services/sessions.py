"""Starting and ending sessions, and playing turns."""

from __future__ import annotations

import uuid

from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.commands import EndSession, StartSession, SubmitTurn
from novel_engine.domain.errors import AlreadyExists, IdempotencyConflict, NotFound
from novel_engine.domain.plot import TurnSummary, plot_point
from novel_engine.domain.ports import UnitOfWork
from novel_engine.domain.services.campaigns import visible_campaign
from novel_engine.domain.session import (
    Session,
    Turn,
    check_idempotency_key,
    request_hash,
)


async def start_session(uow: UnitOfWork, actor: Actor, command: StartSession) -> Session:
    actor.require_user()
    async with uow:
        campaign = await visible_campaign(uow, actor, command.campaign_id)
        campaign.ensure_can_direct(actor)
        if await uow.sessions.has_active(campaign.id):
            raise AlreadyExists("A session is already running; end it first.", "campaignId")
        session = Session.start(actor, campaign, await uow.sessions.count_for(campaign.id) + 1)
        await uow.sessions.add(session)
        await uow.commit()
    return session


async def _played_by(
    uow: UnitOfWork, actor: Actor, session_id: uuid.UUID
) -> tuple[Session, Campaign]:
    """The session, locked, and its campaign; to anyone but a member it does not exist."""
    session = await uow.sessions.get(session_id)
    campaign = await uow.campaigns.get(session.campaign_id) if session else None
    if session is None or campaign is None or campaign.role_of(actor.user_id) is None:
        raise NotFound("No session with this id.", "sessionId")
    return session, campaign


async def end_session(uow: UnitOfWork, actor: Actor, command: EndSession) -> Session:
    actor.require_user()
    async with uow:
        session, campaign = await _played_by(uow, actor, command.session_id)
        history = [TurnSummary.of(t) for t in await uow.sessions.turns(session.id)]
        session.end(actor, campaign, plot_point(history, ended=True))
        await uow.commit()
    return session


async def submit_turn(uow: UnitOfWork, actor: Actor, command: SubmitTurn) -> Turn:
    """Play one turn. Turns of a session queue on its row lock; a retried submit with the
    same idempotency key and the same actions returns the first turn and writes nothing."""
    actor.require_user()
    key = check_idempotency_key(command.idempotency_key)
    actions = list(command.actions)
    async with uow:
        # Every character taking part may change (a relationship, a skill, its runs of
        # outcomes and so its personality), so all are locked, in id order, so turns
        # touching them queue rather than fail on a version conflict; and before the
        # campaign, the order deleting a character takes them in, so the two cannot
        # deadlock.
        involved = {a.character_id for a in actions} | {t for a in actions for t in a.target_ids}
        cast = {c.id: c for c in await uow.characters.get_many(sorted(involved), lock=True)}
        session, campaign = await _played_by(uow, actor, command.session_id)
        if key is not None:
            earlier = await uow.sessions.turn_by_key(session.id, key)
            if earlier is not None:
                if (
                    earlier.request_hash != request_hash(actions)
                    or earlier.submitted_by != actor.user_id
                ):
                    raise IdempotencyConflict()
                return earlier
        record = await uow.facts.established(
            campaign.id, sorted(involved), sorted({a.character_id for a in actions})
        )
        turn = session.take_turn(actor, campaign, cast, actions, key, record)
        await uow.commit()
    return turn
