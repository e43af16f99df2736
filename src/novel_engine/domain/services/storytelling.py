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
    *,
    final: bool = True,
) -> tuple[NarrativeChunk, int] | None:
    """Save the turn's text and its `narratives.turn.narrated` event with the chunk that
    ends its stream, in one transaction; the stored chunk and the cursor before it, or
    None if the turn is gone or already over. Not `final` when the turn is still to be
    told from its characters' points of view."""
    turn = await uow.sessions.turn(turn_id)
    if turn is not None and turn.narrative is not None:
        await uow.commit()  # written already
        return None

    async def end(session: Session, turn: Turn) -> Turn:
        history = [t for t in await uow.sessions.turns(session.id) if t.number <= turn.number]
        reached = plot_point([TurnSummary.of(t) for t in history])
        return session.narrated(
            actor, turn, text, model_used, fallback, usage, reached, final=final
        )

    ended = await _end(uow, turn_id, end, [None])
    return ended[0] if ended else None


async def viewpoint_narrated(
    uow: UnitOfWork,
    actor: Actor,
    turn_id: uuid.UUID,
    viewpoint: uuid.UUID,
    text: str,
    model_used: str,
    fallback: bool,
    usage: Usage,
    *,
    final: bool,
) -> tuple[NarrativeChunk, int] | None:
    """Save one point of view's telling: its `narratives.turn.viewpoint-narrated` event
    and the chunk that ends its stream, in one transaction (the `final` one ends the
    turn's narration); None if the turn is gone, over, or this telling was written."""
    written = await uow.narration.chunks(turn_id)
    if any(c.done and c.viewpoint == viewpoint for c in written):
        await uow.commit()  # written already
        return None

    async def end(session: Session, turn: Turn) -> Turn:
        return session.viewpoint_narrated(
            actor, turn, viewpoint, text, model_used, fallback, usage, final=final
        )

    ended = await _end(uow, turn_id, end, [viewpoint])
    return ended[0] if ended else None


async def narration_failed(
    uow: UnitOfWork, turn_id: uuid.UUID, reason: str
) -> list[tuple[NarrativeChunk, int]]:
    """The turn will not be narrated (or not from every point of view): it says why, and
    every telling of it still open ends its stream (the omniscient one always)."""

    async def end(session: Session, turn: Turn) -> Turn:
        return session.narration_failed(turn, reason)

    written = await uow.narration.chunks(turn_id)
    over = {c.viewpoint for c in written if c.done}
    started = {c.viewpoint for c in written if c.viewpoint is not None}
    open_tellings = [v for v in [None, *sorted(started)] if v not in over]
    return await _end(uow, turn_id, end, open_tellings)


async def narration_finished(uow: UnitOfWork, turn_id: uuid.UUID) -> None:
    """Every telling of the turn is written (a restart found none left): it is DONE."""
    turn = await uow.sessions.turn(turn_id)
    session = await uow.sessions.get(turn.session_id) if turn else None
    if turn is not None and session is not None and turn.narration_status not in OVER:
        session.narration_finished(turn)
    await uow.commit()


async def _end(
    uow: UnitOfWork,
    turn_id: uuid.UUID,
    end: Callable[[Session, Turn], Awaitable[Turn]],
    tellings: list[uuid.UUID | None],
) -> list[tuple[NarrativeChunk, int]]:
    """Change the turn with `end`, then store the last chunk of each of `tellings`."""
    turn = await uow.sessions.turn(turn_id)
    session = await uow.sessions.get(turn.session_id) if turn else None
    if turn is None or session is None or turn.narration_status in OVER:
        await uow.commit()  # nothing to write
        return []
    await end(session, turn)
    written = await uow.narration.chunks(turn_id)
    stored = []
    for viewpoint in tellings:
        sequence = sum(1 for c in written if c.viewpoint == viewpoint)
        last = NarrativeChunk(session.id, turn.id, sequence, "", True, viewpoint=viewpoint)
        stored.append(await uow.narration.add(last))
    await uow.commit()
    return stored
