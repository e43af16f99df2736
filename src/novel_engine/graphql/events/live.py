"""The live path: one operation sent over a live connection, read top to bottom.

1. Read the request: its query, variables and operationName.
2. Prepare the document (parsed and validated once, then cached) and pick the
   operation. A document with several operations must name one, as over HTTP.
3. For a subscription, find its root field as execution does: graphql-core's field
   collection, through fragment spreads and inline fragments.
4. `campaignEvents`, whatever the shape of the document: authorize the follower, decide
   what its group may see (`events.seeing`: everything, or through characters), build
   the group's key, render each event once per group and frame it. Every member of a
   group is sent the same JSON text. An event that changes what the group's viewpoint
   would be (the campaign's perspective, the player's characters) is the group's last:
   its members get it, then an error telling them to subscribe again after it.
   Once replay is over, a transport that can write frames at once (`SendNow`) is handed
   each live payload straight from the feed; the rest still comes out as frames here.
5. Anything else (queries, mutations, `presence`) runs through Strawberry's pipeline,
   one execution per subscriber.

Out come frames: the JSON text of one result, or the errors that end the operation.
Messages, envelopes and close codes are the transport's business.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as CoreExecutionResult
from graphql import (
    Executor,
    GraphQLError,
    GraphQLFormattedError,
    OperationType,
    VariableNode,
    execute_subscription_event,
    get_argument_values,
)
from graphql.execution.collect_fields import FieldDetails
from strawberry import Schema
from strawberry.types.execution import ExecutionResult, PreExecutionError

from novel_engine.domain.errors import DomainError, InvalidInput, ViewpointChanged
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.principal import Principal
from novel_engine.graphql.context import LiveView, RequestContext, Services
from novel_engine.graphql.documents import (
    DocumentCache,
    Prepared,
    subscription_root_field,
    variable_uses,
)
from novel_engine.graphql.events.access import Follower, authorize_follower
from novel_engine.graphql.events.seeing import AS_CHARACTER, Viewpoint, viewpoint_of
from novel_engine.graphql.events.types import DomainEvent
from novel_engine.graphql.extensions import public_error
from novel_engine.graphql.ids import parse_id
from novel_engine.graphql.pagination import parse_position_cursor
from novel_engine.subscriptions.feeds import EventNotDelivered, LiveSubscriber, Render
from novel_engine.subscriptions.subscriber import Sink

CAMPAIGN_EVENTS = "campaignEvents"
# The argument that only decides where a stream's replay starts.
REPLAY_AFTER = "after"


@dataclass(frozen=True)
class Next:
    """One result as JSON text; for campaignEvents, the same text for a whole group."""

    payload: str


@dataclass(frozen=True)
class Failed:
    """Errors, formatted as GraphQL errors, that end the operation."""

    errors: list[GraphQLFormattedError]


Frame = Next | Failed

# Sends one Next payload of this operation at once, synchronously, from the feed's loop;
# False when it cannot (the connection is closing), and the frame comes out of `run`.
SendNow = Callable[[str], bool]


@dataclass(frozen=True)
class Request:
    query: str
    variables: dict[str, Any]
    operation_name: str | None


@dataclass(frozen=True)
class Subscribed:
    """A subscription ready to run: its document, executor and root field."""

    prepared: Prepared
    executor: Executor[Any]
    root: FieldDetails


@dataclass(frozen=True)
class Outdated:
    """The group's last event: seeing it (`payload`, None when hidden) changed what the
    group's viewpoint would be, so its members are told to subscribe again."""

    payload: str | None


@dataclass(frozen=True)
class GroupKey:
    """Subscribers who are sent the same bytes: the same document and operation, the
    same variables but the one choosing where replay starts, the same viewpoint."""

    query: str
    operation_name: str | None
    variables: str
    viewpoint: Viewpoint


class RenderFailed(Exception):
    """Executing the document for an event produced no data: the event is not delivered
    (its subscribers get an error and resume by cursor), never skipped."""


