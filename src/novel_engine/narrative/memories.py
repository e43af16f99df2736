"""The memories projection: what each character of a campaign remembers, from the
campaign's event log.

A durable job (kind "memories", one at a time per campaign) reads the campaign's stream
after its checkpoint in batches. For each batch, outside any transaction, it works out
who perceived what (narrative/knowledge.py), scores the new memories' importance in one
model call, and lets each character whose accumulated importance passes the threshold
reflect (one model call per reflection). Then, in one unit of work under the job's
lease, it locks the checkpoint: if another run moved it meanwhile, the batch is dropped
and read again from there; otherwise the memories and insights are written and the
checkpoint advanced, together. A rerun therefore never doubles a memory, and a rebuild
(forget everything, read again from the first event) gives what the live projection
gave: reflections are decided memory by memory, never by batch.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import CallKey, LanguageModel
from novel_engine.domain.memory import (
    DEFAULT_REFLECTION_THRESHOLD,
    ImportanceSheet,
    Insight,
    Memory,
    Note,
    Recollection,
    ReflectionSheet,
)
from novel_engine.domain.messagebus import Handlers, Job, JobContext, RetryPolicy
from novel_engine.domain.perception import Checkpoint, MemoryKind
from novel_engine.domain.ports import EventStoreReader, UnitOfWork
from novel_engine.narrative.knowledge import (
    Perception,
    characters_named,
    perceptions,
    starts_turn,
)
from novel_engine.narrative.memory import (
    REFLECTION_WINDOW,
    importance,
    importance_request,
    insights_of,
    note_of,
    reflect,
    reflection_request,
    scores_of,
)

log = logging.getLogger(__name__)

MEMORIES = "memories"
BATCH = 200
# What can leave a memory, or move game time on.
ON = (
    EventType.ACTION_PERFORMED,
    EventType.DIALOGUE_EXCHANGED,
    EventType.WORLD_STATE_CHANGED,
    # A branch's copied history asks for no work: its last event builds its memories.
    EventType.CAMPAIGN_FORKED,
)


class Units(Protocol):
    """Where the projection reads and writes: a job's lease-guarded units of work, or
    plain ones (a rebuild from the command line)."""

    def unit_of_work(self, *, finishes: bool = True) -> UnitOfWork: ...

    def reading(self) -> UnitOfWork: ...


@dataclass
class _Reflection:
    character_id: uuid.UUID
    after: int  # index in the batch's new memories it follows
    refs: dict[int, int | tuple[str, int]]  # ref -> stored id, or ("new", index)
    insights: list[Insight]
    covers: int | tuple[str, int]  # the last memory reflected on


@dataclass
class _Plan:
    start: Checkpoint
    end: Checkpoint
    memories: list[Memory] = field(default_factory=list)
    reflections: list[_Reflection] = field(default_factory=list)


class MemoryProjection:
    def __init__(
        self,
        model: LanguageModel,
        events: EventStoreReader,
        *,
        reflection_threshold: int = DEFAULT_REFLECTION_THRESHOLD,
        batch: int = BATCH,
    ) -> None:
        if reflection_threshold < 1 or batch < 1:
            raise ValueError("the reflection threshold and the batch must be at least 1")
        self._model = model
        self._events = events
        self._threshold = reflection_threshold
        self._batch = batch

    def handlers(self) -> Handlers:
        handlers = Handlers()
        handlers.add_durable(
            MEMORIES,
            on=ON,
            handle=self.run,
            ordering_key=lambda stored: f"memories:{stored.event.stream.id}",
            retry=RetryPolicy(max_attempts=8, base_seconds=1.0, cap_seconds=60.0),
        )
        return handlers

    async def run(self, job: Job, ctx: JobContext) -> None:
        """Bring the campaign's memories up to date with its stream, then finish."""
        await self.project(ctx, job.event.event.stream.id, str(job.id))
        async with ctx.unit_of_work() as uow:
            await uow.commit()

    async def project(self, units: Units, campaign_id: uuid.UUID, caller: str) -> int:
        """Apply every event after the checkpoint; returns the memories written."""
        written = 0
        while True:
            async with units.reading() as uow:
                start = await uow.checkpoints.get(campaign_id, MEMORIES)
            stored = await self._events.read(campaign_id, start.position, self._batch)
            if not stored:
                return written
            plan = await self._plan(units, campaign_id, start, stored, caller)
            async with units.unit_of_work(finishes=False) as uow:
                now = await uow.checkpoints.get(campaign_id, MEMORIES, lock=True)
                if now != start:
                    log.info("memories of %s moved on meanwhile; reading again", campaign_id)
                    continue
                written += await _apply(uow, campaign_id, plan)
                await uow.commit()

    async def rebuild(self, units: Units, campaign_id: uuid.UUID, caller: str) -> int:
        """Forget the campaign's memories and project them again from its first event."""
        async with units.unit_of_work(finishes=False) as uow:
            await uow.checkpoints.get(campaign_id, MEMORIES, lock=True)
            await uow.memories.clear(campaign_id)
            await uow.checkpoints.reset(campaign_id, MEMORIES)
            await uow.commit()
        return await self.project(units, campaign_id, caller)

    async def _plan(
        self,
        units: Units,
        campaign_id: uuid.UUID,
        start: Checkpoint,
        stored: list[StoredEvent],
        caller: str,
    ) -> _Plan:
        seen = await self._perceived(units, stored, start.turn)
        turn = start.turn + sum(1 for s in stored if starts_turn(s))
        plan = _Plan(start, Checkpoint(stored[-1].position, turn))
        if not seen:
            return plan
        notes = [note for _, note in seen]
        key = CallKey(caller, f"memory-importance:{start.position}", campaign_id)
        scores = await self._scores(notes, key)
        for (perception, note), score in zip(seen, scores, strict=True):
            plan.memories.append(
                Memory(
                    campaign_id=campaign_id,
                    character_id=note.character_id,
                    kind=note.kind,
                    content=note.content,
                    importance=score,
                    created_at_turn=perception.turn,
                    last_accessed_turn=perception.turn,
                    position=perception.position,
                    event_id=perception.event_id,
                )
            )
        await self._reflections(units, campaign_id, plan, notes, caller)
        return plan

    async def _perceived(
        self, units: Units, stored: list[StoredEvent], turn: int
    ) -> list[tuple[Perception, Note]]:
        """Who perceived what, in stream order, with the characters named."""
        timed: list[tuple[StoredEvent, int]] = []
        for event in stored:
            turn += starts_turn(event)
            timed.append((event, turn))
        ids = characters_named(stored)
        if not ids:
            return []
        async with units.reading() as uow:
            names = {c.id: c.name for c in await uow.characters.get_many(sorted(ids, key=str))}
        return [
            (p, note_of(event, p)) for event, at in timed for p in perceptions(event, at, names)
        ]

    async def _scores(self, notes: list[Note], key: CallKey) -> list[int]:
        sheet = ImportanceSheet(tuple(notes))
        try:
            answer = await self._model.generate(importance_request(sheet, key))
            scores = scores_of(answer.data, sheet)
        except Exception:
            log.warning("scoring memories by model failed; the rules score them", exc_info=True)
            scores = None
        if scores is None:
            return [importance(n) for n in notes]
        return scores

    async def _reflections(
        self, units: Units, campaign_id: uuid.UUID, plan: _Plan, notes: list[Note], caller: str
    ) -> None:
        """Walk the new memories in order; each character whose importance since its last
        reflection reaches the threshold reflects on those memories there and then."""
        characters = sorted({m.character_id for m in plan.memories}, key=str)
        async with units.reading() as uow:
            earlier = await uow.memories.unreflected(campaign_id, characters)
        # Per character: (ref target, note, importance) since it last reflected.
        window: dict[uuid.UUID, list[tuple[int | tuple[str, int], Note | Memory, int]]] = {
            c: [(m.id, m, m.importance) for m in earlier.get(c, [])] for c in characters
        }
        for index, (memory, note) in enumerate(zip(plan.memories, notes, strict=True)):
            mine = window[memory.character_id]
            mine.append((("new", index), note, memory.importance))
            if sum(score for _, _, score in mine) < self._threshold:
                continue
            latest = [
                (target, await self._note_again(campaign_id, n), score)
                for target, n, score in mine[-REFLECTION_WINDOW:]
            ]
            sheet = ReflectionSheet(
                memory.character_id,
                await self._name(units, memory.character_id),
                await self._names(units, [n for _, n, _ in latest]),
                tuple(Recollection(r, n, s) for r, (_, n, s) in enumerate(latest, 1)),
            )
            step = f"memory-reflection:{memory.character_id}:{memory.position}"
            key = CallKey(caller, step, campaign_id)
            insights = await self._insights(sheet, key)
            refs = {r: target for r, (target, _, _) in enumerate(latest, 1)}
            plan.reflections.append(
                _Reflection(memory.character_id, index, refs, insights, ("new", index))
            )
            window[memory.character_id] = []

    async def _note_again(self, campaign_id: uuid.UUID, memory: Note | Memory) -> Note:
        """A memory written by an earlier batch as the reflection rules read it: its event
        read again for what happened (a memory keeps only its words)."""
        if isinstance(memory, Note):
            return memory
        for event in await self._events.read(campaign_id, memory.position - 1, 1):
            for p in perceptions(event, memory.created_at_turn, {}):
                if p.character_id == memory.character_id:
                    return replace(note_of(event, p), content=memory.content)
        raise LookupError(f"memory {memory.id} has no event at position {memory.position}")

    async def _insights(self, sheet: ReflectionSheet, key: CallKey) -> list[Insight]:
        try:
            answer = await self._model.generate(reflection_request(sheet, key))
            found = insights_of(answer.data, sheet)
        except Exception:
            log.warning("reflecting by model failed; the rules reflect", exc_info=True)
            found = None
        return reflect(sheet) if found is None else found

    async def _name(self, units: Units, character_id: uuid.UUID) -> str:
        return (await self._names(units, [], [character_id])).get(character_id, "someone")

    async def _names(
        self, units: Units, notes: Sequence[Note], more: Sequence[uuid.UUID] = ()
    ) -> dict[uuid.UUID, str]:
        ids = {n.doer for n in notes if n.doer is not None} | set(more)
        async with units.reading() as uow:
            return {c.id: c.name for c in await uow.characters.get_many(sorted(ids, key=str))}


