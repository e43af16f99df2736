"""Sessions of a campaign and the turns played in them.

A turn is one interaction: the actions submitted together, resolved in order. Its
events go to the campaign's stream, so everyone following the campaign sees them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from novel_engine.domain import coherence, development, director
from novel_engine.domain.actions import Action as Action
from novel_engine.domain.actions import ActionKind as ActionKind
from novel_engine.domain.actions import ActionOutcome as ActionOutcome
from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.campaign import DIRECTING_ROLES, Campaign
from novel_engine.domain.character import Character, Relationship, Skill
from novel_engine.domain.consequences import Bond, Change, Hurt, Learned, Moved, describe, plan
from novel_engine.domain.errors import (
    CoherenceViolation,
    Forbidden,
    InvalidInput,
    SessionNotActive,
)
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId, utcnow
from novel_engine.domain.narration import NarrationStatus, PersonaReply, Reaction, Usage
from novel_engine.domain.perception import source_reliability
from novel_engine.domain.story import PlotPoint
from novel_engine.domain.values import require_text

MAX_ACTIONS = 20
INTENT_MAX = 2_000
IDEMPOTENCY_KEY_MAX = 200


class SessionStatus(Enum):
    ACTIVE = "active"
    ENDED = "ended"


# The catalog's interactionType of an interaction started by each kind of action.
_INTERACTION_TYPES = {
    ActionKind.DIALOGUE: "dialogue",
    ActionKind.ATTACK: "combat",
    ActionKind.SKILL: "skill-check",
    ActionKind.MOVE: "action",
    ActionKind.INTERACT: "action",
    ActionKind.WAIT: "action",
}

# The catalog's actionType for each kind of action that is not dialogue.
_ACTION_TYPES = {
    ActionKind.MOVE: "movement",
    ActionKind.ATTACK: "combat",
    ActionKind.SKILL: "skill-use",
    ActionKind.INTERACT: "item-interaction",
    ActionKind.WAIT: "wait",
}
_KINDS_BY_ACTION_TYPE = {value: kind for kind, value in _ACTION_TYPES.items()}


@dataclass(frozen=True)
class Turn:
    id: uuid.UUID
    session_id: uuid.UUID
    campaign_id: uuid.UUID
    number: int
    actions: tuple[Action, ...]
    submitted_by: uuid.UUID
    created_at: datetime
    correlation_id: uuid.UUID
    idempotency_key: str | None = None
    request_hash: str = ""
    outcomes: tuple[ActionOutcome, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    narration_status: NarrationStatus = NarrationStatus.PENDING
    narrative: str | None = None
    narration_error: str | None = None
    model_used: str | None = None
    fallback: bool = False
    # What the coherence check found in the turn as submitted.
    warnings: tuple[coherence.CoherenceWarning, ...] = ()


def request_hash(actions: list[Action]) -> str:
    """What a retried submit must repeat exactly to count as the same request."""
    canonical = json.dumps([a.as_dict() for a in actions], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    return require_text(key, "idempotencyKey", max_length=IDEMPOTENCY_KEY_MAX)


@dataclass(kw_only=True)
class Session(Aggregate):
    aggregate_type = AggregateType.CAMPAIGN

    campaign_id: uuid.UUID
    number: int
    status: SessionStatus = SessionStatus.ACTIVE
    started_by: uuid.UUID
    turn_count: int = 0
    new_turns: list[Turn] = field(default_factory=list, repr=False)
    # Turns played earlier whose reactions or narration changed in this unit of work.
    changed_turns: list[Turn] = field(default_factory=list, repr=False)

    @property
    def stream(self) -> StreamId:
        return StreamId(AggregateType.CAMPAIGN, self.campaign_id)

    @classmethod
    def start(cls, actor: Actor, campaign: Campaign, number: int) -> Session:
        campaign.ensure_can_direct(actor)
        session = cls(campaign_id=campaign.id, number=number, started_by=actor.require_user())
        gamemasters = [
            str(m.user_id) for m in campaign.members.values() if m.role in DIRECTING_ROLES
        ]
        session._record(
            actor,
            EventType.SESSION_STARTED,
            {
                "campaignId": str(campaign.id),
                "sessionId": str(session.id),
                "sessionNumber": number,
                "startTime": session.created_at.isoformat(),
                "participants": [str(uid) for uid in campaign.members],
                "gamemaster": str(actor.user_id),
                "gamemasters": gamemasters,
                "initialState": campaign.world_state,
                "worldVersion": campaign.world_version,
            },
            about=(AggregateType.CAMPAIGN, campaign.id),
        )
        return session

    def end(self, actor: Actor, campaign: Campaign, reached: PlotPoint | None = None) -> None:
        """End the session; `reached` is the plot point its end reaches, if any (the
        resolution of a session past its climax)."""
        campaign.ensure_can_direct(actor)
        self._ensure_active()
        self.status = SessionStatus.ENDED
        self._touch()
        if reached is not None:
            self._reach(actor, reached, None, "The session ends.")
        self._record(
            actor,
            EventType.SESSION_ENDED,
            {
                "campaignId": str(self.campaign_id),
                "sessionId": str(self.id),
                "sessionNumber": self.number,
                "endTime": self.updated_at.isoformat(),
                "turns": self.turn_count,
            },
            about=(AggregateType.CAMPAIGN, self.campaign_id),
        )

    def _ensure_active(self) -> None:
        if self.status is not SessionStatus.ACTIVE:
            raise SessionNotActive("This session has ended.", "sessionId")

    def take_turn(
        self,
        actor: Actor,
        campaign: Campaign,
        cast: dict[uuid.UUID, Character],
        actions: list[Action],
        idempotency_key: str | None = None,
        record: coherence.Record | None = None,
    ) -> Turn:
        """Resolve the actions in order; `cast` holds the campaign's characters involved,
        `record` what the campaign's events established about them. The turn is first
        held against the established facts: it carries what the check found, and a
        campaign in strict mode refuses it when that includes an ERROR."""
        role = campaign.ensure_can_play(actor)
        self._ensure_active()
        self._check_actions(actor, role in DIRECTING_ROLES, campaign, cast, actions)
        warnings = coherence.check(actions, campaign.world_state, record or coherence.Record())
        if campaign.strict_coherence and any(w.blocks for w in warnings):
            raise CoherenceViolation(warnings)
        self.turn_count += 1
        self._touch()
        turn = Turn(
            id=uuid.uuid4(),
            session_id=self.id,
            campaign_id=self.campaign_id,
            number=self.turn_count,
            actions=tuple(actions),
            submitted_by=actor.require_user(),
            created_at=self.updated_at,
            correlation_id=actor.correlation_id,
            idempotency_key=check_idempotency_key(idempotency_key),
            request_hash=request_hash(actions),
            warnings=tuple(warnings),
        )
        turn = replace(turn, outcomes=self._resolve(actor, campaign, cast, turn))
        self.new_turns.append(turn)
        return turn

    def _check_actions(
        self,
        actor: Actor,
        directs: bool,
        campaign: Campaign,
        cast: dict[uuid.UUID, Character],
        actions: list[Action],
    ) -> None:
        if not 1 <= len(actions) <= MAX_ACTIONS:
            raise InvalidInput(f"A turn has 1 to {MAX_ACTIONS} actions.", "actions")
        for i, action in enumerate(actions):
            where = f"actions.{i}"
            require_text(action.intent, f"{where}.intent", max_length=INTENT_MAX)
            for j, character_id in enumerate((action.character_id, *action.target_ids)):
                if character_id not in campaign.character_ids or character_id not in cast:
                    at = f"{where}.characterId" if j == 0 else f"{where}.targetIds"
                    raise InvalidInput(f"Character {character_id} is not in this campaign.", at)
            if not directs and cast[action.character_id].owner_id != actor.user_id:
                raise Forbidden(
                    f"You do not control {cast[action.character_id].name}; "
                    "only gamemasters act for others' characters."
                )

    def _resolve(
        self, actor: Actor, campaign: Campaign, cast: dict[uuid.UUID, Character], turn: Turn
    ) -> tuple[ActionOutcome, ...]:
        """Record the turn as one interaction; the director judges each action in order,
        each seeing the world as the actions before it left it."""
        about = (AggregateType.INTERACTION, turn.id)
        base = {
            "interactionId": str(turn.id),
            "campaignId": str(self.campaign_id),
            "sessionId": str(self.id),
        }
        initiated = self._record(
            actor, EventType.INTERACTION_INITIATED, {**base, **_initiation(turn)}, about=about
        )
        play = _Play.of(actor, campaign, cast, turn)
        outcomes = [
            self._perform(play, index, action, base, caused_by=initiated)[0]
            for index, action in enumerate(turn.actions)
        ]
        self._change_world(actor, campaign, turn, play, initiated)
        self._record(
            actor,
            EventType.INTERACTION_RESOLVED,
            {
                **base,
                "participants": _participants(turn),
                "resolution": {
                    "turnNumber": turn.number,
                    "actions": len(turn.actions),
                    "succeeded": sum(o.success for o in outcomes),
                    "worldVersion": campaign.world_version,
                },
                "duration": (utcnow() - turn.created_at).total_seconds(),
                "consequences": [c for o in outcomes for c in o.consequences],
            },
            about=about,
            caused_by=initiated,
        )
        return tuple(outcomes)

    def _perform(
        self,
        play: _Play,
        index: int,
        action: Action,
        base: dict[str, Any],
        *,
        caused_by: DomainEvent | uuid.UUID,
        extra: dict[str, Any] | None = None,
    ) -> tuple[ActionOutcome, DomainEvent]:
        """The director judges one action as the world stands; its event says where it
        happened, who saw it and what came of it; its consequences follow from it."""
        turn, cast = play.turn, play.cast
        verdict = director.check(turn.id, index, action, cast, play.places, play.conditions)
        changes = plan(action, verdict, cast, play.conditions)
        outcome = replace(verdict, consequences=tuple(describe(c, action) for c in changes))
        event_type, payload = _action_event(action, turn)
        payload |= {
            "location": play.places.of(action.character_id),
            "witnesses": [str(w) for w in director.witnesses(action, play.places)],
            "outcome": outcome.as_dict(),
            **(extra or {}),
        }
        if action.kind is ActionKind.DIALOGUE:
            # What the listeners may make of the words, fixed as they were said.
            traits = cast[action.character_id].personality
            payload["speakerReliability"] = source_reliability(
                traits.conscientiousness, traits.neuroticism
            )
        actor, cause = play.actor, caused_by if isinstance(caused_by, DomainEvent) else None
        if isinstance(caused_by, uuid.UUID):  # an event committed earlier: known by its id
            actor = replace(actor, causation_id=caused_by)
        performed = self._record(
            actor,
            event_type,
            {**base, **payload},
            about=(AggregateType.INTERACTION, turn.id),
            caused_by=cause,
        )
        for change in changes:
            play.enact(change, performed)
        play.develop(action, outcome.success, performed)
        return outcome, performed

    def react(
        self,
        actor: Actor,
        campaign: Campaign,
        cast: dict[uuid.UUID, Character],
        turn: Turn,
        replies: list[PersonaReply],
    ) -> Turn:
        """AI-played characters answer what they witnessed: each reply is judged by the
        director like a human action, recorded as caused by the event it answers, and kept
        on the turn. Rolls continue the turn's seeded sequence."""
        if turn.session_id != self.id:
            raise InvalidInput("This turn belongs to another session.", "turnId")
        if turn.reactions or turn.narration_status is not NarrationStatus.PENDING:
            raise InvalidInput("This turn's characters have already reacted.", "turnId")
        for reply in replies:
            if reply.action.character_id not in campaign.ai_character_ids:
                raise Forbidden("Only AI-played characters react on their own.")
        base = {
            "interactionId": str(turn.id),
            "campaignId": str(self.campaign_id),
            "sessionId": str(self.id),
        }
        play = _Play.of(actor, campaign, cast, turn)
        reactions = []
        first = None
        for offset, reply in enumerate(replies):
            outcome, performed = self._perform(
                play,
                len(turn.actions) + offset,
                reply.action,
                base,
                caused_by=reply.answers,
                extra={
                    "aiControlled": True,
                    "modelUsed": reply.model_used,
                    "fallback": reply.fallback,
                },
            )
            first = first or performed
            reactions.append(
                Reaction(reply.action, outcome, reply.answers, reply.model_used, reply.fallback)
            )
        if first is not None:
            self._change_world(actor, campaign, turn, play, first)
        return self._change_turn(turn, reactions=tuple(reactions))

    def narrated(
        self,
        actor: Actor,
        turn: Turn,
        text: str,
        model_used: str,
        fallback: bool,
        usage: Usage,
        reached: PlotPoint | None = None,
        *,
        final: bool = True,
    ) -> Turn:
        """The chronicler finished: the whole text is saved on the turn, once; with it,
        the plot point the turn reached, if any. Not `final` when tellings from the
        characters' points of view are still to be written: the turn stays STREAMING."""
        if turn.narration_status in (NarrationStatus.DONE, NarrationStatus.FAILED):
            raise InvalidInput("This turn's narration is already over.", "turnId")
        if turn.narrative is not None:
            raise InvalidInput("This turn's omniscient prose is already written.", "turnId")
        narrated = self._record(
            actor,
            EventType.TURN_NARRATED,
            {
                "turnId": str(turn.id),
                "sessionId": str(self.id),
                "campaignId": str(self.campaign_id),
                "turnNumber": turn.number,
                "text": text,
                "wordCount": len(text.split()),
                "modelUsed": model_used,
                "fallback": fallback,
                "usage": usage.as_dict(),
            },
            about=(AggregateType.INTERACTION, turn.id),
        )
        if reached is not None:
            self._reach(actor, reached, turn, _first_sentence(text), caused_by=narrated)
        return self._change_turn(
            turn,
            narration_status=NarrationStatus.DONE if final else NarrationStatus.STREAMING,
            narrative=text,
            model_used=model_used,
            fallback=fallback,
        )

    def viewpoint_narrated(
        self,
        actor: Actor,
        turn: Turn,
        viewpoint: uuid.UUID,
        text: str,
        model_used: str,
        fallback: bool,
        usage: Usage,
        *,
        final: bool,
    ) -> Turn:
        """The turn told from `viewpoint`'s point of view is written, after the omniscient
        prose; the `final` one ends the turn's narration (DONE)."""
        if turn.narration_status in (NarrationStatus.DONE, NarrationStatus.FAILED):
            raise InvalidInput("This turn's narration is already over.", "turnId")
        if turn.narrative is None:
            raise InvalidInput("A turn is told whole before from any viewpoint.", "turnId")
        self._record(
            actor,
            EventType.TURN_VIEWPOINT_NARRATED,
            {
                "turnId": str(turn.id),
                "sessionId": str(self.id),
                "campaignId": str(self.campaign_id),
                "turnNumber": turn.number,
                "viewpointCharacterId": str(viewpoint),
                "text": text,
                "wordCount": len(text.split()),
                "modelUsed": model_used,
                "fallback": fallback,
                "usage": usage.as_dict(),
            },
            about=(AggregateType.INTERACTION, turn.id),
        )
        if not final:
            return turn
        return self._change_turn(turn, narration_status=NarrationStatus.DONE)

    def _reach(
        self,
        actor: Actor,
        point: PlotPoint,
        turn: Turn | None,
        description: str,
        caused_by: DomainEvent | None = None,
    ) -> None:
        """`narratives.plot.point-reached` for this session (the catalog's story event,
        about a session's story as it is played)."""
        self._record(
            actor,
            EventType.PLOT_POINT_REACHED,
            {
                "sessionId": str(self.id),
                "campaignId": str(self.campaign_id),
                "turnId": str(turn.id) if turn else None,
                "turnNumber": turn.number if turn else None,
                "plotPoint": point.value,
                "description": description,
                "characters": _participants(turn) if turn else [],
                "consequences": [c for o in turn.outcomes for c in o.consequences] if turn else [],
                "timestamp": utcnow().isoformat(),
            },
            about=(AggregateType.CAMPAIGN, self.campaign_id),
            caused_by=caused_by,
        )

    def narration_finished(self, turn: Turn) -> Turn:
        """Every telling of the turn is written: its narration is DONE."""
        if turn.narrative is None:
            raise InvalidInput("This turn has not been told yet.", "turnId")
        return self._change_turn(turn, narration_status=NarrationStatus.DONE)

    def narration_failed(self, turn: Turn, reason: str) -> Turn:
        """The turn will not be narrated: it says why rather than stay pending."""
        return self._change_turn(
            turn, narration_status=NarrationStatus.FAILED, narration_error=reason[:500]
        )

    def _change_turn(self, turn: Turn, **changes: Any) -> Turn:
        changed = replace(turn, **changes)
        self.changed_turns.append(changed)
        self._touch()
        return changed

    def _change_world(
        self, actor: Actor, campaign: Campaign, turn: Turn, play: _Play, initiated: DomainEvent
    ) -> None:
        """One world change per turn (and one for its reactions): where movers now stand,
        who is now hurt."""
        patch: dict[str, Any] = {}
        if play.moves:
            patch["locations"] = play.moves
        if play.hurt:
            patch["conditions"] = play.hurt
        change = (
            campaign.apply_patch(actor, patch, f"turn {turn.number}", self.id) if patch else None
        )
        if change is not None:
            self._record(
                actor,
                EventType.WORLD_STATE_CHANGED,
                change,
                about=(AggregateType.CAMPAIGN, campaign.id),
                caused_by=initiated,
            )


