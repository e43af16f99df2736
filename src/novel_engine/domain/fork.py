"""Branching a campaign's timeline: its history up to one event, copied under new ids, and
everything the campaign's rows hold rebuilt from that copy alone.

What belongs to the campaign's history is renamed (the campaign, its sessions, its turns,
its events: wherever one of their ids appears in an event, as any string of a payload,
a key included, or as a causation id) through one mapping, so the branch's events refer
to each other as the original's did. Characters and users are shared with the original
and keep their ids; so perception (`witnesses`, `perceivedBy`) holds in the branch as it
did at that moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from novel_engine.domain.actions import Action, ActionOutcome
from novel_engine.domain.actor import Actor
from novel_engine.domain.campaign import Campaign, CampaignRole, Member, merge_patch
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.events import (
    COPIED_FROM,
    WORK_DONE,
    AggregateType,
    DomainEvent,
    EventType,
    StoredEvent,
    StreamId,
    utcnow,
)
from novel_engine.domain.narration import NarrationStatus, Reaction
from novel_engine.domain.perception import Perspective
from novel_engine.domain.session import Session, SessionStatus, Turn, recorded_action, request_hash
from novel_engine.domain.values import NAME_MAX

BRANCH_SUFFIX = " (branch)"


@dataclass
class Branch:
    """A new campaign taken from another at one of its events, ready to be written."""

    campaign: Campaign  # its events: the copied history, then `campaigns.campaign.forked`
    sessions: list[Session]  # each with its turns as new turns
    # Turns narrated by the cut: original turn id -> the branch's; their prose is copied.
    told: dict[uuid.UUID, uuid.UUID]
    # Turns played but not narrated by the cut: the branch narrates them itself.
    untold: list[uuid.UUID]


def fork(
    actor: Actor,
    original: Campaign,
    history: Sequence[StoredEvent],
    at: str,
    alive: Collection[uuid.UUID],
    following: DomainEvent | None = None,
) -> Branch:
    """Branch `original` after the last event of `history` (its stream from position 1,
    `at` being that event's cursor). `alive`: the characters that still exist (a character
    deleted since cannot rejoin a cast). OWNER and GAMEMASTER may fork; the forker owns
    the branch, the original's owner (if someone else) directs it as a GAMEMASTER, and
    every other member at that moment keeps its role. `following`: the original's event
    after the cut, if any (a cut between two events of one commit is refused)."""
    forker = actor.require_user()
    original.ensure_can_direct(actor)
    if not history:
        raise InvalidInput("`at` is not an event of this campaign.", "at")
    if following is not None and _splits_a_commit(history, following):
        raise InvalidInput(
            "`at` falls between two events written together; fork at the last of them.", "at"
        )
    branch_id = uuid.uuid4()
    names = _names(original.id, branch_id, history)
    told = {
        uuid.UUID(s.event.payload["turnId"])
        for s in history
        if s.event.event_type is EventType.TURN_NARRATED
    }
    copies = [_copy(s.event, branch_id, names, told) for s in history]
    state = _Rebuild(branch_id, alive)
    for copy in copies:
        state.apply(copy)
    state.check_whole_turns()
    campaign = state.campaign(forker, original.id, history[-1].event.event_id)
    if original.perspective is Perspective.THROUGH_CHARACTERS:
        # A campaign its directors now keep seen through characters stays so in a branch
        # taken before the switch: a fork must not reopen what they closed.
        campaign.perspective = Perspective.THROUGH_CHARACTERS
    campaign.events.extend(copies)
    campaign.record_fork(
        actor,
        {
            "campaignId": str(branch_id),
            "forkedFrom": str(original.id),
            "forkedAtEvent": str(history[-1].event.event_id),
            "at": at,
            "eventCount": len(copies),
            "forkedBy": str(forker),
            "name": campaign.name,
            "settings": campaign.settings(),
            "members": [
                {"userId": str(m.user_id), "role": m.role.value} for m in campaign.members.values()
            ],
        },
    )
    sessions = state.sessions()
    return Branch(
        campaign,
        sessions,
        told={t: uuid.UUID(names[str(t)]) for t in told},
        untold=[t.id for s in sessions for t in s.new_turns if t.narrative is None],
    )


def _splits_a_commit(history: Sequence[StoredEvent], following: DomainEvent) -> bool:
    """Whether the cut's event and `following` were written in one commit, so the moment
    between them never existed: an AI reaction batch and its world change, a narration
    and the plot point it reached, a session's resolution and its end. (A turn's own
    resolution is checked by the fold.)"""
    cut = history[-1].event
    if cut.payload.get("aiControlled"):
        reactions = {
            s.event.event_id
            for s in history
            if s.event.aggregate_id == cut.aggregate_id and s.event.payload.get("aiControlled")
        }
        if following.payload.get("aiControlled") and following.aggregate_id == cut.aggregate_id:
            return True
        world = following.event_type is EventType.WORLD_STATE_CHANGED
        return world and following.causation_id in reactions
    if cut.event_type is EventType.TURN_NARRATED:
        reached = following.event_type is EventType.PLOT_POINT_REACHED
        return reached and following.causation_id == cut.event_id
    if cut.event_type is EventType.PLOT_POINT_REACHED and cut.payload.get("turnId") is None:
        ended = following.event_type is EventType.SESSION_ENDED
        return ended and following.payload.get("sessionId") == cut.payload.get("sessionId")
    return False


def _names(
    original_id: uuid.UUID, branch_id: uuid.UUID, history: Sequence[StoredEvent]
) -> dict[str, str]:
    """Original id -> new id (as text) for everything that is the campaign's own."""
    names = {str(original_id): str(branch_id)}
    for stored in history:
        event = stored.event
        mine = [event.event_id]
        if event.aggregate_type is AggregateType.INTERACTION:
            mine.append(event.aggregate_id)
        if event.event_type is EventType.SESSION_STARTED:
            mine.append(uuid.UUID(event.payload["sessionId"]))
        for found in mine:
            names.setdefault(str(found), str(uuid.uuid4()))
    return names


