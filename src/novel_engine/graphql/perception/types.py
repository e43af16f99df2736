"""A character's turn brief and beliefs as GraphQL types."""

from __future__ import annotations

import uuid

import strawberry

from novel_engine.domain import brief as domain
from novel_engine.graphql.characters.types import Character, characters_by_ids
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import KnowledgeSource
from novel_engine.graphql.events.types import DomainEvent


@strawberry.type(description="Something a character holds true, and where it has it from.")
class Belief:
    statement: str = strawberry.field(
        description="What it believes; for HEARSAY, the words it was told."
    )
    source: KnowledgeSource
    reliability: float = strawberry.field(
        description="0..1 as of the campaign's current turn: it decays with the turns "
        "played since it was learned, never with the wall clock."
    )
    learned_at_turn: int = strawberry.field(
        description="The campaign's game turn (turns played) when it was learned."
    )
    event_id: strawberry.ID | None = strawberry.field(description="The event it came from.")
    told_by_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who told it (HEARSAY).")
    async def told_by(self, info: Info) -> Character | None:
        if self.told_by_id is None:
            return None
        found = await characters_by_ids(info, [self.told_by_id])
        return found[0] if found else None

    @classmethod
    def from_model(cls, held: domain.HeldBelief) -> Belief:
        b = held.belief
        return cls(
            statement=b.statement,
            source=b.source,
            reliability=held.reliability,
            learned_at_turn=b.learned_at_turn,
            event_id=strawberry.ID(str(b.event_id)) if b.event_id else None,
            told_by_id=b.told_by,
        )


@strawberry.type(description="A character's personalized view of the campaign.")
class TurnBrief:
    character: Character
    location: str = strawberry.field(description="Where the character stands.")
    beliefs: list[Belief] = strawberry.field(description="Newest first.")
    recent_events: list[DomainEvent] = strawberry.field(
        description="What it perceived lately, oldest first, each as it perceived it "
        "(redacted where it perceived only part)."
    )
    goals: list[str]
    present_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="Who is there with it.")
    async def present(self, info: Info) -> list[Character]:
        return await characters_by_ids(info, self.present_ids)

    @classmethod
    def from_model(cls, b: domain.TurnBrief) -> TurnBrief:
        return cls(
            character=Character.from_model(b.character),
            location=b.location,
            beliefs=[Belief.from_model(h) for h in b.beliefs],
            recent_events=[DomainEvent.from_model(s) for s in b.recent],
            goals=list(b.goals),
            present_ids=[c.id for c in b.present],
        )
