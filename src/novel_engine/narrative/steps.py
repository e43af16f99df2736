"""The story engine's steps, as pure functions of a turn's setting and events: what each
step asks a model, and what it makes of the answer.

The engine's jobs (`engine.py`) and replay (`replay.py`) both call these, so a replay
asks exactly what the engine asked and reads the answers exactly as it read them.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

from novel_engine.domain.actions import ActionKind
from novel_engine.domain.brief import HeldBelief
from novel_engine.domain.character import Character
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.language import CallKey, ModelAnswer, ModelRequest
from novel_engine.domain.narration import PersonaReply
from novel_engine.domain.perception import Perspective, perceive
from novel_engine.domain.scene import (
    Held,
    Outcome,
    PersonaView,
    Scene,
    SceneAction,
    SceneCharacter,
    ViewpointScene,
)
from novel_engine.domain.services.storytelling import TurnSetting
from novel_engine.domain.session import Action, recorded_action
from novel_engine.domain.story import Tone
from novel_engine.domain.writing import world_genre, world_tone
from novel_engine.narrative.knowledge import perceptions
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import (
    narration_request,
    reaction_request,
    viewpoint_narration_request,
)
from novel_engine.narrative.reaction import validate_reaction

log = logging.getLogger(__name__)

# The engine's job, run once per turn, and the step of it that narrates (a persona's
# step is `reaction_step(character id)`).
TELLING = "turn-story"
NARRATION = "narration"
# A chunk is stored and sent when a sentence ends, or when this much text waits.
CHUNK_MAX = 400
# A sentence's end, once the space after it has come (a model's tokens often bring the
# space with the next word: "ferry", ".", " Mira").
_SENTENCE_END = re.compile("[.!?\u2026][\"'\u201d\u2019)]*(?=\\s)")
_ACTED = (EventType.DIALOGUE_EXCHANGED, EventType.ACTION_PERFORMED)
_OFFLINE = OfflineModel()  # answers for a persona whose model answered out of bounds


def reaction_step(persona_id: uuid.UUID) -> str:
    """The step name a persona's model call is recorded under."""
    return f"reaction:{persona_id}"


def viewpoint_step(character_id: uuid.UUID) -> str:
    """The step name the telling from a character's point of view is recorded under."""
    return f"viewpoint:{character_id}"


@dataclass(frozen=True)
class Witnessed:
    """An action of the turn as it happened: its event, where, and who saw it."""

    event: StoredEvent
    action: Action
    success: bool
    told: str  # what the prose may say came of it (never the director's numbers)
    location: str | None
    witnesses: frozenset[uuid.UUID]


# Personas ---------------------------------------------------------------------------


def personas_asked(
    setting: TurnSetting, events: list[StoredEvent], limit: int
) -> list[tuple[Character, list[Witnessed]]]:
    """The AI-played characters that react to the turn, in the campaign's cast order, up
    to `limit`, each with what it witnessed of the actions played (other characters')."""
    played = [e for e in events if not is_reaction(e)]
    happened = witnessed(played, setting.cast)
    asked: list[tuple[Character, list[Witnessed]]] = []
    for persona_id in setting.campaign.character_ids:
        if len(asked) >= limit:
            break
        persona = setting.cast.get(persona_id)
        if persona is None or persona_id not in setting.campaign.ai_character_ids:
            continue
        seen = [
            w for w in happened if persona_id in w.witnesses and w.action.character_id != persona_id
        ]
        if seen:
            asked.append((persona, seen))
    return asked


def persona_request(
    setting: TurnSetting, persona: Character, seen: list[Witnessed], job_id: str
) -> tuple[PersonaView, ModelRequest]:
    """What the persona is asked: its turn brief (where it is, who is there, what it
    believes, what it perceived before and this turn, its goals), never more."""
    view = persona_view(setting, persona, seen)
    key = CallKey(job_id, reaction_step(persona.id), setting.campaign.id, setting.turn.id)
    return view, reaction_request(view, key)


