"""Sessions and their turns as campaign members see them."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import strawberry

from novel_engine.domain import session as domain
from novel_engine.domain.narration import told_to
from novel_engine.graphql.campaigns.loaders import CampaignByIdLoader
from novel_engine.graphql.campaigns.types import Campaign
from novel_engine.graphql.characters.types import Character, characters_by_ids
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import ActionKind, NarrationStatus, SessionStatus
from novel_engine.graphql.events.loaders import EventsByIdLoader
from novel_engine.graphql.events.seeing import seen_by, witnessed_actions
from novel_engine.graphql.identity.types import User, user_by_id
from novel_engine.graphql.pagination import Connection, connection, position_page
from novel_engine.graphql.sessions.coherence import CoherenceWarning
from novel_engine.graphql.sessions.loaders import (
    SessionByIdLoader,
    TurnsByPageLoader,
    ViewpointChunksByTurnIdLoader,
)
from novel_engine.graphql.sessions.seeing import narrative_viewpoints
from novel_engine.graphql.usage.types import ModelUsage, turn_usage

T = TypeVar("T")


@strawberry.type(name="Action")
class TurnAction:
    kind: ActionKind
    intent: str
    character_id: strawberry.Private[uuid.UUID]
    target_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def from_model(cls, a: domain.Action) -> TurnAction:
        return cls(
            kind=a.kind, intent=a.intent, character_id=a.character_id, target_ids=a.target_ids
        )

    @strawberry.field
    async def character(self, info: Info) -> Character | None:
        found = await characters_by_ids(info, [self.character_id])
        return found[0] if found else None

    @strawberry.field
    async def targets(self, info: Info) -> list[Character]:
        return await characters_by_ids(info, list(self.target_ids))


@strawberry.type(description="What the rules decided for one action, and why.")
class ActionOutcome:
    action: TurnAction
    success: bool
    roll: float = strawberry.field(description="The action's draw in [0, 1).")
    difficulty: float = strawberry.field(
        description="What roll plus the actor's skill and personality had to reach."
    )
    description: str = strawberry.field(description="The numbers and the reasons behind them.")
    consequences: list[str]

    @classmethod
    def from_model(cls, action: domain.Action, o: domain.ActionOutcome) -> ActionOutcome:
        return cls(
            action=TurnAction.from_model(action),
            success=o.success,
            roll=o.roll,
            difficulty=o.difficulty,
            description=o.description,
            consequences=list(o.consequences),
        )


@strawberry.type
class Turn:
    id: strawberry.ID
    number: int
    narration_status: NarrationStatus
    narration_error: str | None = strawberry.field(description="Why narration FAILED.")
    model_used: str | None = strawberry.field(
        description="The model that wrote the turn's omniscient prose, as provider/model "
        "(each telling from a character's point of view names its own in its "
        "`narratives.turn.viewpoint-narrated` event)."
    )
    fallback: bool = strawberry.field(
        description="The configured model could not answer; the offline model wrote the "
        "omniscient prose."
    )
    created_at: datetime
    correlation_id: strawberry.ID = strawberry.field(
        description="The correlationId of every event this turn wrote."
    )
    submitted_by_id: strawberry.Private[uuid.UUID]
    session_id: strawberry.Private[uuid.UUID]
    campaign_id: strawberry.Private[uuid.UUID]
    uid: strawberry.Private[uuid.UUID]
    all_actions: strawberry.Private[list[TurnAction]]
    all_outcomes: strawberry.Private[list[ActionOutcome]]
    all_reactions: strawberry.Private[list[ActionOutcome]]
    omniscient_narrative: strawberry.Private[str | None]
    all_warnings: strawberry.Private[list[CoherenceWarning]]

    @classmethod
    def from_model(cls, t: domain.Turn) -> Turn:
        return cls(
            id=strawberry.ID(str(t.id)),
            number=t.number,
            all_actions=[TurnAction.from_model(a) for a in t.actions],
            # Not strict: a turn played before outcomes were decided has none.
            all_outcomes=[
                ActionOutcome.from_model(a, o) for a, o in zip(t.actions, t.outcomes, strict=False)
            ],
            all_reactions=[ActionOutcome.from_model(r.action, r.outcome) for r in t.reactions],
            narration_status=t.narration_status,
            omniscient_narrative=t.narrative,
            campaign_id=t.campaign_id,
            narration_error=t.narration_error,
            model_used=t.model_used,
            fallback=t.fallback,
            created_at=t.created_at,
            correlation_id=strawberry.ID(str(t.correlation_id)),
            all_warnings=[CoherenceWarning.from_model(w) for w in t.warnings],
            submitted_by_id=t.submitted_by,
            session_id=t.session_id,
            uid=t.id,
        )

    @strawberry.field(
        description="What was attempted, in order (in a THROUGH_CHARACTERS campaign, for a "
        "co-author or viewer: only actions one of its characters witnessed)."
    )
    async def actions(self, info: Info) -> list[TurnAction]:
        return await self._witnessed(info, self.all_actions, 0)

    @strawberry.field(
        description="One per action, in order; empty for turns played before outcomes. "
        "Seen like `actions`."
    )
    async def outcomes(self, info: Info) -> list[ActionOutcome]:
        return await self._witnessed(info, self.all_outcomes, 0)

    @strawberry.field(
        description="What AI-played characters did in answer, resolved like any action. "
        "Seen like `actions`."
    )
    async def reactions(self, info: Info) -> list[ActionOutcome]:
        return await self._witnessed(info, self.all_reactions, len(self.all_actions))

    @strawberry.field(
        description="Where the turn as submitted did not fit what the story established. "
        "Seen like `actions`: only warnings about actions the viewer may see."
    )
    async def warnings(self, info: Info) -> list[CoherenceWarning]:
        shown = await witnessed_actions(info.context, self.campaign_id, self.uid)
        if shown is None:
            return self.all_warnings
        kept = [w for w in self.all_warnings if w.action_index in shown]
        # The event a warning names (another's move, say) only if the viewer sees it.
        named = [uuid.UUID(w.event_id) for w in kept if w.event_id]
        found = await info.context.loader(EventsByIdLoader).load_many(named)
        visible = {
            str(s.event.event_id)
            for s in found
            if s is not None and await seen_by(info.context, self.campaign_id, s) is not None
        }
        return [w if w.event_id in visible else replace(w, event_id=None) for w in kept]

    async def _witnessed(self, info: Info, items: list[T], offset: int) -> list[T]:
        """`items` (numbered from `offset` among the turn's actions, then its reactions)
        that the viewer may see."""
        shown = await witnessed_actions(info.context, self.campaign_id, self.uid)
        if shown is None:
            return items
        return [item for i, item in enumerate(items, offset) if i in shown]

    @strawberry.field(
        description="The turn as prose, once written: the omniscient telling for whoever "
        "may see everything; in a campaign seen through characters, for any other "
        "co-author, the tellings from the points of view of the characters it plays that "
        "witnessed the turn (null when none did)."
    )
    async def narrative(self, info: Info) -> str | None:
        viewpoints = await narrative_viewpoints(info.context, self.campaign_id)
        if viewpoints is None:
            return None
        if viewpoints.characters is None:
            return self.omniscient_narrative
        chunks = await info.context.loader(ViewpointChunksByTurnIdLoader).load(uuid.UUID(self.id))
        return told_to(chunks, viewpoints)

    @strawberry.field
    async def submitted_by(self, info: Info) -> User | None:
        return await user_by_id(info, self.submitted_by_id)

    @strawberry.field
    async def session(self, info: Info) -> Session | None:
        found = await info.context.loader(SessionByIdLoader).load(self.session_id)
        return Session.from_model(found) if found else None

    @strawberry.field(description="What this turn's model calls cost.")
    async def usage(self, info: Info) -> ModelUsage:
        return await turn_usage(info, uuid.UUID(self.id))


@strawberry.type
class Session:
    id: strawberry.ID
    number: int
    status: SessionStatus
    turn_count: int
    started_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    campaign_id: strawberry.Private[uuid.UUID]
    started_by_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, s: domain.Session) -> Session:
        return cls(
            id=strawberry.ID(str(s.id)),
            number=s.number,
            status=s.status,
            turn_count=s.turn_count,
            started_at=s.created_at,
            updated_at=s.updated_at,
            uid=s.id,
            campaign_id=s.campaign_id,
            started_by_id=s.started_by,
        )

    @strawberry.field
    async def started_by(self, info: Info) -> User | None:
        return await user_by_id(info, self.started_by_id)

    @strawberry.field
    async def campaign(self, info: Info) -> Campaign | None:
        found = await info.context.loader(CampaignByIdLoader).load(self.campaign_id)
        return Campaign.from_model(found) if found else None

    @strawberry.field(description="The session's turns in the order they were played.")
    async def turns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Turn]:
        loader = info.context.loader(TurnsByPageLoader)
        page = await position_page(loader, self.uid, lambda t: t.number, first, after)
        return connection(page, Turn.from_model)
