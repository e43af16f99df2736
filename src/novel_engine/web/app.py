"""The ASGI application: GraphQL, GraphiQL, health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from novel_engine.domain.messagebus import Handlers
from novel_engine.graphql.events.live import LiveOperations
from novel_engine.graphql.schema import build_schema
from novel_engine.web import graphiql
from novel_engine.web.auth import Authenticator
from novel_engine.web.bootstrap import bootstrap
from novel_engine.web.graphql_http import GraphQLHttp
from novel_engine.web.metrics import Metrics
from novel_engine.web.security import JwtTokens
from novel_engine.web.settings import Settings
from novel_engine.web.websocket import WebSocketServer


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means: not ready
        checks["database"] = f"unreachable: {type(exc).__name__}"
    checks["broker"] = "ok" if await request.app.state.hub.ping() else "unreachable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
    )


def create_app(settings: Settings | None = None, handlers: Handlers | None = None) -> Starlette:
    """The app; `handlers` are added to the after-commit handlers every server has."""
    settings = settings or Settings.from_env()
    tokens = JwtTokens(settings.secret_key)
    metrics = Metrics()
    schema = build_schema()
    auth = Authenticator(tokens)
    graphql = GraphQLHttp(schema, auth, metrics, settings.max_body_bytes)
    websockets = WebSocketServer(
        LiveOperations(schema),
        auth,
        init_timeout=settings.ws_init_timeout,
        backlog_limit=settings.subscriber_queue_limit,
    )
    metrics.gauge(
        "novel_engine_websocket_connections",
        "Open GraphQL WebSocket connections.",
        lambda: websockets.connections,
    )
    metrics.gauge(
        "novel_engine_websocket_direct_frames",
        "Live results written straight to a WebSocket from the feed, since start.",
        lambda: websockets.direct_frames,
    )

    app = Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", websockets.handle),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics.endpoint),
            Mount(graphiql.ASSETS_PATH, app=graphiql.assets()),
        ],
        lifespan=partial(_serving, settings=settings, metrics=metrics, handlers=handlers),
    )
    app.state.websockets = websockets
    return app


@asynccontextmanager
async def _serving(
    app: Starlette, settings: Settings, metrics: Metrics, handlers: Handlers | None
) -> AsyncIterator[None]:
    """The app's lifespan: the server's collaborators, from the composition root."""
    async with bootstrap(settings, metrics, handlers) as runtime:
        app.state.engine = runtime.engine
        app.state.hub = runtime.hub
        app.state.services = runtime.services
        yield