def renamed(value: Any, names: dict[str, str]) -> Any:
    """`value` (a JSON document) with every string that names a mapped id replaced."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {names.get(k, k): renamed(v, names) for k, v in value.items()}
    return value


def _copy(
    event: DomainEvent, branch_id: uuid.UUID, names: dict[str, str], told: set[uuid.UUID]
) -> DomainEvent:
    """The event as the branch's history holds it. Only a played turn the original had not
    narrated yet still asks for its work (reactions, narration) in the branch."""
    resolves = event.event_type is EventType.INTERACTION_RESOLVED
    untold_turn = resolves and event.aggregate_id not in told

    def new(found: uuid.UUID) -> uuid.UUID:
        return uuid.UUID(names.get(str(found), str(found)))

    return replace(
        event,
        aggregate_id=new(event.aggregate_id),
        payload=renamed(event.payload, names),
        stream=StreamId(AggregateType.CAMPAIGN, branch_id),
        event_id=new(event.event_id),
        causation_id=new(event.causation_id) if event.causation_id else None,
        metadata={
            **event.metadata,
            COPIED_FROM: str(event.event_id),
            WORK_DONE: not untold_turn,
        },
    )


@dataclass
class _Rebuild:
    """The branch's state, folded from its (already renamed) events one by one."""

    campaign_id: uuid.UUID
    alive: Collection[uuid.UUID]
    name: str = ""
    description: str = ""
    owner_id: uuid.UUID | None = None
    world_state: dict[str, Any] = field(default_factory=dict)
    world_version: int = 1
    narration_style: str = ""
    perspective: Perspective = Perspective.OMNISCIENT
    strict_coherence: bool = False
    members: dict[uuid.UUID, Member] = field(default_factory=dict)
    cast: list[uuid.UUID] = field(default_factory=list)
    ai: set[uuid.UUID] = field(default_factory=set)
    by_id: dict[uuid.UUID, Session] = field(default_factory=dict)
    turns: dict[uuid.UUID, Turn] = field(default_factory=dict)
    resolved: set[uuid.UUID] = field(default_factory=set)

    def apply(self, event: DomainEvent) -> None:
        handler = _FOLDS.get(event.event_type)
        if handler is not None:
            handler(self, event)

    def created(self, event: DomainEvent) -> None:
        p = event.payload
        self.name, self.description = p["name"], p["description"]
        self.owner_id = uuid.UUID(p["createdBy"])
        self.world_state = dict(p.get("worldState") or {})
        self.narration_style = (p.get("configuration") or {}).get("narrationStyle", "")
        self.members[self.owner_id] = Member(self.owner_id, CampaignRole.OWNER, event.timestamp)

    def member_added(self, event: DomainEvent) -> None:
        user = uuid.UUID(event.payload["userId"])
        self.members[user] = Member(user, CampaignRole(event.payload["role"]), event.timestamp)

    def character_added(self, event: DomainEvent) -> None:
        character = uuid.UUID(event.payload["characterId"])
        if character in self.alive and character not in self.cast:
            self.cast.append(character)
            if event.payload.get("aiControlled"):
                self.ai.add(character)

    def character_removed(self, event: DomainEvent) -> None:
        character = uuid.UUID(event.payload["characterId"])
        if character in self.cast:
            self.cast.remove(character)
        self.ai.discard(character)

    def settings_changed(self, event: DomainEvent) -> None:
        changes = event.payload["changes"]
        self.narration_style = changes.get("narrationStyle", self.narration_style)
        self.perspective = Perspective(changes.get("perspective", self.perspective.value))
        self.strict_coherence = bool(changes.get("strictCoherence", self.strict_coherence))

    def world_changed(self, event: DomainEvent) -> None:
        self.world_state = merge_patch(self.world_state, event.payload["changes"])
        self.world_version = int(event.payload.get("worldVersion") or self.world_version + 1)

    def session_started(self, event: DomainEvent) -> None:
        p = event.payload
        session_id = uuid.UUID(p["sessionId"])
        self.by_id[session_id] = Session(
            id=session_id,
            campaign_id=self.campaign_id,
            number=int(p["sessionNumber"]),
            started_by=_user(event),
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )

    def session_ended(self, event: DomainEvent) -> None:
        session = self.by_id[uuid.UUID(event.payload["sessionId"])]
        session.status = SessionStatus.ENDED
        session.updated_at = event.timestamp

    def initiated(self, event: DomainEvent) -> None:
        context = event.payload["context"]
        session = self.by_id[uuid.UUID(event.payload["sessionId"])]
        actions = [Action.from_dict(a) for a in context["actions"]]
        turn = Turn(
            id=event.aggregate_id,
            session_id=session.id,
            campaign_id=self.campaign_id,
            number=int(context["turnNumber"]),
            actions=tuple(actions),
            submitted_by=_user(event),
            created_at=event.timestamp,
            correlation_id=event.correlation_id,
            request_hash=request_hash(actions),
        )
        self.turns[turn.id] = turn
        session.turn_count = max(session.turn_count, turn.number)
        session.updated_at = event.timestamp

    def performed(self, event: DomainEvent) -> None:
        turn = self.turns[event.aggregate_id]
        p = event.payload
        outcome = ActionOutcome.from_dict(p["outcome"])
        if p.get("aiControlled"):
            answers = event.causation_id or event.correlation_id
            reaction = Reaction(
                recorded_action(event), outcome, answers, str(p["modelUsed"]), bool(p["fallback"])
            )
            self.turns[turn.id] = replace(turn, reactions=(*turn.reactions, reaction))
        else:
            self.turns[turn.id] = replace(turn, outcomes=(*turn.outcomes, outcome))

    def turn_resolved(self, event: DomainEvent) -> None:
        self.resolved.add(event.aggregate_id)

    def narrated(self, event: DomainEvent) -> None:
        p = event.payload
        turn = self.turns[uuid.UUID(p["turnId"])]
        self.turns[turn.id] = replace(
            turn,
            narration_status=NarrationStatus.DONE,
            narrative=p["text"],
            model_used=p["modelUsed"],
            fallback=bool(p["fallback"]),
        )

    def check_whole_turns(self) -> None:
        """A turn's resolution is one commit: a moment inside it never existed."""
        if any(turn_id not in self.resolved for turn_id in self.turns):
            raise InvalidInput(
                "`at` falls inside a turn's resolution; fork at the turn's "
                "interactions.interaction.resolved event or before the turn.",
                "at",
            )

    def campaign(self, forker: uuid.UUID, forked_from: uuid.UUID, forked_at: uuid.UUID) -> Campaign:
        now = utcnow()
        members = dict(self.members)
        if self.owner_id is not None and self.owner_id != forker:
            was = members[self.owner_id]
            members[self.owner_id] = Member(was.user_id, CampaignRole.GAMEMASTER, was.joined_at)
        joined = members[forker].joined_at if forker in members else now
        members[forker] = Member(forker, CampaignRole.OWNER, joined)
        return Campaign(
            id=self.campaign_id,
            created_at=now,
            updated_at=now,
            owner_id=forker,
            name=_branch_name(self.name),
            description=self.description,
            world_state=self.world_state,
            world_version=self.world_version,
            members=members,
            character_ids=list(self.cast),
            ai_character_ids=set(self.ai),
            narration_style=self.narration_style,
            perspective=self.perspective,
            strict_coherence=self.strict_coherence,
            forked_from=forked_from,
            forked_at_event=forked_at,
        )

    def sessions(self) -> list[Session]:
        for turn in sorted(self.turns.values(), key=lambda t: t.number):
            self.by_id[turn.session_id].new_turns.append(turn)
        return sorted(self.by_id.values(), key=lambda s: s.number)


