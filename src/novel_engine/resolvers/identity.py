"""Sign-up, log-in and who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from novel_engine.domain.services import identity
from novel_engine.domain.user import User
from novel_engine.persistence.queries import UserRecord
from novel_engine.resolvers.context import RequestContext


@dataclass(frozen=True)
class Authenticated:
    token: str
    user: User


async def sign_up(
    ctx: RequestContext, *, email: str, password: str, display_name: str
) -> Authenticated:
    user = await identity.sign_up(
        ctx.uow(),
        ctx.actor,
        ctx.services.hasher,
        email=email,
        password=password,
        display_name=display_name,
    )
    return Authenticated(ctx.services.tokens.issue(user.id), user)


async def log_in(ctx: RequestContext, *, email: str, password: str) -> Authenticated:
    user = await identity.log_in(ctx.uow(), ctx.services.hasher, email=email, password=password)
    return Authenticated(ctx.services.tokens.issue(user.id), user)


async def viewer(ctx: RequestContext) -> UserRecord | None:
    if ctx.user_id is None:
        return None
    return await ctx.loaders.user_by_id.load(ctx.user_id)
