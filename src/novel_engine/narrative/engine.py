"""The story engine's durable work after a turn commits: AI-played characters react, then
the chronicler narrates, streaming chunks as the model writes them.

Both are jobs on `interactions.interaction.resolved` with the session as ordering key, so
a session's turns are reacted to and narrated one at a time, in the order played. Model
calls happen between units of work, never inside one; each write is a short transaction
guarded by the job's lease.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from novel_engine.domain.actions import ActionKind
from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import CallKey, LanguageModel, ModelAnswer
from novel_engine.domain.messagebus import Handlers, Job, JobContext, LeaseLost, RetryPolicy
from novel_engine.domain.narration import NarrationStatus, NarrativeChunk, PersonaReply, Usage
from novel_engine.domain.ports import EventStoreReader, NarrativePublisher
from novel_engine.domain.scene import (
    Outcome,
    PersonaView,
    Scene,
    SceneAction,
    SceneCharacter,
)
from novel_engine.domain.services import storytelling
from novel_engine.domain.session import Action
from novel_engine.domain.story import Genre, Tone
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import narration_request, reaction_request
from novel_engine.narrative.reaction import validate_reaction

log = logging.getLogger(__name__)

PERSONAS = "personas"
NARRATION = "narration"
DEFAULT_REACTIONS_PER_TURN = 3
# A chunk is stored and sent when a sentence ends, or when this much text waits.
CHUNK_MAX = 400
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)]*\\s+$")
_ACTED = (EventType.DIALOGUE_EXCHANGED, EventType.ACTION_PERFORMED)
_OVER = (NarrationStatus.DONE, NarrationStatus.FAILED)


@dataclass(frozen=True)
class Witnessed:
    """An action of the turn as it happened: its event, where, and who saw it."""

    event: StoredEvent
    action: Action
    success: bool
    told: str  # what the prose may say came of it (never the director's numbers)
    location: str | None
    witnesses: frozenset[uuid.UUID]


class StoryEngine:
    def __init__(
        self,
        model: LanguageModel,
        events: EventStoreReader,
        publisher: NarrativePublisher,
        *,
        reactions_per_turn: int = DEFAULT_REACTIONS_PER_TURN,
    ) -> None:
        if reactions_per_turn < 0:
            raise ValueError("reactions per turn cannot be negative")
        self._model = model
        self._events = events
        self._publisher = publisher
        self._reactions_per_turn = reactions_per_turn
        self._offline = OfflineModel()

    def handlers(self) -> Handlers:
        handlers = Handlers()
        retry = RetryPolicy(max_attempts=5, base_seconds=1.0, cap_seconds=60.0)
        for kind, handle in ((PERSONAS, self.react), (NARRATION, self.narrate)):
            handlers.add_durable(
                kind,
                on=[EventType.INTERACTION_RESOLVED],
                handle=handle,
                ordering_key=_session_key,
                retry=retry,
            )
        return handlers

    # Personas -------------------------------------------------------------------------

    async def react(self, job: Job, ctx: JobContext) -> None:
        """Each AI-played character that witnessed something this turn answers it, up to
        the per-turn bound, in the campaign's cast order."""
        session_id, turn_id = _turn_of(job.event)
        async with ctx.unit_of_work(finishes=False) as uow:
            setting = await storytelling.setting(uow, session_id, turn_id)
        replies: list[PersonaReply] = []
        turn = setting.turn
        if not turn.reactions and turn.narration_status is NarrationStatus.PENDING:
            happened = _witnessed(await self._events.about(turn_id), setting.cast)
            for persona_id in setting.campaign.character_ids:
                if len(replies) >= self._reactions_per_turn:
                    break
                persona = setting.cast.get(persona_id)
                if persona is None or persona_id not in setting.campaign.ai_character_ids:
                    continue
                seen = [
                    w
                    for w in happened
                    if persona_id in w.witnesses and w.action.character_id != persona_id
                ]
                if seen:
                    replies.append(await self._reply(job, setting, persona, seen))
        actor = Actor(None, correlation_id=turn.correlation_id)
        async with ctx.unit_of_work() as uow:
            await storytelling.react(uow, actor, session_id, turn_id, replies)

    async def _reply(
        self,
        job: Job,
        setting: storytelling.TurnSetting,
        persona: Character,
        seen: list[Witnessed],
    ) -> PersonaReply:
        scene = _scene(setting, seen, with_also=[persona])
        view = PersonaView(SceneCharacter.of(persona), scene)
        key = CallKey(str(job.id), f"reaction:{persona.id}", setting.campaign.id, setting.turn.id)
        answer = await self._model.generate(reaction_request(view, key))
        known = {c.id for c in scene.characters}
        try:
            reaction = validate_reaction(answer.data, known)
            model_used, fallback = answer.model_used, answer.fallback
        except InvalidInput as exc:
            log.info("persona %s answered out of bounds (%s); offline reply", persona.id, exc)
            reaction = self._offline.react(view)
            model_used, fallback = f"{self._offline.provider}/{self._offline.model}", True
        target = uuid.UUID(reaction["targetId"]) if reaction["targetId"] else None
        action = Action(
            persona.id,
            ActionKind.DIALOGUE if reaction["kind"] == "DIALOGUE" else ActionKind.INTERACT,
            reaction["intent"],
            (target,) if target else (),
        )
        answered = [w for w in seen if target and w.action.character_id == target] or seen
        return PersonaReply(action, answered[-1].event.event.event_id, model_used, fallback)

    # Narration ------------------------------------------------------------------------

    async def narrate(self, job: Job, ctx: JobContext) -> None:
        """The turn as prose, streamed: stored chunk by chunk, then the whole text with
        `narratives.turn.narrated`. Taken over after a crash, it keeps the chunks already
        stored and writes only the rest. On its last attempt a failure ends the turn
        FAILED with the reason, never stuck."""
        session_id, turn_id = _turn_of(job.event)
        try:
            await self._narrate(job, ctx, session_id, turn_id)
        except LeaseLost:
            raise
        except Exception as exc:
            if job.attempt < job.max_attempts:
                raise
            log.exception("narration of turn %s failed for good", turn_id)
            async with ctx.unit_of_work() as uow:
                ended = await storytelling.narration_failed(uow, turn_id, _reason(exc))
            if ended is not None:
                await self._publisher.publish(*ended)

    async def _narrate(
        self, job: Job, ctx: JobContext, session_id: uuid.UUID, turn_id: uuid.UUID
    ) -> None:
        async with ctx.unit_of_work(finishes=False) as uow:
            setting = await storytelling.setting(uow, session_id, turn_id)
        if setting.turn.narration_status in _OVER:
            async with ctx.unit_of_work() as uow:
                await uow.commit()
            return
        happened = _witnessed(await self._events.about(turn_id), setting.cast)
        scene = _scene(setting, happened)
        so_far = "".join(c.text for c in setting.chunks)
        key = CallKey(str(job.id), NARRATION, setting.campaign.id, turn_id)
        writer = _ChunkWriter(ctx, self._publisher, session_id, turn_id, setting.chunks)
        answer: ModelAnswer | None = None
        async for piece in self._model.stream(narration_request(scene, key, so_far=so_far)):
            if isinstance(piece, ModelAnswer):
                answer = piece
                break
            await writer.write(piece)
        if answer is None:
            raise RuntimeError("the model's stream ended without its answer")
        await writer.flush(final=True)
        actor = Actor(None, correlation_id=setting.turn.correlation_id)
        usage = Usage(1, answer.prompt_tokens, answer.output_tokens)
        async with ctx.unit_of_work() as uow:
            ended = await storytelling.narrated(
                uow, actor, turn_id, writer.text, answer.model_used, answer.fallback, usage
            )
        if ended is not None:
            await self._publisher.publish(*ended)