class LiveOperations:
    """Runs the operations a live connection sends."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._documents = DocumentCache(schema)

    async def run(
        self,
        payload: dict[str, Any],
        services: Services,
        principal: Principal | None,
        on_overflow: Callable[[], None],
        send_now: SendNow | None = None,
    ) -> AsyncGenerator[Frame, None]:
        """The frames of one operation (`payload["query"]` is a string), until it ends.

        A campaignEvents subscriber that falls too far behind raises SlowConsumer;
        `on_overflow` is called the moment it happens, when it may be stuck sending.
        With `send_now`, its live events are sent through it instead of coming out here.
        """
        request = read_request(payload)
        if isinstance(request, Failed):
            yield request
            return
        context = RequestContext(
            services, principal, operation_name_given=request.operation_name is not None
        )
        chosen = self._choose(request)
        if isinstance(chosen, Failed):
            yield chosen
            return
        if chosen is None:
            frames = self._through_strawberry(request, context, subscription=False)
        elif chosen.root.node.name.value == CAMPAIGN_EVENTS:
            frames = self._campaign_events(request, chosen, context, on_overflow, send_now)
        else:
            frames = self._through_strawberry(request, context, subscription=True)
        async with aclosing(frames):
            async for frame in frames:
                yield frame

    def _choose(self, request: Request) -> Subscribed | Failed | None:
        """The subscription to run, None for a query or mutation, or why neither."""
        prepared = self._documents.prepare(request.query)
        if isinstance(prepared, list):
            return failed(prepared)
        operation = prepared.operation(request.operation_name)
        if isinstance(operation, GraphQLError):
            return failed([operation])
        if operation.operation is not OperationType.SUBSCRIPTION:
            return None
        executor = Executor.build(
            self._schema._schema,
            prepared.document,
            raw_variable_values=request.variables,
            operation_name=request.operation_name,
        )
        if isinstance(executor, list):
            return failed(executor)
        return Subscribed(prepared, executor, subscription_root_field(executor))

    async def _campaign_events(
        self,
        request: Request,
        subscribed: Subscribed,
        context: RequestContext,
        on_overflow: Callable[[], None],
        send_now: SendNow | None,
    ) -> AsyncGenerator[Frame, None]:
        arguments = campaign_events_arguments(subscribed)
        try:
            follower, after, viewpoint = await standing(context, arguments)
        except DomainError as exc:
            yield refused(exc)
            return
        key = GroupKey(
            request.query, request.operation_name, shared_variables(subscribed), viewpoint
        )
        services = context.services
        render = self._renderer(subscribed.executor, follower.campaign_id, viewpoint, services)

        def joined(subscriber: LiveSubscriber) -> None:
            subscriber.on_overflow = on_overflow

        sink = None if send_now is None else _sink(send_now)
        events = services.live.follow(
            follower.campaign_id, after, key, render, joined=joined, sink=sink
        )
        present = services.presence.present(follower.campaign_id, follower.user_id)
        try:
            async with present, aclosing(events):
                async for position, payload in events:
                    if isinstance(payload, Outdated):
                        if payload.payload is not None:
                            yield Next(payload.payload)
                        yield refused(ViewpointChanged(position))
                        return
                    yield Next(payload)
        except EventNotDelivered as exc:
            yield Failed([{"message": str(exc)}])

    def _renderer(
        self,
        executor: Executor[Any],
        campaign_id: uuid.UUID,
        viewpoint: Viewpoint,
        services: Services,
    ) -> Render:
        async def render(stored: StoredEvent) -> str | Outdated | None:
            """The event as the group sees it, executed and serialized once for every
            member: fresh loaders and no viewer, only the group's viewpoint, so nothing
            can depend on who looks."""
            seen = viewpoint.perceive(stored)
            text = None if seen is None else await execute(seen)  # None: a skip marker
            return Outdated(text) if viewpoint.outdated_by(stored) else text

        async def execute(seen: StoredEvent) -> str:
            per_event = executor.build_per_event_executor(DomainEvent.from_model(seen))
            per_event.context_value = RequestContext(
                services,
                viewpoints={campaign_id: viewpoint},
                live_view=LiveView(campaign_id, viewpoint.perceive),
            )
            result = execute_subscription_event(per_event)
            if not isinstance(result, CoreExecutionResult):
                result = await result
            if result.data is None:
                errors = result.errors or []
                cause = errors[0] if errors else None
                raise RenderFailed([e.message for e in errors]) from cause
            if result.errors:
                self._schema.process_errors(list(result.errors))
            return result_json(result)

        return render

    async def _through_strawberry(
        self, request: Request, context: RequestContext, *, subscription: bool
    ) -> AsyncGenerator[Frame, None]:
        results = await self._schema.stream(
            request.query, request.variables, context, None, request.operation_name
        )
        first = True
        async with aclosing(results):
            async for result in results:
                if not isinstance(result, ExecutionResult):
                    yield failed([GraphQLError("@defer and @stream are not served here.")])
                    return
                failed_to_start = subscription and first and result.data is None
                if isinstance(result, PreExecutionError) or failed_to_start:
                    yield failed(list(result.errors or []))
                    return
                first = False
                yield Next(result_json(result))


def _sink(send_now: SendNow) -> Sink:
    """Takes what needs nothing but sending: a payload, or a skip marker (nothing to send).
    An Outdated event ends the stream, so it goes the long way, after what was sent."""

    def sink(position: int, payload: Any) -> bool:
        if payload is None:
            return True
        return isinstance(payload, str) and send_now(payload)

    return sink


def read_request(payload: dict[str, Any]) -> Request | Failed:
    variables = payload.get("variables") or {}
    operation_name = payload.get("operationName")
    if not isinstance(variables, dict) or not (
        operation_name is None or isinstance(operation_name, str)
    ):
        return failed([GraphQLError("variables must be an object, operationName a string.")])
    return Request(payload["query"], variables, operation_name)


def campaign_events_arguments(subscribed: Subscribed) -> dict[str, Any]:
    executor, root = subscribed.executor, subscribed.root
    assert executor.schema.subscription_type is not None
    return get_argument_values(
        executor.schema.subscription_type.fields[CAMPAIGN_EVENTS],
        root.node,
        executor.variable_values,
        root.fragment_variable_values,
    )


async def standing(
    ctx: RequestContext, arguments: dict[str, Any]
) -> tuple[Follower, int, Viewpoint]:
    """Who follows, from where, seeing what.

    Where this process already follows the stream, a member's standing (membership and
    viewpoint, all facts of the campaign's own stream) is remembered until the feed
    delivers the stream's next event, so a crowd joining a quiet campaign reads it once.
    Looking through a chosen character also depends on that character's own stream (who
    may see it): decided afresh each time.
    """
    live, as_character = ctx.services.live, arguments.get(AS_CHARACTER)
    campaign_id = parse_id(arguments["campaignId"])
    memo, known = None, None
    if campaign_id is not None and ctx.user_id is not None and as_character is None:
        memo = live.memo(campaign_id)
        remembered = None if memo is None else memo.get(ctx.user_id)
        if remembered is not None:
            follower, viewpoint = remembered
            after = await replay_after(ctx, campaign_id, arguments.get(REPLAY_AFTER))
            return follower, after, viewpoint
        known = live.feeds.following(campaign_id)
    follower = await authorize_follower(ctx, arguments["campaignId"])
    after = await replay_after(ctx, follower.campaign_id, arguments.get(REPLAY_AFTER))
    # Decided after the head is read: a change committed in between is an event this
    # stream still goes through, and it ends the stream if it matters.
    viewpoint = await viewpoint_of(ctx, follower.campaign_id, as_character)
    if memo is not None and live.feeds.following(follower.campaign_id) == known:
        memo[ctx.user_id] = (follower, viewpoint)  # nothing was delivered meanwhile
    return follower, after, viewpoint


async def replay_after(ctx: RequestContext, campaign_id: uuid.UUID, after: str | None) -> int:
    """The position the stream continues after: the cursor's, every later event being
    replayed first; without one, the newest event this process knows of (its feed's, so a
    stream already followed here costs no read; an event committed and still on its way
    is sent, never missed)."""
    live = ctx.services.live
    known = await live.head(campaign_id)
    if after is None:
        return known
    position = parse_position_cursor(after)
    if position > known and position > await live.reader.head(campaign_id):
        raise InvalidInput("after is ahead of this campaign's events.", REPLAY_AFTER)
    return position


def shared_variables(subscribed: Subscribed) -> str:
    """The coerced variables as a stable key, less one that only feeds `after`: it
    decides where replay starts, not what an event looks like."""
    executor = subscribed.executor
    uses = variable_uses(subscribed.prepared.document, executor.operation)
    replay_only = {
        a.value.name.value
        for a in subscribed.root.node.arguments or ()
        if a.name.value == REPLAY_AFTER
        and isinstance(a.value, VariableNode)
        and uses[a.value.name.value] == 1
    }
    shared = {k: v for k, v in executor.variable_values.coerced.items() if k not in replay_only}
    return json.dumps(shared, sort_keys=True, separators=(",", ":"), default=str)


def result_json(result: CoreExecutionResult | ExecutionResult) -> str:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [public_error(e).formatted for e in result.errors]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


def failed(errors: list[GraphQLError]) -> Failed:
    return Failed([public_error(e).formatted for e in errors])


def refused(exc: DomainError) -> Failed:
    return Failed(
        [{"message": exc.message, "extensions": {"code": exc.code.value, "field": exc.field}}]
    )
