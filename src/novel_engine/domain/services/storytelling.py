"""What the story engine's jobs write: persona reactions and a turn's narration. Each is
one unit of work; the model calls that decide what to write happen before, outside it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from novel_engine.domain import brief
from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.character import Character
from novel_engine.domain.errors import NotFound
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.language import CallRecord
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk, PersonaReply, Usage
from novel_engine.domain.plot import TurnSummary, plot_point
from novel_engine.domain.ports import UnitOfWork
from novel_engine.domain.session import Session, Turn

if TYPE_CHECKING:
    from novel_engine.domain.brief import TurnBrief

OVER = (NarrationStatus.DONE, NarrationStatus.FAILED)


@dataclass(frozen=True)
class TurnSetting:
    """A played turn with everything its narration and its personas draw on."""

    session: Session
    campaign: Campaign
    turn: Turn
    cast: dict[uuid.UUID, Character]
    chunks: list[NarrativeChunk]
    # The AI-played characters' turn briefs as they stood when the turn was resolved.
    briefs: dict[uuid.UUID, TurnBrief] = field(default_factory=dict)


@dataclass(frozen=True)
class PlayedTurn:
    """A turn as the log keeps it, for replay: its setting, its events in commit order,
    the story engine's jobs for it (kind -> job id) and the recorded call that answered
    each of their steps (step -> its last answered attempt; a step with none is missing)."""

    setting: TurnSetting
    events: list[StoredEvent]
    jobs: dict[str, str]
    answers: dict[str, CallRecord]


async def setting(
    uow: UnitOfWork, session_id: uuid.UUID, turn_id: uuid.UUID, *, briefs_at: int | None = None
) -> TurnSetting:
    """Read (in `uow`, which is not committed) a turn and its world as they stand, its
    characters' personalities as they were when it was played; with `briefs_at`, the
    AI-played characters' briefs as of that position of the campaign's stream (the
    turn's resolution), for their personas."""
    session = await uow.sessions.get(session_id)
    campaign = await uow.campaigns.get(session.campaign_id) if session else None
    turn = await uow.sessions.turn(turn_id)
    if session is None or campaign is None or turn is None:
        raise NotFound("No such turn: its session or campaign is gone.", "turnId")
    characters = await uow.characters.get_many(campaign.character_ids)
    # The engine tells a turn with personalities as they were when it was played: one
    # drifted in play or edited since changes neither its reactions nor its prose, and
    # replay rebuilds the same prompts however late it runs.
    then = await uow.characters.personalities_at([c.id for c in characters], turn.created_at)
    cast = {c.id: replace(c, personality=then.get(c.id, c.personality)) for c in characters}
    chunks = await uow.narration.chunks(turn_id)
    briefs = {}
    if briefs_at is not None:
        for persona in sorted(campaign.ai_character_ids):
            if persona in campaign.character_ids:
                loaded = await brief.load(uow, campaign, persona, up_to=briefs_at)
                briefs[persona] = replace(
                    loaded,
                    character=cast.get(persona, loaded.character),
                    present=tuple(cast.get(c.id, c) for c in loaded.present),
                )
    return TurnSetting(session, campaign, turn, cast, chunks, briefs)


async def react(
    uow: UnitOfWork,
    actor: Actor,
    session_id: uuid.UUID,
    turn_id: uuid.UUID,
    replies: list[PersonaReply],
) -> Turn | None:
    """Resolve and record the personas' replies; None when the turn's characters have
    already reacted or the turn is gone. Locks in submit_turn's order (the characters a
    reply may change, then the session, then the campaign), so the two cannot deadlock."""
    # Every character taking part may change: its runs of outcomes, a relationship.
    changing = {r.action.character_id for r in replies} | {
        t for r in replies for t in r.action.target_ids
    }
    locked = await uow.characters.get_many(sorted(changing), lock=True)
    session = await uow.sessions.get(session_id)
    campaign = await uow.campaigns.get(session.campaign_id) if session else None
    turn = await uow.sessions.turn(turn_id)
    if session is None or campaign is None or turn is None or turn.reactions:
        await uow.commit()  # nothing to write
        return None
    others = await uow.characters.get_many(
        sorted(set(campaign.character_ids) - {c.id for c in locked})
    )
    cast = {c.id: c for c in [*locked, *others]}
    playing = [r for r in replies if r.action.character_id in cast]
    changed = session.react(actor, campaign, cast, turn, playing)
    await uow.commit()
    return changed


async def add_chunk(uow: UnitOfWork, chunk: NarrativeChunk) -> tuple[NarrativeChunk, int]:
    stored = await uow.narration.add(chunk)
    await uow.commit()
    return stored


async def narrated(
    uow: UnitOfWork,
    actor: Actor,
    turn_id: uuid.UUID,
    text: str,
    model_used: str,
    fallback: bool,
    usage: Usage,
) -> tuple[NarrativeChunk, int] | None:
    """Save the turn's text and its `narratives.turn.narrated` event with the chunk that
    ends its stream, in one transaction; the stored chunk and the cursor before it, or
    None if the turn is gone or already over."""

    async def end(session: Session, turn: Turn) -> Turn:
        history = [t for t in await uow.sessions.turns(session.id) if t.number <= turn.number]
        reached = plot_point([TurnSummary.of(t) for t in history])
        return session.narrated(actor, turn, text, model_used, fallback, usage, reached)

    return await _end(uow, turn_id, end)


async def narration_failed(
    uow: UnitOfWork, turn_id: uuid.UUID, reason: str
) -> tuple[NarrativeChunk, int] | None:
    """The turn will not be narrated: it says why, and its stream ends."""

    async def end(session: Session, turn: Turn) -> Turn:
        return session.narration_failed(turn, reason)

    return await _end(uow, turn_id, end)


async def _end(
    uow: UnitOfWork, turn_id: uuid.UUID, end: Callable[[Session, Turn], Awaitable[Turn]]
) -> tuple[NarrativeChunk, int] | None:
    turn = await uow.sessions.turn(turn_id)
    session = await uow.sessions.get(turn.session_id) if turn else None
    if turn is None or session is None or turn.narration_status in OVER:
        await uow.commit()  # nothing to write
        return None
    await end(session, turn)
    written = await uow.narration.chunks(turn_id)
    stored = await uow.narration.add(NarrativeChunk(session.id, turn.id, len(written), "", True))
    await uow.commit()
    return stored
