"""The schema object, with its caches and limits."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from novel_engine.domain.errors import DomainError
from novel_engine.schema.errors import (
    AlreadyExistsError,
    AuthenticationRequiredError,
    EmailTakenError,
    ForbiddenError,
    IdempotencyConflictError,
    InvalidCredentialsError,
    InvalidInputError,
    NotFoundError,
    SessionNotActiveError,
    VersionConflict,
)
from novel_engine.schema.extensions import ErrorPolicy, RequireOperationName
from novel_engine.schema.limits import operation_limits
from novel_engine.schema.mutation import Mutation
from novel_engine.schema.query import Query
from novel_engine.schema.subscription import Subscription

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
CACHE_SIZE = 512
OPERATION_LIMITS = operation_limits(MAX_DEPTH, MAX_ALIASES)


class NovelSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong unexpectedly; an expected DomainError is the client's news."""
        unexpected = [e for e in errors if not isinstance(e.original_error, DomainError)]
        super().process_errors(unexpected, execution_context)


def build_schema() -> strawberry.Schema:
    return NovelSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            InvalidInputError,
            NotFoundError,
            ForbiddenError,
            AuthenticationRequiredError,
            EmailTakenError,
            InvalidCredentialsError,
            AlreadyExistsError,
            IdempotencyConflictError,
            SessionNotActiveError,
            VersionConflict,
        ],
        extensions=[
            ErrorPolicy,
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            RequireOperationName,
            lambda: AddValidationRules([OPERATION_LIMITS]),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ],
    )
