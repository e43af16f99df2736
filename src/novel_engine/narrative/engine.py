"""The story engine's durable work after a turn commits: AI-played characters react, then
the chronicler narrates, streaming chunks as the model writes them; in a campaign seen
through its characters, it then tells the turn from each witnessing player character's
point of view.

One job per turn, on `interactions.interaction.resolved` with the session as ordering
key, so a session's turns are reacted to and narrated one at a time, in the order
played. Model calls happen between units of work, never inside one; each write is a
short transaction guarded by the job's lease.
"""

from __future__ import annotations

import logging
import uuid

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import LanguageModel, ModelAnswer, ModelRequest
from novel_engine.domain.messagebus import Handlers, Job, JobContext, LeaseLost, RetryPolicy
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk, PersonaReply, Usage
from novel_engine.domain.ports import EventStoreReader, NarrativePublisher
from novel_engine.domain.services import storytelling
from novel_engine.narrative.beliefs import BeliefProjection
from novel_engine.narrative.steps import (
    TELLING,
    Prose,
    chronicler_request,
    persona_request,
    personas_asked,
    reply_of,
    viewpoint_request,
    viewpoints_told,
)

log = logging.getLogger(__name__)

DEFAULT_REACTIONS_PER_TURN = 3
_OVER = (NarrationStatus.DONE, NarrationStatus.FAILED)


class StoryEngine:
    def __init__(
        self,
        model: LanguageModel,
        events: EventStoreReader,
        publisher: NarrativePublisher,
        *,
        reactions_per_turn: int = DEFAULT_REACTIONS_PER_TURN,
    ) -> None:
        self._beliefs = BeliefProjection(events)
        if reactions_per_turn < 0:
            raise ValueError("reactions per turn cannot be negative")
        self._model = model
        self._events = events
        self._publisher = publisher
        self._reactions_per_turn = reactions_per_turn

    def handlers(self) -> Handlers:
        handlers = Handlers()
        handlers.add_durable(
            TELLING,
            on=[EventType.INTERACTION_RESOLVED],
            handle=self.tell,
            ordering_key=_session_key,
            retry=RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=60.0),
        )
        return handlers

    async def tell(self, job: Job, ctx: JobContext) -> None:
        """A played turn's one job: its AI-played characters react, then the chronicler
        writes it as prose, streamed: stored chunk by chunk, then the whole text with
        `narratives.turn.narrated`. In a campaign seen through its characters, it then
        tells the turn again from the point of view of each player character that
        perceived any of it, from what it perceived alone, each streamed the same way and
        ended by `narratives.turn.viewpoint-narrated`. Run again after a crash, it keeps
        what was written (the reactions, the chunks and tellings stored) and writes only
        the rest. On its last attempt a failure ends the turn FAILED with the reason,
        never stuck."""
        session_id, turn_id = _turn_of(job.event)
        try:
            # What its characters perceived up to this turn, projected before their briefs.
            async with ctx.unit_of_work(finishes=False) as uow:
                await self._beliefs.catch_up(uow, job.event.event.stream.id)
                await uow.commit()
            async with ctx.reading() as uow:
                setting = await storytelling.setting(
                    uow, session_id, turn_id, briefs_at=job.event.position
                )
            if setting.turn.narration_status in _OVER:
                async with ctx.unit_of_work() as uow:
                    await uow.commit()
                return
            events = await self._events.about(turn_id)
            if await self._react(job, ctx, setting, events):
                events = await self._events.about(turn_id)  # now with the reactions
            told = {c.viewpoint for c in setting.chunks if c.done}
            remaining = [v for v in viewpoints_told(setting, events) if v[0].id not in told]
            if setting.turn.narrative is None:
                await self._narrate(job, ctx, setting, events, final=not remaining)
            elif not remaining:  # the tellings planned before a restart are all written
                async with ctx.unit_of_work() as uow:
                    await storytelling.narration_finished(uow, turn_id)
            for index, (character, perceived) in enumerate(remaining):
                final = index == len(remaining) - 1
                await self._tell_from(job, ctx, setting, character, perceived, final=final)
        except LeaseLost:
            raise
        except Exception as exc:
            if job.attempt < job.max_attempts:
                raise
            log.exception("narration of turn %s failed for good", turn_id)
            async with ctx.unit_of_work() as uow:
                ended = await storytelling.narration_failed(uow, turn_id, _reason(exc))
            for stored in ended:
                await self._publisher.publish(*stored)

    async def _react(
        self,
        job: Job,
        ctx: JobContext,
        setting: storytelling.TurnSetting,
        events: list[StoredEvent],
    ) -> bool:
        """Each AI-played character that witnessed something this turn answers it, up to
        the per-turn bound, in the campaign's cast order; once per turn. True when it
        wrote reactions."""
        turn = setting.turn
        if turn.reactions or turn.narration_status is not NarrationStatus.PENDING:
            return False
        replies: list[PersonaReply] = []
        for persona, seen in personas_asked(setting, events, self._reactions_per_turn):
            view, request = persona_request(setting, persona, seen, str(job.id))
            replies.append(reply_of(await self._model.generate(request), view, seen))
        if not replies:
            return False
        actor = Actor(None, correlation_id=turn.correlation_id)
        async with ctx.unit_of_work(finishes=False) as uow:
            await storytelling.react(uow, actor, turn.session_id, turn.id, replies)
        return True

    async def _narrate(
        self,
        job: Job,
        ctx: JobContext,
        setting: storytelling.TurnSetting,
        events: list[StoredEvent],
        *,
        final: bool,
    ) -> None:
        """The omniscient prose: every action of the turn."""
        turn = setting.turn
        stored = [c for c in setting.chunks if c.viewpoint is None]
        writer = _ChunkWriter(ctx, self._publisher, turn.session_id, turn.id, None, stored)
        request = chronicler_request(setting, events, str(job.id), so_far=writer.prose.text)
        answer = await self._stream(request, writer)
        actor = Actor(None, correlation_id=turn.correlation_id)
        usage = Usage(1, answer.prompt_tokens, answer.output_tokens)
        async with ctx.unit_of_work(finishes=final) as uow:
            ended = await storytelling.narrated(
                uow,
                actor,
                turn.id,
                writer.prose.text,
                answer.model_used,
                answer.fallback,
                usage,
                final=final,
            )
        if ended is not None:
            await self._publisher.publish(*ended)

    async def _tell_from(
        self,
        job: Job,
        ctx: JobContext,
        setting: storytelling.TurnSetting,
        character: Character,
        perceived: list[StoredEvent],
        *,
        final: bool,
    ) -> None:
        """The turn from `character`'s point of view, from the events it perceived."""
        turn = setting.turn
        stored = [c for c in setting.chunks if c.viewpoint == character.id]
        writer = _ChunkWriter(ctx, self._publisher, turn.session_id, turn.id, character.id, stored)
        request = viewpoint_request(
            setting, character, perceived, str(job.id), so_far=writer.prose.text
        )
        answer = await self._stream(request, writer)
        actor = Actor(None, correlation_id=turn.correlation_id)
        usage = Usage(1, answer.prompt_tokens, answer.output_tokens)
        async with ctx.unit_of_work(finishes=final) as uow:
            ended = await storytelling.viewpoint_narrated(
                uow,
                actor,
                turn.id,
                character.id,
                writer.prose.text,
                answer.model_used,
                answer.fallback,
                usage,
                final=final,
            )
        if ended is not None:
            await self._publisher.publish(*ended)

    async def _stream(self, request: ModelRequest, writer: _ChunkWriter) -> ModelAnswer:
        """The model's answer, its text stored and sent chunk by chunk as it comes."""
        async for piece in self._model.stream(request):
            if isinstance(piece, ModelAnswer):
                await writer.end()
                return piece
            await writer.write(piece)
        raise RuntimeError("the model's stream ended without its answer")


