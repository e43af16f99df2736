"""Opening live streams: who may follow what, and from where."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from novel_engine.domain.errors import InvalidInput, NotFound
from novel_engine.graphql.campaigns.membership import member_campaign_id
from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.pagination import parse_position_cursor
from novel_engine.persistence.queries import UserRecord


async def _member_campaign(ctx: RequestContext, campaign_id: str) -> uuid.UUID:
    stream_id = await member_campaign_id(ctx, campaign_id)
    if stream_id is None:
        raise NotFound("No campaign with this id.", "campaignId")
    return stream_id


async def open_campaign_events(
    ctx: RequestContext, campaign_id: str, after: str | None
) -> tuple[uuid.UUID, int]:
    """The campaign's stream and the position to continue after; members only.

    Without `after` the stream starts with the next event; with it, every event after
    that cursor is replayed first.
    """
    stream_id = await _member_campaign(ctx, campaign_id)
    head = await ctx.services.live.reader.head(stream_id)
    if after is None:
        return stream_id, head
    position = parse_position_cursor(after)
    if position > head:
        raise InvalidInput("after is ahead of this campaign's events.", "after")
    return stream_id, position


@dataclass(frozen=True)
class PresenceChange:
    campaign_id: uuid.UUID
    online: list[UserRecord]
    joined: list[UserRecord]
    left: list[UserRecord]


async def presence(ctx: RequestContext, campaign_id: str) -> AsyncGenerator[PresenceChange, None]:
    """Who of the campaign's members is connected: now, then on every change. Watching
    counts as being connected."""
    stream_id = await _member_campaign(ctx, campaign_id)
    if ctx.user_id is None:  # a member always has one; keeps the type checker honest
        raise NotFound("No campaign with this id.", "campaignId")
    services = ctx.services
    watched = services.presence.watch(stream_id)
    async with services.presence.present(stream_id, ctx.user_id), aclosing(watched):
        previous: frozenset[uuid.UUID] = frozenset()
        async for online in watched:
            # Read names afresh each time: a subscription's loaders would go stale.
            users = await services.queries.users_by_ids(sorted(online | previous))
            yield PresenceChange(
                stream_id,
                online=_named(users, online),
                joined=_named(users, online - previous),
                left=_named(users, previous - online),
            )
            previous = online


def _named(users: dict[uuid.UUID, UserRecord], ids: frozenset[uuid.UUID]) -> list[UserRecord]:
    return sorted((users[i] for i in ids if i in users), key=lambda u: (u.display_name, u.id))
