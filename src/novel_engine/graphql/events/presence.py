"""Who of a campaign's members is connected: now, then on every change."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass

from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.events.access import authorize_follower
from novel_engine.persistence.queries import UserRecord


@dataclass(frozen=True)
class PresenceChange:
    campaign_id: uuid.UUID
    online: list[UserRecord]
    joined: list[UserRecord]
    left: list[UserRecord]


async def presence_changes(
    ctx: RequestContext, campaign_id: str
) -> AsyncGenerator[PresenceChange, None]:
    """Who of the campaign's members is connected: now, then on every change. Watching
    counts as being connected."""
    follower = await authorize_follower(ctx, campaign_id)
    services = ctx.services
    watched = services.presence.watch(follower.campaign_id)
    present = services.presence.present(follower.campaign_id, follower.user_id)
    async with present, aclosing(watched):
        previous: frozenset[uuid.UUID] = frozenset()
        async for online in watched:
            # Read names afresh each time: a subscription's loaders would go stale.
            users = await services.queries.users_by_ids(sorted(online | previous))
            yield PresenceChange(
                follower.campaign_id,
                online=_named(users, online),
                joined=_named(users, online - previous),
                left=_named(users, previous - online),
            )
            previous = online


def _named(users: dict[uuid.UUID, UserRecord], ids: frozenset[uuid.UUID]) -> list[UserRecord]:
    return sorted((users[i] for i in ids if i in users), key=lambda u: (u.display_name, u.id))