def persona_view(setting: TurnSetting, persona: Character, seen: list[Witnessed]) -> PersonaView:
    """The persona's view: this turn's actions it perceived (the newest of its brief's
    recent events) in a scene at its place with those present, and the rest of its
    brief in words."""
    brief = setting.briefs.get(persona.id)
    if brief is None:
        return PersonaView(SceneCharacter.of(persona), scene_of(setting, seen, [persona]))
    scene = replace(
        scene_of(setting, seen, with_also=[persona, *brief.present]), place=brief.location
    )
    names = {c.id: c.name for c in setting.cast.values()}
    this_turn = min((w.event.position for w in seen), default=0)
    earlier = [s for s in brief.recent if s.position < this_turn]
    recollections = [
        p.account
        for stored in earlier
        for p in perceptions(stored, brief.turn, names)
        if p.character_id == persona.id
    ]
    return PersonaView(
        SceneCharacter.of(persona),
        scene,
        beliefs=tuple(_held(h, names) for h in brief.beliefs),
        recollections=tuple(recollections),
        goals=brief.goals,
    )


def _held(held: HeldBelief, names: dict[uuid.UUID, str]) -> Held:
    b = held.belief
    told = names.get(b.told_by, "someone") if b.told_by else ""
    return Held(b.statement, b.source.value, held.reliability, told)


def reply_of(answer: ModelAnswer, view: PersonaView, seen: list[Witnessed]) -> PersonaReply:
    """The persona's reply from its model's answer; an answer out of bounds is replaced
    by the offline model's reaction (and says so)."""
    known = {c.id for c in view.scene.characters}
    try:
        reaction = validate_reaction(answer.data, known)
        model_used, fallback = answer.model_used, answer.fallback
    except InvalidInput as exc:
        log.info("persona %s answered out of bounds (%s); offline reply", view.persona.id, exc)
        reaction = _OFFLINE.react(view)
        model_used, fallback = f"{_OFFLINE.provider}/{_OFFLINE.model}", True
    target = uuid.UUID(reaction["targetId"]) if reaction["targetId"] else None
    action = Action(
        uuid.UUID(view.persona.id),
        ActionKind.DIALOGUE if reaction["kind"] == "DIALOGUE" else ActionKind.INTERACT,
        reaction["intent"],
        (target,) if target else (),
    )
    answered = [w for w in seen if target and w.action.character_id == target] or seen
    return PersonaReply(action, answered[-1].event.event.event_id, model_used, fallback)


# Narration --------------------------------------------------------------------------


def chronicler_request(
    setting: TurnSetting, events: list[StoredEvent], job_id: str, *, so_far: str = ""
) -> ModelRequest:
    """What the chronicler is asked: every action of the turn, reactions included; with
    `so_far` (text stored before a restart), to continue it."""
    scene = scene_of(setting, witnessed(events, setting.cast))
    key = CallKey(job_id, NARRATION, setting.campaign.id, setting.turn.id)
    return narration_request(scene, key, so_far=so_far)


# Viewpoints -------------------------------------------------------------------------


def viewpoints_told(
    setting: TurnSetting, events: list[StoredEvent]
) -> list[tuple[Character, list[StoredEvent]]]:
    """In a campaign seen through its characters, each player character (not AI-played)
    that perceived an action of the turn, in the campaign's cast order, with the turn's
    events as it perceived them (`perceive`), nothing else. None in an omniscient one."""
    if setting.campaign.perspective is not Perspective.THROUGH_CHARACTERS:
        return []
    return witnessing_players(setting, events)


def witnessing_players(
    setting: TurnSetting, events: list[StoredEvent]
) -> list[tuple[Character, list[StoredEvent]]]:
    """The player characters (not AI-played) that perceived an action of the turn, in the
    campaign's cast order, each with the turn's events as it perceived them."""
    campaign = setting.campaign
    told: list[tuple[Character, list[StoredEvent]]] = []
    for character_id in campaign.character_ids:
        character = setting.cast.get(character_id)
        if character is None or character_id in campaign.ai_character_ids:
            continue
        perceived = perceived_by(character_id, events)
        if any(p.event.event_type in _ACTED for p in perceived):
            told.append((character, perceived))
    return told


