"""A session's turns as the database keeps them, for replay: each turn's setting, its
events, the story engine's jobs for it and what their model calls answered. Reads only:
no row locks, no write lock, nothing written."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import CallRecord
from novel_engine.domain.services import storytelling
from novel_engine.domain.services.storytelling import PlayedTurn
from novel_engine.persistence import model_calls
from novel_engine.persistence.event_store import to_stored_event
from novel_engine.persistence.tables import events, jobs, turns
from novel_engine.persistence.uow import SqlUnitOfWork


class SqlSessionLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def played(self, session_id: uuid.UUID) -> list[PlayedTurn] | None:
        """The session's turns in the order played; None when there is no such session."""
        async with SqlUnitOfWork(self._engine, read_only=True) as uow:
            if await uow.sessions.get(session_id) is None:
                return None
            async with self._engine.connect() as conn:
                turn_ids = list(
                    await conn.scalars(
                        select(turns.c.id)
                        .where(turns.c.session_id == session_id)
                        .order_by(turns.c.number)
                    )
                )
                about = await _events_about(conn, turn_ids)
                job_ids, answers = await _answers(conn, about)
            return [
                PlayedTurn(
                    await storytelling.setting(
                        uow, session_id, turn_id, briefs_at=_resolved_at(about[turn_id])
                    ),
                    about[turn_id],
                    job_ids[turn_id],
                    answers[turn_id],
                )
                for turn_id in turn_ids
            ]


def _resolved_at(about: list[StoredEvent]) -> int | None:
    """Where the turn's resolution stands in the campaign's stream: its personas' briefs
    are as of there."""
    return next(
        (e.position for e in about if e.event.event_type is EventType.INTERACTION_RESOLVED),
        None,
    )


async def _events_about(
    conn: AsyncConnection, turn_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[StoredEvent]]:
    """Each turn's events, in commit order (they all go to the campaign's stream)."""
    about: dict[uuid.UUID, list[StoredEvent]] = {t: [] for t in turn_ids}
    found = await conn.execute(
        select(events)
        .where(events.c.aggregate_id.in_(turn_ids))
        .order_by(events.c.stream_id, events.c.position)
    )
    for row in found:
        about[row.aggregate_id].append(to_stored_event(row))
    return about


async def _answers(
    conn: AsyncConnection, about: dict[uuid.UUID, list[StoredEvent]]
) -> tuple[dict[uuid.UUID, dict[str, str]], dict[uuid.UUID, dict[str, CallRecord]]]:
    """Per turn, the jobs its resolution asked for (kind -> id), and the answer each of
    their steps kept: the last attempt that produced one."""
    turn_of = {
        s.event.event_id: turn_id
        for turn_id, stored in about.items()
        for s in stored
        if s.event.event_type is EventType.INTERACTION_RESOLVED
    }
    job_ids: dict[uuid.UUID, dict[str, str]] = {t: {} for t in about}
    answers: dict[uuid.UUID, dict[str, CallRecord]] = defaultdict(dict)
    found = await conn.execute(
        select(jobs.c.id, jobs.c.kind, jobs.c.event_id).where(jobs.c.event_id.in_(turn_of))
    )
    turn_of_job = {}
    for job_id, kind, event_id in found:
        job_ids[turn_of[event_id]][kind] = str(job_id)
        turn_of_job[job_id] = turn_of[event_id]
    for record in await model_calls.answered(conn, turn_of_job):
        answers[turn_of_job[uuid.UUID(record.job_id)]][record.step] = record
    return job_ids, answers
