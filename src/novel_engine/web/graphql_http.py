"""GraphQL over HTTP (the GraphQL-over-HTTP specification): GET and POST on /graphql."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from novel_engine.resolvers.context import RequestContext
from novel_engine.web import graphiql
from novel_engine.web.metrics import Metrics
from novel_engine.web.request_json import RequestJsonError, decode_request_json
from novel_engine.web.security import InvalidToken, JwtTokens

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither."""
    if not accept:
        return JSON
    offered: list[tuple[float, str]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        offered.append((quality, media.lower()))
    for quality, media in sorted(offered, key=lambda o: -o[0]):
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


def _json(body: dict[str, Any], status: int, media: str, headers: dict[str, str]) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)
    return Response(content, status, headers=headers, media_type=f"{media}; charset=utf-8")


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class GraphQLHttp:
    """One endpoint for GraphQL over HTTP; each request gets its own context and loaders."""

    def __init__(
        self, schema: Schema, tokens: JwtTokens, metrics: Metrics, max_body_bytes: int
    ) -> None:
        self._schema = schema
        self._tokens = tokens
        self._metrics = metrics
        self._max_body = max_body_bytes

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and graphiql.wanted(request):
            return graphiql.page()
        correlation_id = _correlation_id(request)
        headers = {"X-Correlation-ID": str(correlation_id)}
        media = negotiate(request.headers.get("accept"))
        if media is None:
            return _json(
                _error_body(f"Accept {JSON} or {GRAPHQL_RESPONSE}.", "NOT_ACCEPTABLE"),
                406,
                JSON,
                headers,
            )
        started = time.perf_counter()
        try:
            user_id = self._authenticate(request)
            params = await self._params(request)
            response = await self._execute(request, params, user_id, correlation_id, media, headers)
        except HttpError as exc:
            headers.update(exc.headers)
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            code = {401: "UNAUTHENTICATED", 405: "METHOD_NOT_ALLOWED"}.get(
                exc.status, "BAD_REQUEST"
            )
            response = _json(_error_body(exc.message, code), exc.status, media, headers)
        self._metrics.observe_graphql(
            request.method, response.status_code, time.perf_counter() - started
        )
        return response

    def _authenticate(self, request: Request) -> uuid.UUID | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, "Authorization must be 'Bearer <token>'.")
        try:
            return self._tokens.user_id(token.strip())
        except InvalidToken as exc:
            raise HttpError(401, "The token is invalid or has expired; log in again.") from exc

    async def _params(self, request: Request) -> GraphQLParams:
        if request.method == "GET":
            raw: dict[str, Any] = dict(request.query_params)
            if "variables" in raw:
                raw["variables"] = _decode_json(raw["variables"], "'variables'")
            if "extensions" in raw:
                raw["extensions"] = _decode_json(raw["extensions"], "'extensions'")
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON:
                raise HttpError(415, f"Send the request body as {JSON}.")
            raw = _decode_json(await self._body(request), "The request body")
            if not isinstance(raw, dict):
                raise HttpError(400, "The request body must be a JSON object.")
        query = raw.get("query")
        variables = raw.get("variables")
        operation_name = raw.get("operationName")
        if not isinstance(query, str) or not query.strip():
            raise HttpError(400, "'query' must be a non-empty string.")
        if variables is not None and not isinstance(variables, dict):
            raise HttpError(400, "'variables' must be an object.")
        if operation_name is not None and not isinstance(operation_name, str):
            raise HttpError(400, "'operationName' must be a string.")
        extensions = raw.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise HttpError(400, "'extensions' must be an object.")
        return GraphQLParams(query, variables, operation_name)

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_body:
            raise HttpError(413, f"The request body is larger than {self._max_body} bytes.")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > self._max_body:
                raise HttpError(413, f"The request body is larger than {self._max_body} bytes.")
        return bytes(body)

    async def _execute(
        self,
        request: Request,
        params: GraphQLParams,
        user_id: uuid.UUID | None,
        correlation_id: uuid.UUID,
        media: str,
        headers: dict[str, str],
    ) -> Response:
        context = RequestContext(
            request.app.state.services,
            user_id,
            correlation_id,
            operation_name_given=params.operation_name is not None,
        )
        allowed = (
            {OperationType.QUERY}
            if request.method == "GET"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        try:
            result = await self._schema.execute(
                params.query,
                variable_values=params.variables,
                context_value=context,
                operation_name=params.operation_name,
                allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError as exc:
            raise HttpError(
                405, "Only queries may be sent with GET; use POST.", {"Allow": "POST"}
            ) from exc
        except CannotGetOperationTypeError as exc:
            raise HttpError(400, "Name the operation to run with 'operationName'.") from exc
        errors: list[GraphQLError] = list(result.errors or [])
        request_error = isinstance(result, PreExecutionError) or (
            result.data is None and bool(errors) and all(e.path is None for e in errors)
        )
        body: dict[str, Any] = {}
        if not request_error:
            body["data"] = result.data
        if errors:
            body["errors"] = [e.formatted for e in errors]
        if result.extensions:
            body["extensions"] = result.extensions
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        return _json(body, status, media, headers)


def _decode_json(text: str | bytes, what: str) -> Any:
    try:
        return decode_request_json(text)
    except RequestJsonError as exc:
        raise HttpError(400, f"{what} {exc}.") from exc


def _correlation_id(request: Request) -> uuid.UUID:
    given = request.headers.get("x-correlation-id")
    try:
        return uuid.UUID(given) if given else uuid.uuid4()
    except ValueError:
        return uuid.uuid4()
