"""Replay: a session's engine steps run again from its event log, compared with what was
stored.

Each turn is rebuilt as the engine built it (`steps.py`): the personas asked and what
they saw, then the chronicler's request. Each step is answered with the answer its model
call recorded when the recorded prompt is the one rebuilt, or by the offline model when
the call was offline or left no record. A recorded prompt that differs from the rebuilt
one is a divergence (the prompt or a rule changed); so is a reaction or a text that
differs from the stored events, the turn's narrative or its chunks. In a campaign seen
through its characters, each telling from a character's point of view is replayed the
same way, after the omniscient prose.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from novel_engine.domain.actions import Action
from novel_engine.domain.character import Character
from novel_engine.domain.events import EventType
from novel_engine.domain.language import CallRecord, ModelAnswer, ModelRequest
from novel_engine.domain.narration import NarrationStatus
from novel_engine.domain.services.storytelling import PlayedTurn
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import continued_from
from novel_engine.narrative.steps import (
    NARRATION,
    TELLING,
    Prose,
    action_of,
    chronicler_request,
    is_reaction,
    persona_request,
    personas_asked,
    reaction_step,
    reply_of,
    viewpoint_request,
    viewpoint_step,
    witnessing_players,
)

_OFFLINE = OfflineModel()


@dataclass(frozen=True)
class Divergence:
    """The first place a turn's replay differs from what is stored."""

    step: str  # `reaction:<characterId>`, `narration` or `viewpoint:<characterId>`
    what: str  # the prompt, the reactions, the narrative, ...
    stored: str
    replayed: str

    def diff(self) -> str:
        lines = difflib.unified_diff(
            self.stored.splitlines(),
            self.replayed.splitlines(),
            fromfile=f"stored {self.what}",
            tofile=f"replayed {self.what}",
            lineterm="",
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class TurnReplay:
    number: int
    divergence: Divergence | None = None
    # Why part of the turn was not compared (a narration not over, or failed).
    note: str = ""

    def report(self) -> str:
        if self.divergence is None:
            return f"turn {self.number}: identical" + (f" ({self.note})" if self.note else "")
        d = self.divergence
        return f"turn {self.number}: diverges at {d.step} ({d.what})\n{d.diff()}"


async def replay(played: list[PlayedTurn], *, reactions_per_turn: int) -> list[TurnReplay]:
    """Each turn replayed and compared, in order."""
    return [await replay_turn(turn, reactions_per_turn=reactions_per_turn) for turn in played]


async def replay_turn(played: PlayedTurn, *, reactions_per_turn: int) -> TurnReplay:
    turn = played.setting.turn
    if turn.narration_status in (NarrationStatus.PENDING, NarrationStatus.STREAMING):
        return TurnReplay(turn.number, note="still being narrated: not compared")
    divergence = await _reactions(played, reactions_per_turn)
    if divergence is None and turn.narration_status is NarrationStatus.FAILED:
        note = f"reactions only; not narrated: {turn.narration_error}"
        return TurnReplay(turn.number, note=note)
    return TurnReplay(turn.number, divergence or await _narration(played))


async def _reactions(played: PlayedTurn, limit: int) -> Divergence | None:
    setting = played.setting
    stored = [action_of(e) for e in played.events if is_reaction(e)]
    job_id = played.jobs.get(TELLING, "")
    asked = personas_asked(setting, played.events, limit)
    for index, (persona, seen) in enumerate(asked):
        step = reaction_step(persona.id)
        view, request = persona_request(setting, persona, seen, job_id)
        recorded = played.answers.get(step)
        if recorded is not None and _asked(recorded) != _asked(request):
            return Divergence(step, "prompt", _asked(recorded), _asked(request))
        if recorded is not None and not _offline(recorded):
            answer = _answer_of(recorded)
        else:
            answer = await _OFFLINE.generate(request)
        reply = reply_of(answer, view, seen)
        if index >= len(stored) or stored[index] != reply.action:
            return Divergence(
                step,
                "reactions",
                _told(stored[: index + 1], setting.cast),
                _told([*stored[:index], reply.action], setting.cast),
            )
    if len(stored) > len(asked):
        extra = stored[len(asked)]
        return Divergence(
            reaction_step(extra.character_id),
            "reactions",
            _told(stored, setting.cast),
            _told(stored[: len(asked)], setting.cast),
        )
    return None


async def _narration(played: PlayedTurn) -> Divergence | None:
    """The omniscient prose, then each telling from a character's point of view."""
    setting, events = played.setting, played.events
    job_id = played.jobs.get(TELLING, "")
    narrated = [
        e.event.payload.get("text", "")
        for e in events
        if e.event.event_type is EventType.TURN_NARRATED
    ]
    divergence = await _telling(
        played,
        NARRATION,
        lambda so_far: chronicler_request(setting, events, job_id, so_far=so_far),
        [
            ("narrative", setting.turn.narrative or ""),
            ("narrated event", narrated[-1] if narrated else ""),
            ("chunks", "".join(c.text for c in setting.chunks if c.viewpoint is None)),
        ],
    )
    # The tellings written when the turn was played (the campaign's perspective may have
    # changed since): each must be one the engine would write, and is replayed.
    tellings: dict[str, str] = {
        e.event.payload.get("viewpointCharacterId", ""): e.event.payload.get("text", "")
        for e in events
        if e.event.event_type is EventType.TURN_VIEWPOINT_NARRATED
    }
    witnessing = witnessing_players(setting, events)
    if divergence is None and set(tellings) - {str(c.id) for c, _ in witnessing}:
        return Divergence(
            "viewpoints",
            "characters told",
            "\n".join(sorted(tellings)),
            "\n".join(str(c.id) for c, _ in witnessing if str(c.id) in tellings),
        )
    for character, perceived in witnessing:
        if divergence is not None:
            break
        if str(character.id) not in tellings:
            continue
        divergence = await _telling(
            played,
            viewpoint_step(character.id),
            partial(viewpoint_request, setting, character, perceived, job_id),
            [
                ("viewpoint event", tellings[str(character.id)]),
                (
                    "viewpoint chunks",
                    "".join(c.text for c in setting.chunks if c.viewpoint == character.id),
                ),
            ],
        )
    return divergence


async def _telling(
    played: PlayedTurn,
    step: str,
    request_for: Callable[..., ModelRequest],
    kept: list[tuple[str, str]],
) -> Divergence | None:
    """One telling answered again as recorded (or by the offline model) and compared with
    the texts `kept` of it."""
    request = request_for(so_far="")
    recorded = played.answers.get(step)
    so_far = ""
    if recorded is not None and recorded.prompt != request.prompt:
        # A telling resumed after a restart was asked to continue the text so far.
        so_far = continued_from(recorded.prompt, request) or ""
        if so_far:
            request = request_for(so_far=so_far)
    if recorded is not None and _asked(recorded) != _asked(request):
        return Divergence(step, "prompt", _asked(recorded), _asked(request))
    prose = Prose(so_far)
    if recorded is not None and not _offline(recorded):
        prose.add(recorded.answer or "")
    else:
        async for piece in _OFFLINE.stream(request):
            if isinstance(piece, str):
                prose.add(piece)
    prose.end()
    for what, text in kept:
        if text != prose.text:
            return Divergence(step, what, text, prose.text)
    return None


def _asked(call: CallRecord | ModelRequest) -> str:
    """What a model was told: its instructions, then the prompt."""
    return f"{call.system}\n\n{call.prompt}"


def _offline(recorded: CallRecord) -> bool:
    """Answered by the offline model (chosen, or as a fallback): it answers again the same."""
    return recorded.provider == _OFFLINE.provider


def _answer_of(recorded: CallRecord) -> ModelAnswer:
    """A structured answer as its adapter gave it: the text and the JSON value it holds."""
    text = recorded.answer or ""
    try:
        data: object | None = json.loads(text)
    except ValueError:
        data = None
    return ModelAnswer(
        text, recorded.provider, recorded.model, fallback=recorded.fallback, data=data
    )


def _told(actions: list[Action], cast: dict[uuid.UUID, Character]) -> str:
    """Reactions one per line: who, what kind, to whom, what."""

    def name(character_id: uuid.UUID) -> str:
        character = cast.get(character_id)
        return character.name if character else str(character_id)

    lines = []
    for action in actions:
        to = f" to {', '.join(name(t) for t in action.target_ids)}" if action.target_ids else ""
        lines.append(f"{name(action.character_id)} {action.kind.value}{to}: {action.intent}\n")
    return "".join(lines)
