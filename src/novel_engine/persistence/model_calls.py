"""The model_calls table: every attempt at every model call, by job and step.

Model calls happen in durable jobs but outside their transactions, so each record is
written in a short transaction of its own. A job that runs again (a retry, a lease taken
over after a crash) makes its steps' calls again: the first attempt of a step replaces
what the earlier run recorded for it, so usage is never counted twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.events import utcnow
from novel_engine.domain.language import CallRecord
from novel_engine.persistence.engine import writing
from novel_engine.persistence.tables import model_calls

log = logging.getLogger(__name__)

_KEY = (model_calls.c.job_id, model_calls.c.step, model_calls.c.attempt)


class SqlCallRecorder:
    """Records model calls in the database (a CallRecorder), and reads a step's back."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, record: CallRecord) -> None:
        """Write one attempt. A failure to write is logged, never raised: losing a record
        must not cost the story its model call."""
        try:
            async with writing(self._engine) as conn:
                await _write(conn, record)
        except Exception:
            log.warning(
                "model call of job %s step %s attempt %d was not recorded",
                record.job_id,
                record.step,
                record.attempt,
                exc_info=True,
            )

    async def recorded(self, job_id: str, step: str) -> list[CallRecord]:
        """The attempts of one job step's latest run, first to last."""
        async with self._engine.connect() as conn:
            found = await conn.execute(
                select(model_calls)
                .where(model_calls.c.job_id == uuid.UUID(job_id), model_calls.c.step == step)
                .order_by(model_calls.c.attempt)
            )
            return [_to_record(row) for row in found]


async def answered(conn: AsyncConnection, job_ids: Collection[uuid.UUID]) -> list[CallRecord]:
    """The attempts of these jobs' latest runs that produced an answer, by attempt."""
    found = await conn.execute(
        select(model_calls)
        .where(model_calls.c.job_id.in_(job_ids), model_calls.c.answer.is_not(None))
        .order_by(model_calls.c.attempt)
    )
    return [_to_record(row) for row in found]


async def _write(conn: AsyncConnection, record: CallRecord) -> None:
    job_id = uuid.UUID(record.job_id)
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        # Two runs of one step may overlap (a lease taken over while the first still
        # runs), one deleting rows the other is inserting, which could deadlock: their
        # writes take turns instead, as SQLite's writers always do.
        step_key = f"model_calls/{job_id}/{record.step}"
        await conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(step_key, 0))))
    if record.attempt == 1:
        # A new run of this step: the earlier run's attempts no longer count.
        await conn.execute(
            delete(model_calls).where(
                and_(model_calls.c.job_id == job_id, model_calls.c.step == record.step)
            )
        )
    values = _row(job_id, record)
    insert = postgresql.insert if postgres else sqlite.insert
    # Overlapping runs write the same attempts: the later write wins instead of failing.
    await conn.execute(
        insert(model_calls)
        .values(values)
        .on_conflict_do_update(index_elements=list(_KEY), set_=values)
    )


def _row(job_id: uuid.UUID, record: CallRecord) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "step": record.step,
        "attempt": record.attempt,
        "campaign_id": record.campaign_id,
        "turn_id": record.turn_id,
        "provider": record.provider,
        "model": record.model,
        "system": record.system,
        "prompt": record.prompt,
        "answer": record.answer,
        "error": record.error,
        "prompt_tokens": record.prompt_tokens,
        "output_tokens": record.output_tokens,
        "latency": record.latency,
        "fallback": record.fallback,
        "created_at": utcnow(),
    }


def _to_record(row: Any) -> CallRecord:
    return CallRecord(
        job_id=str(row.job_id),
        step=row.step,
        attempt=row.attempt,
        provider=row.provider,
        model=row.model,
        system=row.system,
        prompt=row.prompt,
        answer=row.answer,
        prompt_tokens=row.prompt_tokens,
        output_tokens=row.output_tokens,
        latency=row.latency,
        fallback=row.fallback,
        error=row.error,
        campaign_id=row.campaign_id,
        turn_id=row.turn_id,
    )
