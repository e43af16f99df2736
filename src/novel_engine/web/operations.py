"""Running operations sent over a WebSocket.

`campaignEvents` subscriptions are fanned out: subscribers with the same document,
variables (but for `after`) and visibility form a group, and each event is executed and
serialized once per group; every member is sent the same payload. Anything else runs
through Strawberry's own streaming pipeline, one execution per subscriber.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

from graphql import ExecutionResult as CoreExecutionResult
from graphql import (
    Executor,
    FieldNode,
    GraphQLError,
    VariableNode,
    execute_subscription_event,
    get_argument_values,
)
from strawberry import Schema
from strawberry.types.execution import ExecutionResult, PreExecutionError

from novel_engine.domain.errors import DomainError
from novel_engine.domain.events import StoredEvent
from novel_engine.graphql.context import RequestContext
from novel_engine.graphql.documents import DocumentCache, Prepared, subscription_root_field
from novel_engine.graphql.events import live
from novel_engine.graphql.events.types import DomainEvent
from novel_engine.graphql.extensions import public_error
from novel_engine.subscriptions.feeds import LiveSubscriber

# What a run yields: ("next", JSON text of one result) or ("error", [formatted errors]).
Frame = tuple[str, Any]
FANNED_OUT = "campaignEvents"
# Every member of a campaign sees all of its events; per-character perception will
# refine this key.
MEMBER_VISIBILITY = "member"


def result_json(result: CoreExecutionResult | ExecutionResult) -> str:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [public_error(e).formatted for e in result.errors]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


def _errors(errors: list[GraphQLError]) -> Frame:
    return "error", [public_error(e).formatted for e in errors]


def _domain_error(exc: DomainError) -> Frame:
    return "error", [
        {"message": exc.message, "extensions": {"code": exc.code.value, "field": exc.field}}
    ]


class OperationRunner:
    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._documents = DocumentCache(schema)

    async def run(
        self,
        payload: dict[str, Any],
        context: RequestContext,
        on_overflow: Callable[[], None],
    ) -> AsyncGenerator[Frame, None]:
        query = payload["query"]
        variables = payload.get("variables") or {}
        operation_name = payload.get("operationName")
        if not isinstance(variables, dict) or not (
            operation_name is None or isinstance(operation_name, str)
        ):
            yield _errors([GraphQLError("variables must be an object, operationName a string.")])
            return
        prepared = self._documents.prepare(query)
        if isinstance(prepared, list):
            yield _errors(prepared)
            return
        operation = prepared.operation(operation_name)
        field = subscription_root_field(operation) if operation else None
        if field is not None and field.name.value == FANNED_OUT:
            frames = self._fan_out(
                query, prepared, field, variables, operation_name, context, on_overflow
            )
        else:
            frames = self._one_by_one(
                query, variables, operation_name, context, subscription=field is not None
            )
        async with aclosing(frames):
            async for frame in frames:
                yield frame

    async def _one_by_one(
        self,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None,
        context: RequestContext,
        *,
        subscription: bool,
    ) -> AsyncGenerator[Frame, None]:
        results = await self._schema.stream(query, variables, context, None, operation_name)
        first = True
        async with aclosing(results):
            async for result in results:
                if not isinstance(result, ExecutionResult):
                    yield _errors([GraphQLError("@defer and @stream are not served here.")])
                    return
                failed_to_start = subscription and first and result.data is None
                if isinstance(result, PreExecutionError) or failed_to_start:
                    yield _errors(list(result.errors or []))
                    return
                first = False
                yield "next", result_json(result)

    async def _fan_out(
        self,
        query: str,
        prepared: Prepared,
        field: FieldNode,
        variables: dict[str, Any],
        operation_name: str | None,
        context: RequestContext,
        on_overflow: Callable[[], None],
    ) -> AsyncGenerator[Frame, None]:
        schema = self._schema._schema
        executor = Executor.build(
            schema,
            prepared.document,
            context_value=context,
            raw_variable_values=variables,
            operation_name=operation_name,
        )
        if isinstance(executor, list):
            yield _errors(executor)
            return
        assert schema.subscription_type is not None
        args = get_argument_values(
            schema.subscription_type.fields[FANNED_OUT], field, executor.variable_values
        )
        try:
            stream_id, after = await live.open_campaign_events(
                context, args["campaignId"], args.get("after")
            )
        except DomainError as exc:
            yield _domain_error(exc)
            return
        services = context.services

        async def render(stored: StoredEvent) -> str:
            """Execute the document once for this event (fresh loaders, no viewer)."""
            per_event = executor.build_per_event_executor(DomainEvent.from_model(stored))
            per_event.context_value = RequestContext(services)
            result = execute_subscription_event(per_event)
            if not isinstance(result, CoreExecutionResult):
                result = await result
            return result_json(result)

        def joined(subscriber: LiveSubscriber) -> None:
            subscriber.on_overflow = on_overflow

        key = (
            query,
            operation_name,
            _without(variables, field, "after"),
            MEMBER_VISIBILITY,
        )
        assert context.user_id is not None  # only members get this far
        events = services.live.follow(stream_id, after, key, render, joined=joined)
        async with services.presence.present(stream_id, context.user_id), aclosing(events):
            async for _, payload in events:
                yield "next", payload


def _without(variables: dict[str, Any], field: FieldNode, argument: str) -> str:
    """The variables as a stable key, leaving out the one bound to `argument` (it only
    decides where replay starts, not what an event looks like)."""
    skipped = {
        a.value.name.value
        for a in field.arguments or ()
        if a.name.value == argument and isinstance(a.value, VariableNode)
    }
    return json.dumps(
        {k: v for k, v in variables.items() if k not in skipped}, sort_keys=True, default=str
    )
