"""Which tellings of a session's prose a viewer reads: the one rule for the narrative
stream and `Turn.narrative` alike."""

from __future__ import annotations

import uuid

from novel_engine.domain.errors import NotFound
from novel_engine.domain.narration import Viewpoints
from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.events.seeing import viewpoint_of


async def narrative_viewpoints(ctx: RequestContext, campaign_id: uuid.UUID) -> Viewpoints | None:
    """Who may see everything (OWNER and GAMEMASTER, every member of an omniscient
    campaign) reads the omniscient prose; any other member of a campaign seen through
    its characters reads the tellings from the points of view of the characters it plays
    (none when it plays none). None for a non-member. The viewpoint is the one every
    read path uses (graphql/events/seeing.py)."""
    try:
        viewpoint = await viewpoint_of(ctx, campaign_id)
    except NotFound:
        return None
    if viewpoint.characters is None:
        return Viewpoints.omniscient()
    return Viewpoints.of(viewpoint.characters)