async def _apply(uow: UnitOfWork, campaign_id: uuid.UUID, plan: _Plan) -> int:
    """Write the batch's memories and insights in order, and advance the checkpoint."""
    ids: dict[int, int] = {}  # index of a new memory -> its stored id
    done = 0
    written = 0
    for reflection in [*plan.reflections, None]:
        until = len(plan.memories) if reflection is None else reflection.after + 1
        stored = await uow.memories.add(plan.memories[done:until])
        ids.update({done + i: m.id for i, m in enumerate(stored)})
        written += len(stored)
        done = until
        if reflection is None:
            break

        def stored_id(target: int | tuple[str, int]) -> int:
            return ids[target[1]] if isinstance(target, tuple) else target

        trigger = plan.memories[reflection.after]
        insights = [
            Memory(
                campaign_id=campaign_id,
                character_id=reflection.character_id,
                kind=MemoryKind.REFLECTION,
                content=insight.statement,
                importance=insight.importance,
                created_at_turn=trigger.created_at_turn,
                last_accessed_turn=trigger.created_at_turn,
                position=trigger.position,
                evidence=tuple(stored_id(reflection.refs[r]) for r in insight.evidence),
            )
            for insight in reflection.insights
        ]
        written += len(await uow.memories.add(insights))
        await uow.memories.mark_reflected(
            campaign_id, reflection.character_id, stored_id(reflection.covers)
        )
    await uow.checkpoints.advance(campaign_id, MEMORIES, plan.end)
    return written
