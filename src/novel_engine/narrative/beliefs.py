"""The beliefs projection: what each character of a campaign believes, derived from the
campaign's events by a durable handler, and rebuildable from them.

It reads the campaign's stream after its checkpoint and writes the beliefs every
perceiving character takes from each event (narrative/knowledge.py) with the new
checkpoint in one transaction, the checkpoint row locked: a rerun, or the story engine
catching the projection up before a persona's brief, never applies an event twice.
"""

from __future__ import annotations

import uuid

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.messagebus import Handlers, Job, JobContext, RetryPolicy
from novel_engine.domain.perception import BELIEFS_PROJECTION as BELIEFS
from novel_engine.domain.perception import Belief, Checkpoint
from novel_engine.domain.ports import EventStoreReader, UnitOfWork
from novel_engine.narrative.knowledge import characters_named, perceptions, starts_turn

READ_BATCH = 500
# The events that teach something (a turn's initiating event always commits with its
# actions); any other only waits for the next.
TAUGHT_BY = [
    EventType.ACTION_PERFORMED,
    EventType.DIALOGUE_EXCHANGED,
    EventType.WORLD_STATE_CHANGED,
    # A branch's copied history asks for no work: its last event builds its beliefs.
    EventType.CAMPAIGN_FORKED,
]


class BeliefProjection:
    def __init__(self, events: EventStoreReader) -> None:
        self._events = events

    def handlers(self) -> Handlers:
        handlers = Handlers()
        handlers.add_durable(
            BELIEFS,
            on=TAUGHT_BY,
            handle=self.project,
            ordering_key=lambda stored: f"{BELIEFS}:{stored.event.stream.id}",
            retry=RetryPolicy(max_attempts=10, base_seconds=0.5, cap_seconds=60.0),
        )
        return handlers

    async def project(self, job: Job, ctx: JobContext) -> None:
        """Catch the campaign's beliefs up; the first of a commit's jobs does the work,
        the others find their event already applied."""
        campaign_id = job.event.event.stream.id
        async with ctx.unit_of_work() as uow:
            at = await uow.checkpoints.get(campaign_id, BELIEFS)
            if at.position < job.event.position:
                await self.catch_up(uow, campaign_id)
            await uow.commit()

    async def catch_up(self, uow: UnitOfWork, campaign_id: uuid.UUID) -> Checkpoint:
        """Apply every event of the campaign after the checkpoint, in `uow` (the caller
        commits); return the checkpoint reached."""
        at = await uow.checkpoints.get(campaign_id, BELIEFS, lock=True)
        while True:
            batch = await self._events.read(campaign_id, at.position, READ_BATCH)
            if not batch:
                break
            at = await self._apply(uow, campaign_id, at, batch)
            if len(batch) < READ_BATCH:
                break
        await uow.checkpoints.advance(campaign_id, BELIEFS, at)
        return at

    async def rebuild(self, uow: UnitOfWork, campaign_id: uuid.UUID) -> Checkpoint:
        """Forget the campaign's beliefs and derive them again from its events."""
        await uow.beliefs.forget(campaign_id)
        await uow.checkpoints.reset(campaign_id, BELIEFS)
        return await self.catch_up(uow, campaign_id)

    async def _apply(
        self, uow: UnitOfWork, campaign_id: uuid.UUID, at: Checkpoint, batch: list[StoredEvent]
    ) -> Checkpoint:
        # A deleted character stays unnamed ("someone").
        found = await uow.characters.get_many(sorted(characters_named(batch)))
        names = {c.id: c.name for c in found}
        turn, learned = at.turn, list[Belief]()
        for stored in batch:
            if starts_turn(stored):
                turn += 1
            learned.extend(b for p in perceptions(stored, turn, names) for b in p.beliefs)
        await uow.beliefs.add(campaign_id, learned)
        return Checkpoint(batch[-1].position, turn)