@dataclass
class _Play:
    """The state of play while a turn resolves, and the changes it gathers."""

    actor: Actor
    cast: dict[uuid.UUID, Character]
    turn: Turn
    places: director.Places
    conditions: dict[str, str] = field(default_factory=dict)
    moves: dict[str, str] = field(default_factory=dict)
    hurt: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, actor: Actor, campaign: Campaign, cast: dict[uuid.UUID, Character], turn: Turn
    ) -> _Play:
        """Play as the campaign's world stands now."""
        play = cls(actor, cast, turn, director.Places(campaign.world_state, campaign.character_ids))
        play.conditions.update(_conditions(campaign.world_state))
        return play

    def enact(self, change: Change, cause: DomainEvent) -> None:
        """World changes gather for the turn's one world event; character changes are
        recorded at once on the character, caused by the action's event."""
        context = f"turn {self.turn.number}"
        if isinstance(change, Moved):
            self.places.move(change.character_id, change.place)
            self.moves[str(change.character_id)] = change.place
        elif isinstance(change, Hurt):
            self.conditions[str(change.character_id)] = change.condition
            self.hurt[str(change.character_id)] = change.condition
        elif isinstance(change, Bond):
            relationship = Relationship(change.related_id, change.type, change.strength, context)
            self.cast[change.character_id].relate_through_play(self.actor, relationship, cause)
        elif isinstance(change, Learned):
            skill = Skill(change.skill, change.level)
            self.cast[change.character_id].learn_from_play(self.actor, skill, context, cause)

    def develop(self, action: Action, success: bool, cause: DomainEvent) -> None:
        """What the action says about each character taking part goes on its runs of
        outcomes; a run that completes drifts its personality (domain/development.py)."""
        for character_id, signals in development.signals(action, success).items():
            if character_id in self.cast:
                self.cast[character_id].develop_through_play(self.actor, signals, cause)


