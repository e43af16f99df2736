"""Object types. Relations resolve through the operation's dataloaders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain import campaign as domain_campaign
from novel_engine.domain import character as domain_character
from novel_engine.domain import story as domain_story
from novel_engine.domain.campaign import Member
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.session import Action
from novel_engine.domain.session import Session as SessionModel
from novel_engine.domain.session import Turn as TurnModel
from novel_engine.domain.story import StoryEntry
from novel_engine.persistence.queries import (
    CampaignRecord,
    CharacterRecord,
    StoryRecord,
    UserRecord,
)
from novel_engine.resolvers import campaigns, characters, sessions, stories
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.pagination import Page, position_cursor
from novel_engine.schema.enums import (
    ActionKind,
    AggregateType,
    CampaignRole,
    CharacterKind,
    Genre,
    PlotPoint,
    RelationshipType,
    SessionStatus,
    Tone,
    Visibility,
)

Info = strawberry.Info[RequestContext, None]
T = TypeVar("T")
M = TypeVar("M")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def connection(page: Page[M], convert: Callable[[M], T]) -> Connection[T]:
    edges = [Edge(cursor=cursor, node=convert(item)) for cursor, item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str
    created_at: datetime
    uid: strawberry.Private[uuid.UUID]
    private_email: strawberry.Private[str]
    is_self: strawberry.Private[bool] = False

    @strawberry.field(description="Only ever shown to the user themself.")
    def email(self, info: Info) -> str | None:
        return self.private_email if self.is_self or info.context.user_id == self.uid else None

    @classmethod
    def from_model(cls, user: UserRecord | Any, *, is_self: bool = False) -> User:
        """`is_self`: the user is the one being answered (just signed up or logged in)."""
        return cls(
            id=strawberry.ID(str(user.id)),
            display_name=user.display_name,
            created_at=user.created_at,
            uid=user.id,
            private_email=user.email,
            is_self=is_self,
        )


async def _user(info: Info, user_id: uuid.UUID) -> User | None:
    found = await info.context.loaders.user_by_id.load(user_id)
    return User.from_model(found) if found else None


@strawberry.type
class Personality:
    openness: float
    conscientiousness: float
    extraversion: float
    agreeableness: float
    neuroticism: float


@strawberry.type
class Skill:
    name: str
    level: int


@strawberry.type
class Character:
    id: strawberry.ID
    name: str
    kind: CharacterKind
    personality: Personality
    background: str
    visibility: Visibility
    version: int
    created_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, c: CharacterRecord | domain_character.Character) -> Character:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            kind=c.kind,
            personality=Personality(**c.personality.as_dict()),
            background=c.background,
            visibility=c.visibility,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            uid=c.id,
            owner_id=c.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _user(info, self.owner_id)

    @strawberry.field
    async def skills(self, info: Info) -> list[Skill]:
        found = await info.context.loaders.skills_by_character_id.load(self.uid)
        return [Skill(name=s.name, level=s.level) for s in found]

    @strawberry.field
    async def relationships(self, info: Info) -> list[Relationship]:
        found = await characters.relationships(info.context, self.uid)
        return [
            Relationship(
                type=r.type,
                strength=r.strength,
                context=r.context,
                character=Character.from_model(other),
            )
            for r, other in found
        ]


@strawberry.type
class Relationship:
    type: RelationshipType
    strength: float
    context: str
    character: Character


@strawberry.type
class DeletedCharacter:
    id: strawberry.ID


@strawberry.type
class StoryEvent:
    id: strawberry.ID
    sequence: int
    description: str
    plot_point: PlotPoint | None
    occurred_at: datetime
    character_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def from_model(cls, e: StoryEntry) -> StoryEvent:
        return cls(
            id=strawberry.ID(str(e.id)),
            sequence=e.sequence,
            description=e.description,
            plot_point=e.plot_point,
            occurred_at=e.occurred_at,
            character_ids=e.character_ids,
        )

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        found = await info.context.loaders.character_by_id.load_many(list(self.character_ids))
        return [
            Character.from_model(c)
            for c in found
            if c is not None and c.is_visible_to(info.context.user_id)
        ]


@strawberry.type
class Story:
    id: strawberry.ID
    title: str
    genre: Genre
    themes: list[str]
    tone: Tone
    visibility: Visibility
    version: int
    created_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, s: StoryRecord | domain_story.Story) -> Story:
        return cls(
            id=strawberry.ID(str(s.id)),
            title=s.title,
            genre=s.genre,
            themes=list(s.themes),
            tone=s.tone,
            visibility=s.visibility,
            version=s.version,
            created_at=s.created_at,
            updated_at=s.updated_at,
            uid=s.id,
            owner_id=s.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _user(info, self.owner_id)

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        return [Character.from_model(c) for c in await stories.cast(info.context, self.uid)]

    @strawberry.field(description="The story's events in the order they were told.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StoryEvent]:
        page = await stories.entries(info.context, self.uid, first, after)
        return connection(page, StoryEvent.from_model)


@strawberry.type
class StoryEventAdded:
    story: Story
    event: StoryEvent


@strawberry.type
class DomainEvent:
    event_id: strawberry.ID
    event_type: str
    event_version: str
    aggregate_id: strawberry.ID
    aggregate_type: AggregateType
    timestamp: datetime
    correlation_id: strawberry.ID
    causation_id: strawberry.ID | None
    user_id: strawberry.ID | None
    payload: JSON
    metadata: JSON
    cursor: str = strawberry.field(description="Pass as `after` to continue after this event.")

    @classmethod
    def from_model(cls, stored: StoredEvent) -> DomainEvent:
        e = stored.event
        return cls(
            event_id=strawberry.ID(str(e.event_id)),
            event_type=e.event_type.value,
            event_version=e.event_version,
            aggregate_id=strawberry.ID(str(e.aggregate_id)),
            aggregate_type=e.aggregate_type,
            timestamp=e.timestamp,
            correlation_id=strawberry.ID(str(e.correlation_id)),
            causation_id=strawberry.ID(str(e.causation_id)) if e.causation_id else None,
            user_id=strawberry.ID(str(e.user_id)) if e.user_id else None,
            payload=JSON(e.payload),
            metadata=JSON(e.metadata),
            cursor=position_cursor(stored.position),
        )


@strawberry.type
class CampaignMember:
    role: CampaignRole
    joined_at: datetime
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, m: Member) -> CampaignMember:
        return cls(role=m.role, joined_at=m.joined_at, user_id=m.user_id)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await _user(info, self.user_id)


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    description: str
    world_state: JSON
    world_version: int
    version: int
    created_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, c: CampaignRecord | domain_campaign.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            description=c.description,
            world_state=JSON(c.world_state),
            world_version=c.world_version,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            uid=c.id,
            owner_id=c.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await _user(info, self.owner_id)

    @strawberry.field(description="Your role in this campaign.")
    async def viewer_role(self, info: Info) -> CampaignRole | None:
        return await campaigns.role_of(info.context, self.uid)

    @strawberry.field
    async def members(self, info: Info) -> list[CampaignMember]:
        found = await info.context.loaders.members_by_campaign_id.load(self.uid)
        return [CampaignMember.from_model(m) for m in found]

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        found = await info.context.loaders.characters_by_campaign_id.load(self.uid)
        return [Character.from_model(c) for c in found]

    @strawberry.field(description="The campaign's sessions, first to last.")
    async def sessions(self, info: Info) -> list[Session]:
        found = await info.context.loaders.sessions_by_campaign_id.load(self.uid)
        return [Session.from_model(s) for s in found]

    @strawberry.field(description="The campaign's domain events, oldest first.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[DomainEvent]:
        page = await campaigns.events(info.context, self.uid, first, after)
        return connection(page, DomainEvent.from_model)


async def _characters(info: Info, ids: list[uuid.UUID]) -> list[Character]:
    """Characters by id, in order; campaign members see every campaign character."""
    found = await info.context.loaders.character_by_id.load_many(ids)
    return [Character.from_model(c) for c in found if c is not None]


@strawberry.type(name="Action")
class TurnAction:
    kind: ActionKind
    intent: str
    character_id: strawberry.Private[uuid.UUID]
    target_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def from_model(cls, a: Action) -> TurnAction:
        return cls(
            kind=a.kind, intent=a.intent, character_id=a.character_id, target_ids=a.target_ids
        )

    @strawberry.field
    async def character(self, info: Info) -> Character | None:
        found = await _characters(info, [self.character_id])
        return found[0] if found else None

    @strawberry.field
    async def targets(self, info: Info) -> list[Character]:
        return await _characters(info, list(self.target_ids))


@strawberry.type
class Turn:
    id: strawberry.ID
    number: int
    actions: list[TurnAction]
    created_at: datetime
    correlation_id: strawberry.ID = strawberry.field(
        description="The correlationId of every event this turn wrote."
    )
    submitted_by_id: strawberry.Private[uuid.UUID]
    session_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, t: TurnModel) -> Turn:
        return cls(
            id=strawberry.ID(str(t.id)),
            number=t.number,
            actions=[TurnAction.from_model(a) for a in t.actions],
            created_at=t.created_at,
            correlation_id=strawberry.ID(str(t.correlation_id)),
            submitted_by_id=t.submitted_by,
            session_id=t.session_id,
        )

    @strawberry.field
    async def submitted_by(self, info: Info) -> User | None:
        return await _user(info, self.submitted_by_id)

    @strawberry.field
    async def session(self, info: Info) -> Session | None:
        found = await info.context.loaders.session_by_id.load(self.session_id)
        return Session.from_model(found) if found else None


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
    def from_model(cls, s: SessionModel) -> Session:
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
        return await _user(info, self.started_by_id)

    @strawberry.field
    async def campaign(self, info: Info) -> Campaign | None:
        found = await info.context.loaders.campaign_by_id.load(self.campaign_id)
        return Campaign.from_model(found) if found else None

    @strawberry.field(description="The session's turns in the order they were played.")
    async def turns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Turn]:
        page = await sessions.turns(info.context, self.uid, first, after)
        return connection(page, Turn.from_model)


@strawberry.type
class AuthPayload:
    token: str
    user: User
