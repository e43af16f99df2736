"""Shared by the job tests: a campaign to hang jobs on, the visible effect a test job
writes through its unit of work, and looks into the jobs table."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain import commands
from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.messagebus import Job, JobContext
from novel_engine.domain.ports import PasswordHasher, UnitOfWork
from novel_engine.domain.services import campaigns, identity
from novel_engine.persistence.tables import events, jobs


async def a_campaign(
    unit_of_work: Callable[[], UnitOfWork], hasher: PasswordHasher, name: str = "Gloom"
) -> Campaign:
    """A new campaign, owned by a new user."""
    user = await identity.sign_up(
        unit_of_work(),
        Actor.anonymous(),
        hasher,
        commands.SignUp(f"{uuid.uuid4().hex[:12]}@example.com", "correct horse battery", "Ada"),
    )
    return await campaigns.create_campaign(
        unit_of_work(), Actor(user.id), commands.CreateCampaign(name)
    )


async def change_world(
    uow: UnitOfWork,
    campaign_id: uuid.UUID,
    patch: dict[str, Any],
    reason: str = "",
    caused_by: StoredEvent | None = None,
) -> None:
    """Change a campaign's world as its owner (for a job: caused by the job's event)."""
    async with uow:
        campaign = await uow.campaigns.get(campaign_id)
        assert campaign is not None
        actor = Actor(campaign.owner_id)
        if caused_by is not None:
            cause = caused_by.event
            actor = Actor(campaign.owner_id, cause.correlation_id, cause.event_id)
        campaign.update_world_state(actor, patch, campaign.world_version, reason=reason)
        await uow.commit()


def effect_reason(job_id: uuid.UUID | str) -> str:
    return f"marked by job {job_id}"


async def mark_world(job: Job, ctx: JobContext) -> None:
    """A durable job's effect: one world change on its campaign, naming the job."""
    await change_world(
        ctx.unit_of_work(),
        job.event.event.stream.id,
        {"marks": {str(job.id): job.attempt}},
        reason=effect_reason(job.id),
        caused_by=job.event,
    )


async def effects(engine: AsyncEngine, job_id: uuid.UUID | str) -> int:
    """How many world changes the job wrote."""
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.payload).where(
                events.c.event_type == EventType.WORLD_STATE_CHANGED.value
            )
        )
        return sum(1 for (payload,) in found if payload["changeReason"] == effect_reason(job_id))


# Jobs every server asks for when the world changes (the projections of a campaign's
# stream), which tests of the job machinery do not count.
PROJECTIONS = ("beliefs", "memories")


async def job_rows(engine: AsyncEngine) -> list[Any]:
    """The jobs written so far, oldest first, but the projections'."""
    stmt = select(jobs).where(jobs.c.kind.not_in(PROJECTIONS)).order_by(jobs.c.created_at)
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


async def until(check: Callable[[], Awaitable[bool]], within: float = 20) -> None:
    """Wait until `check()` holds: state a test can only poll."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - the database cannot signal us
            await asyncio.sleep(0.05)
