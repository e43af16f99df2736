"""The composition root: settings in, a running server's collaborators out.

The app's lifespan and the tests build the server the same way, through `bootstrap`;
tests add their own handlers to the ones every server has.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.language import LanguageModel
from novel_engine.domain.messagebus import Handlers, MessageBus
from novel_engine.graphql.context import Services
from novel_engine.models import factory as models
from novel_engine.models.recording import FanOutRecorder
from novel_engine.narrative import stories
from novel_engine.narrative.beliefs import BeliefProjection
from novel_engine.narrative.engine import StoryEngine
from novel_engine.narrative.memories import MemoryProjection
from novel_engine.narrative.offline import OfflineModel
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.event_store import SqlEventReader
from novel_engine.persistence.jobs import JobQueries
from novel_engine.persistence.model_calls import SqlCallRecorder
from novel_engine.persistence.narration import SqlNarrativeReader
from novel_engine.persistence.queries import ReadQueries
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.persistence.workers import JobWorkers
from novel_engine.subscriptions.hub import EventHub, InProcessHub
from novel_engine.subscriptions.live import LiveEvents
from novel_engine.subscriptions.narrative import HubNarrativePublisher, NarrativeFeeds
from novel_engine.subscriptions.presence import (
    MemoryPresenceStore,
    Presence,
    PresenceStore,
    RedisPresenceStore,
)
from novel_engine.subscriptions.redis_hub import RedisHub
from novel_engine.web.metrics import Metrics
from novel_engine.web.security import Argon2Hasher, JwtTokens
from novel_engine.web.settings import Settings


@dataclass(frozen=True)
class Runtime:
    """Everything a running server holds, alive until `bootstrap` exits."""

    settings: Settings
    engine: AsyncEngine
    hub: EventHub
    live: LiveEvents
    presence: Presence
    bus: MessageBus
    workers: JobWorkers
    jobs: JobQueries
    services: Services
    model: LanguageModel


def server_handlers(live: LiveEvents) -> Handlers:
    """What every server does after a commit."""
    handlers = Handlers()
    handlers.add_immediate(live.publish)  # best effort: feeds heal from the event store
    return handlers


@asynccontextmanager
async def bootstrap(
    settings: Settings,
    metrics: Metrics | None = None,
    extra: Handlers | None = None,
) -> AsyncIterator[Runtime]:
    """Start the server's collaborators; stop them in reverse order on exit (job workers
    first, then the after-commit handlers still running, then the hub and the database)."""
    metrics = metrics or Metrics()
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        # The configured model, falling back to the offline one whenever it cannot answer;
        # every call counted in the metrics and kept in the database.
        recorder = FanOutRecorder(metrics.model_calls, SqlCallRecorder(engine))
        model = models.build(settings, OfflineModel(), recorder=recorder)
        hub: EventHub = RedisHub(settings.redis_url) if settings.redis_url else InProcessHub()
        await hub.start()
        stack.push_async_callback(hub.close)
        live = LiveEvents(hub, SqlEventReader(engine), settings.subscriber_queue_limit)
        stack.push_async_callback(live.close)
        metrics.figures(live.figures)
        presence = Presence(hub, _presence_store(settings), settings.presence_ttl)
        await presence.start()
        stack.push_async_callback(presence.close)

        handlers = server_handlers(live)
        narrative = NarrativeFeeds(hub, SqlNarrativeReader(engine))
        story = StoryEngine(
            model,
            SqlEventReader(engine),
            HubNarrativePublisher(hub),
            reactions_per_turn=settings.reactions_per_turn,
        )
        handlers.include(story.handlers())
        handlers.include(BeliefProjection(SqlEventReader(engine)).handlers())
        handlers.include(stories.handlers(model))
        handlers.include(memory_projection(settings, model, engine).handlers())
        if extra is not None:
            handlers.include(extra)
        bus = MessageBus(handlers)
        stack.push_async_callback(bus.aclose)
        workers = JobWorkers(
            engine,
            bus,
            concurrency=settings.job_concurrency,
            lease_seconds=settings.job_lease_seconds,
            observer=metrics.jobs,
        )
        bus.wake_on_jobs(workers.wake)
        await workers.start()
        stack.push_async_callback(workers.close)

        services = Services(
            unit_of_work=lambda: SqlUnitOfWork(engine, bus),
            queries=ReadQueries(engine, memory_weights=settings.retrieval_weights),
            hasher=Argon2Hasher(),
            tokens=JwtTokens(settings.secret_key),
            live=live,
            presence=presence,
            narrative=narrative,
            reading=lambda: SqlUnitOfWork(engine, read_only=True),
        )
        yield Runtime(
            settings, engine, hub, live, presence, bus, workers, JobQueries(engine), services, model
        )


def memory_projection(
    settings: Settings, model: LanguageModel, engine: AsyncEngine
) -> MemoryProjection:
    """The memories projection as every server (and `novel-engine rebuild`) runs it."""
    return MemoryProjection(
        model, SqlEventReader(engine), reflection_threshold=settings.reflection_threshold
    )


def _presence_store(settings: Settings) -> PresenceStore:
    if settings.redis_url:
        return RedisPresenceStore(settings.redis_url, settings.presence_ttl)
    return MemoryPresenceStore()
