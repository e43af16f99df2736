"""Campaigns as their members see them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain import campaign as domain
from novel_engine.domain.errors import NotFound
from novel_engine.domain.perception import world_seen
from novel_engine.graphql.campaigns.loaders import (
    CharactersByCampaignIdLoader,
    MembersByCampaignIdLoader,
    UnfinishedJobsByCampaignIdLoader,
)
from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.characters.types import Character
from novel_engine.graphql.characters.visibility import visible
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import CampaignRole, JobStatus, Perspective
from novel_engine.graphql.events.loaders import EventsByPageLoader
from novel_engine.graphql.events.seeing import seen_page, viewpoint_of
from novel_engine.graphql.events.types import DomainEvent
from novel_engine.graphql.identity.types import User, user_by_id
from novel_engine.graphql.pagination import Connection, connection, position_page
from novel_engine.graphql.sessions.loaders import SessionsByCampaignIdLoader
from novel_engine.graphql.usage.types import ModelUsage, campaign_usage
from novel_engine.persistence.jobs import JobRecord
from novel_engine.persistence.queries import CampaignRecord

if TYPE_CHECKING:
    from novel_engine.graphql.sessions.types import Session


@strawberry.type
class CampaignMember:
    role: CampaignRole
    joined_at: datetime
    user_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, m: domain.Member) -> CampaignMember:
        return cls(role=m.role, joined_at=m.joined_at, user_id=m.user_id)

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return await user_by_id(info, self.user_id)


@strawberry.type(
    description="Work the server does after a commit (durable jobs) that is not finished: "
    "waiting, running, or dead after its last attempt with the error that ended it."
)
class BackgroundJob:
    id: strawberry.ID
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_after: datetime = strawberry.field(description="When it may run (again).")
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, job: JobRecord) -> BackgroundJob:
        return cls(
            id=strawberry.ID(str(job.id)),
            kind=job.kind,
            status=job.status,
            attempts=job.attempts,
            max_attempts=job.max_attempts,
            run_after=job.run_after,
            last_error=job.last_error,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    description: str
    world_version: int
    narration_style: str = strawberry.field(
        description="How the chronicler writes this campaign's turns (empty: the genre's "
        "own voice)."
    )
    perspective: Perspective = strawberry.field(
        description="Whether co-authors see the whole story or only what their characters "
        "perceived."
    )
    strict_coherence: bool = strawberry.field(
        description="Whether turns that contradict established facts are refused."
    )
    forked_from: strawberry.ID | None = strawberry.field(
        description="A branch (forkCampaign): the id of the campaign it was taken from."
    )
    forked_at_event: strawberry.ID | None = strawberry.field(
        description="A branch: the original's event it was taken at (its last shared one)."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]
    whole_world: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_model(cls, c: CampaignRecord | domain.Campaign) -> Campaign:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            description=c.description,
            whole_world=c.world_state,
            world_version=c.world_version,
            narration_style=c.narration_style,
            perspective=c.perspective,
            strict_coherence=c.strict_coherence,
            forked_from=_id(c.forked_from),
            forked_at_event=_id(c.forked_at_event),
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            uid=c.id,
            owner_id=c.owner_id,
        )

    @strawberry.field(
        description="The world as you may see it: whole for whoever sees everything; in a "
        "campaign seen through characters, where your characters and those with them "
        "stand and how they are, your characters' goals, and the rest of the world."
    )
    async def world_state(self, info: Info) -> JSON:
        try:
            viewpoint = await viewpoint_of(info.context, self.uid)
        except NotFound:
            return JSON(world_seen(self.whole_world, ()))
        if viewpoint.characters is None:
            return JSON(self.whole_world)
        return JSON(world_seen(self.whole_world, viewpoint.characters))

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await user_by_id(info, self.owner_id)

    @strawberry.field(description="Your role in this campaign.")
    async def viewer_role(self, info: Info) -> CampaignRole | None:
        return await role_of(info.context, self.uid)

    @strawberry.field
    async def members(self, info: Info) -> list[CampaignMember]:
        found = await info.context.loader(MembersByCampaignIdLoader).load(self.uid)
        return [CampaignMember.from_model(m) for m in found]

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        found = await info.context.loader(CharactersByCampaignIdLoader).load(self.uid)
        return [Character.from_model(c) for c in visible(info.context, found)]

    @strawberry.field(description="The campaign's sessions, first to last.")
    async def sessions(
        self, info: Info
    ) -> list[Annotated[Session, strawberry.lazy("novel_engine.graphql.sessions.types")]]:
        from novel_engine.graphql.sessions.types import Session  # it imports this module

        found = await info.context.loader(SessionsByCampaignIdLoader).load(self.uid)
        return [Session.from_model(s) for s in found]

    @strawberry.field(
        description="The campaign's unfinished background jobs, oldest first; null unless "
        "you are its OWNER or a GAMEMASTER."
    )
    async def jobs(self, info: Info) -> list[BackgroundJob] | None:
        if await role_of(info.context, self.uid) not in domain.DIRECTING_ROLES:
            return None
        found = await info.context.loader(UnfinishedJobsByCampaignIdLoader).load(self.uid)
        return [BackgroundJob.from_model(j) for j in found]

    @strawberry.field(description="What every model call made for this campaign cost.")
    async def usage(self, info: Info) -> ModelUsage:
        return await campaign_usage(info, self.uid)

    @strawberry.field(
        description="The campaign's domain events, oldest first, as you may see them (in a "
        "THROUGH_CHARACTERS campaign a co-author or viewer gets only what its characters "
        "perceived, redacted where they perceived part; hidden events take no place in a "
        "page)."
    )
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[DomainEvent]:
        loader = info.context.loader(EventsByPageLoader)
        viewpoint = await viewpoint_of(info.context, self.uid)
        if viewpoint.sees_everything:
            page = await position_page(loader, self.uid, lambda e: e.position, first, after)
        else:
            page = await seen_page(loader, self.uid, viewpoint, first, after)
        return connection(page, DomainEvent.from_model)


def _id(found: uuid.UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(found)) if found is not None else None