class _ChunkWriter:
    """Stores and sends the model's text a sentence or so at a time. Resuming after a
    crash, the text already stored is not written again: a model that starts over (the
    offline one) has its repeat of it skipped; one that continues is appended to it."""

    def __init__(
        self,
        ctx: JobContext,
        publisher: NarrativePublisher,
        session_id: uuid.UUID,
        turn_id: uuid.UUID,
        stored: list[NarrativeChunk],
    ) -> None:
        self._ctx = ctx
        self._publisher = publisher
        self._session_id = session_id
        self._turn_id = turn_id
        self._sequence = len(stored)
        self._stored = "".join(c.text for c in stored)
        self.text = self._stored
        self._produced = ""  # what the model wrote, while deciding whether it repeats
        self._deciding = bool(self._stored)
        self._buffer = ""

    async def write(self, piece: str) -> None:
        if self._deciding:
            self._produced += piece
            if self._stored.startswith(self._produced):
                return  # still repeating what is stored
            self._deciding = False
            if self._produced.startswith(self._stored):
                piece = self._produced[len(self._stored) :]
            else:  # a continuation: it follows the stored text
                piece = self._produced
                if not self._stored[-1:].isspace() and not piece[:1].isspace():
                    piece = " " + piece
        self._buffer += piece
        if len(self._buffer) >= CHUNK_MAX or _SENTENCE_END.search(self._buffer):
            await self.flush()

    async def flush(self, *, final: bool = False) -> None:
        text, self._buffer = self._buffer, ""
        if final:
            text = text.rstrip()
        if not text:
            return
        chunk = NarrativeChunk(self._session_id, self._turn_id, self._sequence, text)
        async with self._ctx.unit_of_work(finishes=False) as uow:
            stored = await storytelling.add_chunk(uow, chunk)
        self._sequence += 1
        self.text += text
        await self._publisher.publish(*stored)


