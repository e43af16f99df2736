"""The event hub: channels between the processes of one deployment.

The hub carries notifications, not the truth: a listener told of a gap (a lost
connection, an overflow) re-reads the event store.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Protocol

from novel_engine.subscriptions.stats import HubStats

log = logging.getLogger(__name__)


class HubListener(Protocol):
    def deliver(self, message: bytes) -> None:
        """Called in the event loop for each message; must not block."""
        ...

    def gap(self) -> None:
        """Messages may have been lost: re-read the source of truth."""
        ...


class EventHub(Protocol):
    @property
    def stats(self) -> HubStats:
        """This hub's counters, for the metrics endpoint."""
        ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, channel: str, message: bytes) -> None: ...

    async def subscribe(self, channel: str, listener: HubListener) -> None: ...

    async def unsubscribe(self, channel: str, listener: HubListener) -> None: ...

    async def ping(self) -> bool:
        """Whether the broker answers (readiness)."""
        ...


class InProcessHub:
    """One process, no broker: publishing hands the message to local listeners."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[HubListener]] = defaultdict(set)
        self.stats = HubStats()  # no broker, so never a reconnect

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()

    async def publish(self, channel: str, message: bytes) -> None:
        for listener in list(self._listeners.get(channel, ())):
            listener.deliver(message)

    async def subscribe(self, channel: str, listener: HubListener) -> None:
        self._listeners[channel].add(listener)

    async def unsubscribe(self, channel: str, listener: HubListener) -> None:
        listeners = self._listeners.get(channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[channel]

    async def ping(self) -> bool:
        return True