class _ChunkWriter:
    """Stores and sends each chunk of one telling of the turn as it is complete."""

    def __init__(
        self,
        ctx: JobContext,
        publisher: NarrativePublisher,
        session_id: uuid.UUID,
        turn_id: uuid.UUID,
        viewpoint: uuid.UUID | None,
        stored: list[NarrativeChunk],
    ) -> None:
        self._ctx = ctx
        self._publisher = publisher
        self._session_id = session_id
        self._turn_id = turn_id
        self._viewpoint = viewpoint
        self._sequence = len(stored)
        self.prose = Prose("".join(c.text for c in stored))

    async def write(self, piece: str) -> None:
        chunk = self.prose.add(piece)
        if chunk:
            await self._store(chunk)

    async def end(self) -> None:
        chunk = self.prose.end()
        if chunk:
            await self._store(chunk)

    async def _store(self, text: str) -> None:
        chunk = NarrativeChunk(
            self._session_id, self._turn_id, self._sequence, text, viewpoint=self._viewpoint
        )
        async with self._ctx.unit_of_work(finishes=False) as uow:
            stored = await storytelling.add_chunk(uow, chunk)
        self._sequence += 1
        await self._publisher.publish(*stored)


def _session_key(stored: StoredEvent) -> str:
    return f"session:{stored.event.payload['sessionId']}"


def _turn_of(stored: StoredEvent) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.UUID(stored.event.payload["sessionId"]), stored.event.aggregate_id


def _reason(exc: Exception) -> str:
    return f"the narration failed: {type(exc).__name__}"