def _session_key(stored: StoredEvent) -> str:
    return f"session:{stored.event.payload['sessionId']}"


def _turn_of(stored: StoredEvent) -> tuple[uuid.UUID, uuid.UUID]:
    return uuid.UUID(stored.event.payload["sessionId"]), stored.event.aggregate_id


def _reason(exc: Exception) -> str:
    return f"the narration failed: {type(exc).__name__}"


def _witnessed(events: list[StoredEvent], cast: dict[uuid.UUID, Character]) -> list[Witnessed]:
    """The turn's actions and reactions, in the order played, from their events (of
    characters still in the cast)."""
    found = []
    for stored in events:
        event = stored.event
        if event.event_type not in _ACTED:
            continue
        payload: dict[str, Any] = event.payload
        action = _action_of(event.event_type, payload)
        if action.character_id not in cast or any(t not in cast for t in action.target_ids):
            continue
        outcome = payload.get("outcome") or {}
        success = bool(outcome.get("success", True))
        found.append(
            Witnessed(
                stored,
                action,
                success,
                _told(action, success, outcome.get("consequences") or [], cast),
                payload.get("location"),
                frozenset(uuid.UUID(w) for w in payload.get("witnesses", [])),
            )
        )
    return found


def _told(
    action: Action, success: bool, consequences: list[str], cast: dict[uuid.UUID, Character]
) -> str:
    """An outcome as the story tells it: a blow that landed says who it hurt, by name;
    otherwise the prose says in its own words whether the action worked. The director's
    numbers stay in `Turn.outcomes`, for whoever wants to check them."""
    if action.kind is ActionKind.ATTACK and success and len(action.target_ids) == 1:
        target = cast[action.target_ids[0]].name
        for consequence in consequences:
            if consequence.startswith("The target is "):
                return consequence.replace("The target", target, 1)
    return ""


_KINDS = {
    "movement": ActionKind.MOVE,
    "combat": ActionKind.ATTACK,
    "skill-use": ActionKind.SKILL,
    "item-interaction": ActionKind.INTERACT,
    "wait": ActionKind.WAIT,
}


def _action_of(event_type: EventType, payload: dict[str, Any]) -> Action:
    if event_type is EventType.DIALOGUE_EXCHANGED:
        listener = payload.get("listenerId")
        return Action(
            uuid.UUID(payload["speakerId"]),
            ActionKind.DIALOGUE,
            payload["message"],
            (uuid.UUID(listener),) if listener else (),
        )
    return Action(
        uuid.UUID(payload["actingCharacterId"]),
        _KINDS.get(payload["actionType"], ActionKind.INTERACT),
        payload["actionDescription"],
        tuple(uuid.UUID(t) for t in payload["targetIds"]),
    )


def _scene(
    setting: storytelling.TurnSetting,
    happened: list[Witnessed],
    with_also: list[Character] | None = None,
) -> Scene:
    """What one narration or one persona may draw on: the actions given, the characters
    they involve, the campaign's world and style, nothing else."""
    world = setting.campaign.world_state
    involved: dict[uuid.UUID, Character] = {c.id: c for c in with_also or []}
    for w in happened:
        for character_id in (w.action.character_id, *w.action.target_ids):
            involved.setdefault(character_id, setting.cast[character_id])
    place = next((w.location for w in happened if w.location), None)
    return Scene(
        genre=_choice(Genre, world.get("genre")) or Genre.ADVENTURE,
        tone=_choice(Tone, world.get("tone")) or _tone_of(happened),
        place=place or _text(world.get("place")) or setting.campaign.name,
        characters=tuple(SceneCharacter.of(c) for c in involved.values()),
        actions=tuple(
            SceneAction(
                str(w.action.character_id),
                w.action.kind,
                w.action.intent,
                tuple(str(t) for t in w.action.target_ids),
                Outcome(w.success, w.told),
            )
            for w in happened
        ),
        narration_style=setting.campaign.narration_style,
        weather=_text(world.get("weather")),
        time_of_day=_text(world.get("timeOfDay")),
    )


def _tone_of(happened: list[Witnessed]) -> Tone:
    """With no tone set in the world state, the turn sets it: blows landed darken it,
    failures make it uncertain, a turn of talk is light, deeds that succeed are heroic."""
    kinds = [w.action.kind for w in happened]
    if any(w.action.kind is ActionKind.ATTACK and w.success for w in happened):
        return Tone.DARK
    if happened and sum(not w.success for w in happened) * 2 > len(happened):
        return Tone.MYSTERIOUS
    if kinds and all(k is ActionKind.DIALOGUE for k in kinds):
        return Tone.LIGHT
    return Tone.HEROIC


_Choice = TypeVar("_Choice", Genre, Tone)


def _choice(kind: type[_Choice], value: object) -> _Choice | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _text(value: object) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""
