"""The schema object: every area's root fields merged, with the caches and limits."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from novel_engine.domain.errors import DomainError
from novel_engine.graphql.campaigns.mutations import CampaignsMutation
from novel_engine.graphql.campaigns.queries import CampaignsQuery
from novel_engine.graphql.characters.mutations import CharactersMutation
from novel_engine.graphql.characters.queries import CharactersQuery
from novel_engine.graphql.errors import error_types
from novel_engine.graphql.events.subscriptions import EventsSubscription
from novel_engine.graphql.extensions import ErrorPolicy, RequireOperationName
from novel_engine.graphql.identity.mutations import IdentityMutation
from novel_engine.graphql.identity.queries import IdentityQuery
from novel_engine.graphql.limits import operation_limits
from novel_engine.graphql.perception.queries import PerceptionQuery
from novel_engine.graphql.sessions.mutations import SessionsMutation
from novel_engine.graphql.sessions.queries import SessionsQuery
from novel_engine.graphql.sessions.subscriptions import SessionsSubscription
from novel_engine.graphql.stories.mutations import StoriesMutation
from novel_engine.graphql.stories.queries import StoriesQuery

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000
CACHE_SIZE = 512
OPERATION_LIMITS = operation_limits(MAX_DEPTH, MAX_ALIASES)

log = logging.getLogger(__name__)

Query = merge_types(
    "Query",
    (
        IdentityQuery,
        CharactersQuery,
        StoriesQuery,
        CampaignsQuery,
        SessionsQuery,
        PerceptionQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (IdentityMutation, CharactersMutation, StoriesMutation, CampaignsMutation, SessionsMutation),
)
Subscription = merge_types("Subscription", (EventsSubscription, SessionsSubscription))


class NovelSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log what went wrong unexpectedly, under the request's tag; an expected
        DomainError is the client's news."""
        context = execution_context.context if execution_context else None
        tag = getattr(context, "request_tag", None) or "-"
        for error in errors:
            if not isinstance(error.original_error, DomainError):
                log.error("request %s: %s", tag, error.message, exc_info=error.original_error)


def build_schema() -> strawberry.Schema:
    return NovelSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Every domain error's type, whether or not a mutation's union names it yet.
        types=error_types(),
        extensions=[
            ErrorPolicy,
            lambda: ParserCache(maxsize=CACHE_SIZE),
            lambda: ValidationCache(maxsize=CACHE_SIZE),
            RequireOperationName,
            lambda: AddValidationRules([OPERATION_LIMITS]),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ],
    )