def _branch_name(name: str) -> str:
    return name[: NAME_MAX - len(BRANCH_SUFFIX)] + BRANCH_SUFFIX


def _user(event: DomainEvent) -> uuid.UUID:
    if event.user_id is None:
        raise ValueError(f"{event.event_type.value} {event.event_id} has no user")
    return event.user_id


_FOLDS = {
    EventType.CAMPAIGN_CREATED: _Rebuild.created,
    EventType.CAMPAIGN_MEMBER_ADDED: _Rebuild.member_added,
    EventType.CAMPAIGN_CHARACTER_ADDED: _Rebuild.character_added,
    EventType.CAMPAIGN_CHARACTER_REMOVED: _Rebuild.character_removed,
    EventType.CAMPAIGN_SETTINGS_CHANGED: _Rebuild.settings_changed,
    EventType.WORLD_STATE_CHANGED: _Rebuild.world_changed,
    EventType.SESSION_STARTED: _Rebuild.session_started,
    EventType.SESSION_ENDED: _Rebuild.session_ended,
    EventType.INTERACTION_INITIATED: _Rebuild.initiated,
    EventType.ACTION_PERFORMED: _Rebuild.performed,
    EventType.DIALOGUE_EXCHANGED: _Rebuild.performed,
    EventType.INTERACTION_RESOLVED: _Rebuild.turn_resolved,
    EventType.TURN_NARRATED: _Rebuild.narrated,
}
