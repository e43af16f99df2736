"""Opening live streams: who may follow what, and from where."""

from __future__ import annotations

import uuid

from novel_engine.domain.errors import InvalidInput, NotFound
from novel_engine.resolvers.campaigns import role_of
from novel_engine.resolvers.context import RequestContext
from novel_engine.resolvers.ids import parse_id
from novel_engine.resolvers.pagination import parse_position_cursor


async def open_campaign_events(
    ctx: RequestContext, campaign_id: str, after: str | None
) -> tuple[uuid.UUID, int]:
    """The campaign's stream and the position to continue after; members only.

    Without `after` the stream starts with the next event; with it, every event after
    that cursor is replayed first.
    """
    stream_id = parse_id(campaign_id)
    if stream_id is None or await role_of(ctx, stream_id) is None:
        raise NotFound("No campaign with this id.", "campaignId")
    head = await ctx.services.live.reader.head(stream_id)
    if after is None:
        return stream_id, head
    position = parse_position_cursor(after)
    if position > head:
        raise InvalidInput("after is ahead of this campaign's events.", "after")
    return stream_id, position
