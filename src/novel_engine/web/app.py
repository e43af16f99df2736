"""The ASGI application: GraphQL, GraphiQL, health, readiness and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from novel_engine.graphql.context import Services
from novel_engine.graphql.events.live import LiveOperations
from novel_engine.graphql.schema import build_schema
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.event_store import SqlEventReader
from novel_engine.persistence.queries import ReadQueries
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.subscriptions.hub import EventHub, InProcessHub
from novel_engine.subscriptions.live import LiveEvents
from novel_engine.subscriptions.presence import (
    MemoryPresenceStore,
    Presence,
    PresenceStore,
    RedisPresenceStore,
)
from novel_engine.subscriptions.redis_hub import RedisHub
from novel_engine.web import graphiql
from novel_engine.web.auth import Authenticator
from novel_engine.web.graphql_http import GraphQLHttp
from novel_engine.web.metrics import Metrics
from novel_engine.web.security import Argon2Hasher, JwtTokens
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


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    tokens = JwtTokens(settings.secret_key)
    metrics = Metrics()
    schema = build_schema()
    auth = Authenticator(tokens)
    graphql = GraphQLHttp(schema, auth, metrics, settings.max_body_bytes)
    websockets = WebSocketServer(
        LiveOperations(schema), auth, init_timeout=settings.ws_init_timeout
    )
    live_events: list[LiveEvents] = []  # set by the lifespan
    metrics.gauge(
        "novel_engine_websocket_connections",
        "Open GraphQL WebSocket connections.",
        lambda: websockets.connections,
    )
    metrics.gauge(
        "novel_engine_live_feeds",
        "Streams this process follows for live subscribers.",
        lambda: sum(len(live.feeds) for live in live_events),
    )
    metrics.gauge(
        "novel_engine_live_subscribers",
        "Live subscribers fanned out by this process's feeds.",
        lambda: sum(live.feeds.subscribers for live in live_events),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        hub: EventHub = RedisHub(settings.redis_url) if settings.redis_url else InProcessHub()
        await hub.start()
        live = LiveEvents(hub, SqlEventReader(engine), settings.subscriber_queue_limit)
        live_events[:] = [live]
        store: PresenceStore = (
            RedisPresenceStore(settings.redis_url, settings.presence_ttl)
            if settings.redis_url
            else MemoryPresenceStore()
        )
        presence = Presence(hub, store, settings.presence_ttl)
        await presence.start()
        app.state.engine = engine
        app.state.hub = hub
        app.state.websockets = websockets
        app.state.services = Services(
            unit_of_work=lambda: SqlUnitOfWork(engine, live),
            queries=ReadQueries(engine),
            hasher=Argon2Hasher(),
            tokens=tokens,
            live=live,
            presence=presence,
        )
        try:
            yield
        finally:
            await presence.close()
            await live.close()
            await hub.close()
            await engine.dispose()

    return Starlette(
        routes=[
            Route("/graphql", graphql.handle, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", websockets.handle),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics.endpoint),
            Mount(graphiql.ASSETS_PATH, app=graphiql.assets()),
        ],
        lifespan=lifespan,
    )
