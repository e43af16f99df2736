"""Signing up and logging in."""

from __future__ import annotations

import strawberry

from novel_engine.domain import commands, errors
from novel_engine.domain.services import identity
from novel_engine.domain.user import User as UserModel
from novel_engine.graphql.context import Info, RequestContext
from novel_engine.graphql.errors import Error, ResultUnion
from novel_engine.graphql.identity.inputs import LogInInput, SignUpInput
from novel_engine.graphql.identity.types import AuthPayload, User

AuthResult = ResultUnion(
    "AuthResult", AuthPayload, errors.InvalidInput, errors.EmailTaken, errors.InvalidCredentials
)


def _signed_in(ctx: RequestContext, user: UserModel) -> AuthPayload:
    return AuthPayload(
        token=ctx.services.tokens.issue(user.id), user=User.from_model(user, is_self=True)
    )


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(graphql_type=AuthResult.annotation)
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload | Error:
        ctx = info.context
        return await AuthResult.attempt(
            lambda: identity.sign_up(
                ctx.uow(),
                ctx.actor(),
                ctx.services.hasher,
                commands.SignUp(input.email, input.password, input.display_name),
            ),
            lambda user: _signed_in(ctx, user),
        )

    @strawberry.mutation(graphql_type=AuthResult.annotation)
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload | Error:
        ctx = info.context
        return await AuthResult.attempt(
            lambda: identity.log_in(
                ctx.uow(), ctx.services.hasher, commands.LogIn(input.email, input.password)
            ),
            lambda user: _signed_in(ctx, user),
        )
