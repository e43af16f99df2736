"""GraphQL over HTTP (the GraphQL-over-HTTP specification): GET and POST on /graphql."""

from __future__ import annotations

import json
import re
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

from novel_engine.domain.principal import Principal
from novel_engine.graphql.context import RequestContext
from novel_engine.web import graphiql
from novel_engine.web.auth import Authenticator, Refused
from novel_engine.web.metrics import Metrics
from novel_engine.web.request_json import RequestJsonError, decode_request_json

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# A client's request tag, echoed as X-Request-ID and written in the logs; anything else
# is replaced by a tag of the server's making.
REQUEST_TAG = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")


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
        self, schema: Schema, auth: Authenticator, metrics: Metrics, max_body_bytes: int
    ) -> None:
        self._schema = schema
        self._auth = auth
        self._metrics = metrics
        self._max_body = max_body_bytes

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and graphiql.wanted(request):
            return graphiql.page()
        request_tag = _request_tag(request)
        headers = {"X-Request-ID": request_tag}
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
            principal = await self._authenticate(request)
            params = await self._params(request)
            context = RequestContext(
                request.app.state.services,
                principal,
                request_tag=request_tag,
                operation_name_given=params.operation_name is not None,
            )
            response = await self._execute(request, params, context, media, headers)
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

    async def _authenticate(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        try:
            return await self._auth.authenticate(header or None, request.app.state.services.queries)
        except Refused as exc:
            raise HttpError(401, exc.reason) from exc

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
        context: RequestContext,
        media: str,
        headers: dict[str, str],
    ) -> Response:
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
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise HttpError(
                    400, "Subscriptions are served over WebSocket at /graphql, not over HTTP."
                ) from exc
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


def _request_tag(request: Request) -> str:
    """The client's X-Request-ID (or X-Correlation-ID) when it is a plain token, else a new
    one. It only labels the request in logs: every command makes its own correlation id."""
    given = request.headers.get("x-request-id") or request.headers.get("x-correlation-id")
    return given if given and REQUEST_TAG.fullmatch(given) else uuid.uuid4().hex