def _first_sentence(text: str) -> str:
    """The opening of a turn's prose, as the plot point's description."""
    end = next((i for i, c in enumerate(text) if c in ".!?" and i > 20), None)
    return (text[: end + 1] if end is not None else text)[:300].strip()


def _conditions(world_state: dict[str, Any]) -> dict[str, str]:
    found = world_state.get("conditions")
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, str)}


def _participants(turn: Turn) -> list[str]:
    targets = {str(t) for a in turn.actions for t in a.target_ids}
    return sorted({str(a.character_id) for a in turn.actions} | targets)


def _initiation(turn: Turn) -> dict[str, Any]:
    """The initiated event describes the first action and lists them all."""
    first = turn.actions[0]
    return {
        "initiatingCharacterId": str(first.character_id),
        "targetCharacterIds": [str(t) for t in first.target_ids],
        "interactionType": _INTERACTION_TYPES[first.kind],
        "intent": first.intent,
        "context": {
            "turnNumber": turn.number,
            "actions": [a.as_dict() for a in turn.actions],
        },
    }


def recorded_action(event: DomainEvent) -> Action:
    """The action a dialogue or action event records: `_action_event` read back."""
    payload = event.payload
    if event.event_type is EventType.DIALOGUE_EXCHANGED:
        listener = payload.get("listenerId")
        return Action(
            uuid.UUID(payload["speakerId"]),
            ActionKind.DIALOGUE,
            payload["message"],
            (uuid.UUID(listener),) if listener else (),
        )
    return Action(
        uuid.UUID(payload["actingCharacterId"]),
        _KINDS_BY_ACTION_TYPE.get(payload["actionType"], ActionKind.INTERACT),
        payload["actionDescription"],
        tuple(uuid.UUID(t) for t in payload["targetIds"]),
    )


def _action_event(action: Action, turn: Turn) -> tuple[EventType, dict[str, Any]]:
    """The event one action writes: what the character said or attempted; the turn
    adds where, who saw it and what came of it."""
    if action.kind is ActionKind.DIALOGUE:
        return EventType.DIALOGUE_EXCHANGED, {
            "speakerId": str(action.character_id),
            "listenerId": str(action.target_ids[0]) if action.target_ids else None,
            "message": action.intent,
            "context": {"turnNumber": turn.number},
            "timestamp": turn.created_at.isoformat(),
        }
    payload: dict[str, Any] = {
        "actingCharacterId": str(action.character_id),
        "actionType": _ACTION_TYPES[action.kind],
        "actionDescription": action.intent,
        "targetIds": [str(t) for t in action.target_ids],
    }
    return EventType.ACTION_PERFORMED, payload
