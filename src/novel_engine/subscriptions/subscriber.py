"""One live subscriber: a bounded queue of what its feed delivered, in position order.

Every position the feed delivers after the subscriber joined reaches it once: with a
payload, as a skip marker (its group may not see that event), or as an error (its group
could not be sent the event). So a missing position can only mean lost messages, never
a hidden event.

Once its reader has caught up (nothing queued), a subscriber may be handed a `Sink`: from
then on the feed's pushes go straight to it, in the feed's own loop, with no queue and no
task woken per subscriber. A payload the sink declines, and any error, goes back through
the queue, after everything the sink took, so order holds either way.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

QUEUE_LIMIT = 1_000


class SlowConsumer(Exception):
    """A subscriber fell QUEUE_LIMIT events behind; it resumes by cursor."""


class EventNotDelivered(Exception):
    """The subscriber's group could not be sent an event. The feed does not skip it for
    them: the subscription ends here and resumes after the last cursor it received."""

    def __init__(self, position: int) -> None:
        super().__init__(
            "An event of this stream could not be prepared for this subscription; "
            "subscribe again after the last cursor you received."
        )
        self.position = position


# (position, payload): payload None marks a position the subscriber's group may not see.
Item = tuple[int, Any]

# Takes (position, payload) in the feed's loop, without blocking; False declines it (it is
# queued instead, and the sink is not called again). It must not raise.
Sink = Callable[[int, Any], bool]


class LiveSubscriber:
    """One subscriber's bounded queue of (position, payload or None).

    A deque and one waiter rather than an asyncio.Queue: a process holds one subscriber
    per open subscription, and a Queue's three deques are most of an idle one's memory.
    """

    def __init__(self, key: Hashable, limit: int = QUEUE_LIMIT) -> None:
        self.key = key
        self._items: deque[Item | EventNotDelivered] = deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self.overflowed = False
        self._failed = False
        self.on_overflow: Callable[[], None] = lambda: None
        self._sink: Sink | None = None
        # The feed hands this subscriber every position after `since` (set once known).
        self.since: int | None = None
        # The last position the sink took: the reader goes on from there if it gets the
        # stream back.
        self.sunk = 0

    def push(self, position: int, payload: Any) -> None:
        """Hand on an event's payload, or None when the subscriber's group may not see it."""
        if self._failed:
            return
        sink = self._sink
        if sink is not None:
            if sink(position, payload):
                self.sunk = position
                return
            self._sink = None
        self._put((position, payload))

    def fail(self, error: EventNotDelivered) -> None:
        """After what is queued, `get` raises `error`; nothing more is queued."""
        if not self._failed:
            self._sink = None
            self._put(error)
            self._failed = True

    def sink_into(self, sink: Sink) -> bool:
        """Hand pushes straight to `sink` from now on, if nothing is waiting in the queue
        (else the reader drains it first). Whether the sink took over."""
        if self._failed or self.overflowed or self._items:
            return False
        self._sink = sink
        return True

    def _put(self, item: Item | EventNotDelivered) -> None:
        if self.overflowed:
            return
        if len(self._items) >= self._limit:
            self.overflowed = True
            self._items.clear()  # drop the backlog: it will be replayed
            self._wake()
            self.on_overflow()
            return
        self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Item:
        """The next (position, payload or None); raises SlowConsumer or EventNotDelivered
        instead of leaving a gap."""
        while not self._items and not self.overflowed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.overflowed:
            raise SlowConsumer()
        item = self._items.popleft()
        if isinstance(item, EventNotDelivered):
            raise item
        return item
