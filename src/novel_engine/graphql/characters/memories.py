"""A character's memories, as its player and the campaign's directors may read them.

Who may read a character's memories in a campaign: the character's player (its owner),
the campaign's OWNER and GAMEMASTER, and, in an OMNISCIENT campaign, any member. Without
`campaignId`, the memories of every campaign the character is cast in that the viewer
may read. Reading never changes a memory (recall by a persona inside a job does).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

import strawberry

from novel_engine.domain import memory as domain
from novel_engine.domain.errors import AuthenticationRequired, Forbidden, NotFound
from novel_engine.graphql.campaigns.membership import role_of
from novel_engine.graphql.context import Info, RequestContext
from novel_engine.graphql.enums import MemoryKind
from novel_engine.graphql.events.seeing import viewpoint_of
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.loaders import OneEachLoader
from novel_engine.graphql.pagination import (
    Connection,
    Page,
    check_first,
    connection,
    number_cursor,
    parse_number_cursor,
)

NEWEST = "m"  # cursor: the id of the last memory of the page
RANKED = "r"  # cursor: how many ranked memories came before


class MemoryByIdLoader(OneEachLoader[int, domain.Memory]):
    async def fetch(self, keys: Sequence[int]) -> Mapping[int, domain.Memory]:
        return await self.queries.memories.by_ids(keys)


@strawberry.type(description="Something a character remembers.")
class Memory:
    id: strawberry.ID
    content: str
    kind: MemoryKind
    importance: int = strawberry.field(description="How much it mattered, 1 to 10.")
    created_at_turn: int = strawberry.field(description="The game turn it was formed.")
    score: float | None = strawberry.field(
        description="Its retrieval score for the query (recency, relevance and importance, "
        "weighted); null when memories are listed without a query."
    )
    evidence_ids: strawberry.Private[tuple[int, ...]]

    @classmethod
    def of(cls, memory: domain.Memory, score: float | None = None) -> Memory:
        return cls(
            id=strawberry.ID(str(memory.id)),
            content=memory.content,
            kind=memory.kind,
            importance=memory.importance,
            created_at_turn=memory.created_at_turn,
            score=score,
            evidence_ids=memory.evidence,
        )

    @strawberry.field(description="For an insight (REFLECTION): the memories it is drawn from.")
    async def evidence(self, info: Info) -> list[Memory]:
        if not self.evidence_ids:
            return []
        found = await info.context.loader(MemoryByIdLoader).load_many(list(self.evidence_ids))
        return [Memory.of(m) for m in found if m is not None]


async def memories(
    info: Info,
    character_id: uuid.UUID,
    query: str | None,
    campaign_id: strawberry.ID | None,
    first: int | None,
    after: str | None,
) -> Connection[Memory]:
    ctx = info.context
    limit = check_first(first)
    campaigns = await _readable(ctx, character_id, campaign_id)
    reads = ctx.services.queries.memories
    if query is not None:
        start = parse_number_cursor(after, RANKED) or 0
        turns = await reads.current_turns(campaigns)
        ranked = (await reads.ranked(turns, character_id, query))[start : start + limit + 1]
        items = [
            (number_cursor(RANKED, start + n), Memory.of(r.memory, r.score))
            for n, r in enumerate(ranked, 1)
        ]
        page = Page(items[:limit], len(items) > limit, start > 0)
    else:
        before = parse_number_cursor(after, NEWEST)
        found = await reads.newest(campaigns, character_id, before, limit + 1)
        items = [(number_cursor(NEWEST, m.id), Memory.of(m)) for m in found]
        page = Page(items[:limit], len(items) > limit, before is not None)
    return connection(page, lambda m: m)


async def _readable(
    ctx: RequestContext,
    character_id: uuid.UUID,
    campaign_id: strawberry.ID | None,
) -> list[uuid.UUID]:
    if ctx.user_id is None:
        raise AuthenticationRequired("Log in to read a character's memories.")
    if campaign_id is None:
        cast_in = await ctx.services.queries.memories.campaigns_of(character_id)
        return [c for c in cast_in if await _may_read(ctx, c, character_id)]
    wanted = parse_id(campaign_id)
    if wanted is None:
        raise NotFound("No campaign with this id.", "campaignId")
    if not await _may_read(ctx, wanted, character_id):
        if await role_of(ctx, wanted) is None:
            raise NotFound("No campaign with this id.", "campaignId")
        raise Forbidden(
            "Only the character's player and the campaign's OWNER and GAMEMASTER may read "
            "its memories here.",
            "campaignId",
        )
    return [wanted]


async def _may_read(ctx: RequestContext, campaign_id: uuid.UUID, character_id: uuid.UUID) -> bool:
    """A member who sees the campaign whole, or who plays the character (the one rule of
    graphql/events/seeing.py: owning a character that a persona agent plays, or owning
    it outside the campaign, is not playing it)."""
    try:
        viewpoint = await viewpoint_of(ctx, campaign_id)
    except NotFound:
        return False
    return viewpoint.characters is None or character_id in viewpoint.characters
