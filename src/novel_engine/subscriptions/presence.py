"""Presence: which members of a campaign are connected right now, across processes.

Every live subscription to a campaign registers its user under a unique token with an
expiry; each process refreshes its own registrations, so those of a process that died
expire. A change is announced on the campaign's presence channel and watchers recompute
the set of users online; a periodic tick catches expiries nobody announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

from novel_engine.subscriptions.hub import EventHub

log = logging.getLogger(__name__)

DEFAULT_TTL = 30.0


class PresenceStore(Protocol):
    async def put(
        self, campaign_id: uuid.UUID, user_id: uuid.UUID, token: str, until: float
    ) -> None: ...

    async def remove(self, campaign_id: uuid.UUID, token: str) -> None: ...

    async def online(self, campaign_id: uuid.UUID, now: float) -> frozenset[uuid.UUID]: ...

    async def close(self) -> None: ...


class MemoryPresenceStore:
    def __init__(self) -> None:
        self._entries: dict[uuid.UUID, dict[str, tuple[uuid.UUID, float]]] = {}

    async def put(
        self, campaign_id: uuid.UUID, user_id: uuid.UUID, token: str, until: float
    ) -> None:
        self._entries.setdefault(campaign_id, {})[token] = (user_id, until)

    async def remove(self, campaign_id: uuid.UUID, token: str) -> None:
        entries = self._entries.get(campaign_id, {})
        entries.pop(token, None)
        if not entries:
            self._entries.pop(campaign_id, None)

    async def online(self, campaign_id: uuid.UUID, now: float) -> frozenset[uuid.UUID]:
        entries = self._entries.get(campaign_id, {})
        return frozenset(user for user, until in entries.values() if until > now)

    async def close(self) -> None:
        self._entries.clear()


class RedisPresenceStore:
    """One hash per campaign: field `user:token`, value the expiry (epoch seconds)."""

    def __init__(self, url: str, ttl: float) -> None:
        self._redis = redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=5, decode_responses=True
        )
        self._ttl = ttl

    @staticmethod
    def _key(campaign_id: uuid.UUID) -> str:
        return f"novel-engine:presence:{campaign_id}"

    async def put(
        self, campaign_id: uuid.UUID, user_id: uuid.UUID, token: str, until: float
    ) -> None:
        key = self._key(campaign_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, f"{user_id}:{token}", str(until))
            pipe.expire(key, int(self._ttl * 2) + 1)
            await pipe.execute()

    async def remove(self, campaign_id: uuid.UUID, token: str) -> None:
        key = self._key(campaign_id)
        fields = [f for f in await self._redis.hkeys(key) if str(f).endswith(f":{token}")]
        if fields:
            await self._redis.hdel(key, *fields)

    async def online(self, campaign_id: uuid.UUID, now: float) -> frozenset[uuid.UUID]:
        key = self._key(campaign_id)
        entries = await self._redis.hgetall(key)
        expired = [field for field, until in entries.items() if float(until) <= now]
        if expired:
            await self._redis.hdel(key, *expired)
        return frozenset(
            uuid.UUID(str(field).split(":", 1)[0])
            for field, until in entries.items()
            if float(until) > now
        )

    async def close(self) -> None:
        await self._redis.aclose()


def presence_channel(campaign_id: uuid.UUID) -> str:
    return f"novel-engine:presence-changes:{campaign_id}"


class _Changed:
    """A hub listener that wakes a watcher."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def deliver(self, message: bytes) -> None:
        self.event.set()

    def gap(self) -> None:
        self.event.set()


class Presence:
    def __init__(self, hub: EventHub, store: PresenceStore, ttl: float = DEFAULT_TTL) -> None:
        self._hub = hub
        self._store = store
        self._ttl = ttl
        self._mine: dict[str, tuple[uuid.UUID, uuid.UUID]] = {}  # token -> (campaign, user)
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._refresh_forever(), name="presence-heartbeat")

    async def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        for token, (campaign_id, _) in list(self._mine.items()):
            with contextlib.suppress(RedisError, OSError):
                await self._store.remove(campaign_id, token)
        await self._store.close()

    @asynccontextmanager
    async def present(self, campaign_id: uuid.UUID, user_id: uuid.UUID) -> AsyncIterator[None]:
        """The user counts as connected to the campaign for the length of the block."""
        token = uuid.uuid4().hex
        self._mine[token] = (campaign_id, user_id)
        await self._announce(
            campaign_id, self._store.put(campaign_id, user_id, token, self._until())
        )
        try:
            yield
        finally:
            del self._mine[token]
            await self._announce(campaign_id, self._store.remove(campaign_id, token))

    async def watch(self, campaign_id: uuid.UUID) -> AsyncGenerator[frozenset[uuid.UUID], None]:
        """The users online now, then again whenever that set changes."""
        changed = _Changed()
        channel = presence_channel(campaign_id)
        await self._hub.subscribe(channel, changed)
        try:
            last: frozenset[uuid.UUID] | None = None
            while True:
                changed.event.clear()
                try:
                    online = await self._store.online(campaign_id, time.time())
                except (RedisError, OSError):
                    log.warning("presence store unreachable; keeping the last known set")
                    online = last if last is not None else frozenset()
                if online != last:
                    last = online
                    yield online
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._ttl / 3):  # see Feed._run: not wait_for
                        await changed.event.wait()
        finally:
            await self._hub.unsubscribe(channel, changed)

    def _until(self) -> float:
        return time.time() + self._ttl

    async def _announce(self, campaign_id: uuid.UUID, change: Awaitable[None]) -> None:
        try:
            await change
            await self._hub.publish(presence_channel(campaign_id), b"changed")
        except (RedisError, OSError):
            log.warning("presence change for %s not recorded or announced", campaign_id)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            for token, (campaign_id, user_id) in list(self._mine.items()):
                with contextlib.suppress(RedisError, OSError):
                    await self._store.put(campaign_id, user_id, token, self._until())