def perceived_by(character_id: uuid.UUID, events: list[StoredEvent]) -> list[StoredEvent]:
    """The events as one character perceived them: those it perceived nothing of left
    out, the others whole or redacted."""
    seen = []
    for stored in events:
        payload = perceive(stored.event.event_type, stored.event.payload, character_id)
        if payload is not None:
            seen.append(replace(stored, event=replace(stored.event, payload=payload)))
    return seen


def viewpoint_request(
    setting: TurnSetting,
    character: Character,
    perceived: list[StoredEvent],
    job_id: str,
    *,
    so_far: str = "",
) -> ModelRequest:
    """What the chronicler is asked to tell from `character`'s point of view: a scene of
    the actions it perceived and the characters they involve, nothing else."""
    scene = scene_of(setting, witnessed(perceived, setting.cast), with_also=[character])
    view = ViewpointScene(SceneCharacter.of(character), scene)
    key = CallKey(job_id, viewpoint_step(character.id), setting.campaign.id, setting.turn.id)
    return viewpoint_narration_request(view, key, so_far=so_far)


class Prose:
    """A turn's text as the model streams it, cut into the chunks stored and sent: a chunk
    ends with the last sentence complete so far (the space after it goes to the next
    chunk) or when `CHUNK_MAX` characters wait. The text is the answer less its trailing
    space, however the answer was cut into pieces.

    Resuming after a crash with the text `stored` so far, a model that starts over (the
    offline one) has its repeat of it skipped; one that continues is appended to it."""

    def __init__(self, stored: str = "") -> None:
        self._stored = stored
        self.text = stored
        self._produced = ""  # what the model wrote, while deciding whether it repeats
        self._deciding = bool(stored)
        self._buffer = ""

    def add(self, piece: str) -> str | None:
        """Take the next piece; the chunk to store now, if one is complete."""
        if self._deciding:
            self._produced += piece
            if self._stored.startswith(self._produced):
                return None  # still repeating what is stored
            self._deciding = False
            if self._produced.startswith(self._stored):
                piece = self._produced[len(self._stored) :]
            else:  # a continuation: it follows the stored text
                piece = self._produced
                if not self._stored[-1:].isspace() and not piece[:1].isspace():
                    piece = " " + piece
        self._buffer += piece
        ends = [m.end() for m in _SENTENCE_END.finditer(self._buffer)]
        if ends:
            return self._cut(ends[-1])
        if len(self._buffer) >= CHUNK_MAX:
            return self._cut(len(self._buffer.rstrip()))
        return None

    def end(self) -> str | None:
        """The answer is complete: the last chunk, if any text waits."""
        self._buffer = self._buffer.rstrip()
        return self._cut(len(self._buffer))

    def _cut(self, at: int) -> str | None:
        chunk, self._buffer = self._buffer[:at], self._buffer[at:]
        if not chunk:
            return None
        self.text += chunk
        return chunk


# The turn's actions and their scene ---------------------------------------------------


def is_reaction(stored: StoredEvent) -> bool:
    """An AI-played character's reaction, recorded after the turn was played."""
    return stored.event.payload.get("aiControlled") is True


def witnessed(events: list[StoredEvent], cast: dict[uuid.UUID, Character]) -> list[Witnessed]:
    """The turn's actions and reactions, in the order played, from their events (of
    characters still in the cast)."""
    found = []
    for stored in events:
        event = stored.event
        if event.event_type not in _ACTED:
            continue
        payload: dict[str, Any] = event.payload
        action = action_of(stored)
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


def action_of(stored: StoredEvent) -> Action:
    """The action a dialogue or action event records."""
    return recorded_action(stored.event)


def scene_of(
    setting: TurnSetting,
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
        genre=world_genre(world),
        tone=world_tone(world) or _tone_of(happened),
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


def _text(value: object) -> str:
    return value.strip()[:200] if isinstance(value, str) else ""
