"""A session's prose as the chronicler writes it, live."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from novel_engine.domain.errors import AuthenticationRequired, NotFound, ViewpointChanged
from novel_engine.domain.narration import Viewpoints
from novel_engine.graphql.context import Info, RequestContext
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.pagination import chunk_cursor, parse_chunk_cursor
from novel_engine.graphql.sessions.loaders import SessionByIdLoader
from novel_engine.graphql.sessions.seeing import narrative_viewpoints


@strawberry.type(description="A piece of a turn's prose, in the order written.")
class NarrativeChunk:
    turn_id: strawberry.ID
    sequence: int = strawberry.field(description="0 for a turn's first chunk, then 1, 2, ...")
    text: str
    done: bool = strawberry.field(
        description="The turn's last chunk (no text): its narration is over."
    )
    cursor: str = strawberry.field(description="Pass as `after` to resume right after this chunk.")
    viewpoint_character_id: strawberry.ID | None = strawberry.field(
        description="The character whose point of view this telling is written from; null "
        "for the omniscient prose."
    )


@strawberry.type
class SessionsSubscription:
    @strawberry.subscription(
        description="The prose of each turn of a session as it is written (members only). "
        "Without `after`, first the chunks so far of the turn being narrated, then live; "
        "with `after` (a chunk's cursor), every later chunk, then live: no gap, no "
        "duplicate, across restarts. Whoever may see everything gets the omniscient "
        "prose; in a campaign seen through characters any other co-author gets the "
        "tellings from the points of view of the characters it plays, nothing else."
    )
    async def narrative_stream(
        self, info: Info, session_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[NarrativeChunk, None]:
        ctx = info.context
        if ctx.user_id is None:
            raise AuthenticationRequired("Log in to follow this session.")
        resume = parse_chunk_cursor(after)
        session, campaign, viewpoints = await _followed_session(info, session_id)

        async def recheck(_: object) -> None:
            """Before each later telling, what the viewer may read now (a fresh context:
            the socket's would remember the campaign as it was)."""
            now = await narrative_viewpoints(RequestContext(ctx.services, ctx.principal), campaign)
            if now != viewpoints:
                raise ViewpointChanged(None)

        chunks = ctx.services.narrative.stream(session, resume, viewpoints, recheck)
        async with aclosing(chunks):
            async for chunk in chunks:
                yield NarrativeChunk(
                    turn_id=strawberry.ID(str(chunk.turn_id)),
                    sequence=chunk.sequence,
                    text=chunk.text,
                    done=chunk.done,
                    cursor=chunk_cursor(chunk.cursor),
                    viewpoint_character_id=strawberry.ID(str(chunk.viewpoint))
                    if chunk.viewpoint
                    else None,
                )


async def _followed_session(info: Info, id: str) -> tuple[uuid.UUID, uuid.UUID, Viewpoints]:
    """The session's id and the tellings of it the viewer reads, if the viewer is a
    member of its campaign; otherwise there is no such session, whether or not it
    exists."""
    session_id = parse_id(id)
    session = await info.context.loader(SessionByIdLoader).load(session_id) if session_id else None
    viewpoints = await narrative_viewpoints(info.context, session.campaign_id) if session else None
    if session is None or viewpoints is None:
        raise NotFound("No session with this id.", "sessionId")
    return session.id, session.campaign_id, viewpoints
