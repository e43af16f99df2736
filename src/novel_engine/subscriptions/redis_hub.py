"""The hub over Redis pub/sub: one Redis subscription per channel per process.

We keep the subscription bookkeeping ourselves (listeners per channel, one reader task,
reconnect and resubscribe) rather than trusting a client library's: after any broken
connection every listener is told of a gap and re-reads the event store, so nothing
published while Redis was away is lost to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

import redis.asyncio as redis
from redis.exceptions import RedisError

from novel_engine.subscriptions.hub import HubListener
from novel_engine.subscriptions.stats import HubStats

log = logging.getLogger(__name__)

# Always subscribed, so the reader has a connection to watch even with no listeners.
CONTROL_CHANNEL = "novel-engine:hub"
PING_EVERY = 5.0
MAX_BACKOFF = 2.0


class RedisHub:
    def __init__(self, url: str) -> None:
        self._publisher = redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._subscriber = redis.from_url(url, socket_connect_timeout=2)
        self._listeners: dict[str, set[HubListener]] = defaultdict(set)
        self._pubsub: redis.client.PubSub | None = None
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self.stats = HubStats()

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_forever(), name="redis-hub-reader")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._close_pubsub()
        await self._publisher.aclose()
        await self._subscriber.aclose()

    async def publish(self, channel: str, message: bytes) -> None:
        await self._publisher.publish(channel, message)

    async def subscribe(self, channel: str, listener: HubListener) -> None:
        async with self._lock:
            first = channel not in self._listeners
            self._listeners[channel].add(listener)
            if first and self._pubsub is not None:
                try:
                    await self._pubsub.subscribe(channel)
                except (RedisError, OSError):
                    # The reader reconnects, resubscribes every channel and signals a gap.
                    log.warning("subscribing to %s failed; will resubscribe", channel)

    async def unsubscribe(self, channel: str, listener: HubListener) -> None:
        async with self._lock:
            listeners = self._listeners.get(channel)
            if listeners is None:
                return
            listeners.discard(listener)
            if listeners:
                return
            del self._listeners[channel]
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(channel)

    async def ping(self) -> bool:
        try:
            return bool(await self._publisher.ping())
        except (RedisError, OSError):
            return False

    async def _read_forever(self) -> None:
        backoff = 0.1
        ever_connected = False
        while True:
            try:
                await self._connect()
                if ever_connected:
                    self.stats.reconnects += 1
                    log.info("redis hub reconnected; listeners re-read the event store")
                    self._signal_gap()
                ever_connected = True
                backoff = 0.1
                await self._pump()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning("redis hub connection lost (%s); retrying in %.1fs", exc, backoff)
                self._signal_gap()
            await self._close_pubsub()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _connect(self) -> None:
        pubsub = self._subscriber.pubsub()
        async with self._lock:
            await pubsub.subscribe(CONTROL_CHANNEL, *self._listeners)
            self._pubsub = pubsub

    async def _pump(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + PING_EVERY
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message["type"] == "message":
                channel = message["channel"].decode()
                for listener in list(self._listeners.get(channel, ())):
                    listener.deliver(message["data"])
            if loop.time() >= next_ping:
                # A half-open connection shows up here as an error, not as silence.
                async with asyncio.timeout(PING_EVERY):  # see Feed._run: not wait_for
                    await pubsub.ping()
                next_ping = loop.time() + PING_EVERY

    def _signal_gap(self) -> None:
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                listener.gap()

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
