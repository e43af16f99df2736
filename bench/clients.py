"""Subscribers in client processes of their own, one WebSocket connection each.

The parent hands each process a share of the subscribers; the process connects them
(a bounded number of handshakes at a time), says it is ready, tells the parent when all
its subscribers have an event, and at the end reports every arrival and what each
subscriber got wrong: an event lost, one received twice, one out of order.

Events carry an integer index somewhere in their data (`path`); negative indexes are
warm-ups, which make sure every subscription is live before anything is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from processes import cpu_seconds, raise_open_files_limit
from wsclient import Subscriber, open_subscriber

HANDSHAKES_AT_ONCE = 100


@dataclass(frozen=True)
class Share:
    """One client process's subscribers: one `subscribe` payload per subscriber (None:
    connect and initialise only)."""

    host: str
    port: int
    init: dict[str, Any]
    payloads: list[dict[str, Any] | None]
    path: tuple[str, ...]


def split(payloads: list[dict[str, Any] | None], processes: int) -> list[list[Any]]:
    return [payloads[n::processes] for n in range(processes)]


# ---------------------------------------------------------------- the client process
def client_process(pipe: Connection, share: Share) -> None:
    raise_open_files_limit()
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(_client(pipe, share))


class Tally:
    """What one process's subscribers received, and telling the parent when all of them
    have an event. A subscriber whose stream ended (an error, a close) is counted out,
    so the others' events are not waited for in vain."""

    def __init__(self, tell: Callable[..., None], path: tuple[str, ...], expected: int) -> None:
        self.tell, self.path, self.expected = tell, path, expected
        self.counts: Counter[int] = Counter()
        self.arrivals: list[tuple[int, float]] = []
        self.warmed: set[int] = set()
        self.gone: set[int] = set()
        self.told: set[int] = set()
        self.warm_told = False

    def on_message(self, subscriber: Subscriber, message: dict[str, Any], now: float) -> None:
        if message.get("type") != "next" or message["payload"].get("errors"):
            subscriber.errors.append(message)
            self.gone.add(id(subscriber))
            self.check(*self.counts)
            return
        value: Any = message["payload"]["data"]
        for key in self.path:
            value = value[key]
        index = int(value)
        subscriber.seen.append(index)
        self.arrivals.append((index, now))
        self.counts[index] += 1
        if index < 0:
            self.warmed.add(id(subscriber))
        self.check(index)

    def check(self, *indexes: int) -> None:
        live = self.expected - len(self.gone)
        for index in indexes:
            if index not in self.told and self.counts[index] >= live:
                self.told.add(index)
                self.tell("got", index)
        if not self.warm_told and len(self.warmed - self.gone) >= live:
            self.warm_told = True
            self.tell("warm", None)


async def _client(pipe: Connection, share: Share) -> None:
    def tell(*message: Any) -> None:
        # The loop watching the pipe may have made it non-blocking; a report is large.
        os.set_blocking(pipe.fileno(), True)
        pipe.send(message)

    tally = Tally(tell, share.path, len(share.payloads))
    on_message = tally.on_message
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    failures: list[str] = []

    async def connect(payload: dict[str, Any] | None) -> Subscriber | None:
        message = None if payload is None else {"id": "1", "type": "subscribe", "payload": payload}
        async with gate:
            try:
                return await open_subscriber(
                    share.host, share.port, share.init, message, on_message
                )
            except (OSError, ConnectionError) as exc:
                failures.append(repr(exc))
                return None

    started = time.perf_counter()
    opened = await asyncio.gather(*(connect(p) for p in share.payloads))
    subscribers = [s for s in opened if s is not None]
    tally.expected = len(subscribers)
    tell(
        "ready",
        {
            "connected": len(subscribers),
            "failed": len(failures),
            "first_failure": failures[0] if failures else None,
            "deflate": sum(s.deflate for s in subscribers),
            "seconds": time.perf_counter() - started,
        },
    )
    commands: asyncio.Queue[Any] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def receive() -> None:
        try:
            commands.put_nowait(pipe.recv())
        except EOFError:  # the parent is gone
            loop.remove_reader(pipe.fileno())
            commands.put_nowait(("close", None))

    loop.add_reader(pipe.fileno(), receive)
    while True:
        command, argument = await commands.get()
        if command == "report":
            tell("report", report(subscribers, tally.arrivals, argument))
        elif command == "close":
            for subscriber in subscribers:
                subscriber.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(s.closed for s in subscribers)), 10)
            with contextlib.suppress(OSError):
                tell("closed", None)
            return


def report(
    subscribers: list[Subscriber], arrivals: list[tuple[int, float]], events: int
) -> dict[str, Any]:
    """Arrivals of events 0..events-1, and each subscriber's errors against that
    sequence (warm-ups aside)."""
    lost = duplicated = out_of_order = errors = 0
    for subscriber in subscribers:
        measured = [i for i in subscriber.seen if i >= 0]
        distinct = set(measured)
        lost += len(set(range(events)) - distinct)
        duplicated += len(measured) - len(distinct)
        out_of_order += sum(1 for a, b in itertools.pairwise(measured) if b <= a)
        errors += len(subscriber.errors)
    return {
        "arrivals": [(i, at) for i, at in arrivals if i >= 0],
        "lost": lost,
        "duplicated": duplicated,
        "out_of_order": out_of_order,
        "errors": errors,
        "error_sample": next((s.errors[0] for s in subscribers if s.errors), None),
    }


# ---------------------------------------------------------------- the parent's side
@dataclass
class Pool:
    """Client processes and what they have said so far."""

    shares: list[Share]
    processes: list[multiprocessing.process.BaseProcess] = field(default_factory=list)
    pipes: list[Connection] = field(default_factory=list)
    ready: list[dict[str, Any]] = field(default_factory=list)
    got: Counter[int] = field(default_factory=Counter)
    warm: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)
    closed: int = 0
    dead: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, within: float) -> bool:
        """Start the processes; true once every one has connected its subscribers."""
        context = multiprocessing.get_context("spawn")
        loop = asyncio.get_running_loop()
        for share in self.shares:
            mine, theirs = context.Pipe()
            process = context.Process(target=client_process, args=(theirs, share), daemon=True)
            process.start()
            theirs.close()
            self.processes.append(process)
            self.pipes.append(mine)
            loop.add_reader(mine.fileno(), self._read, mine)
        return await self.until(lambda: len(self.ready) == len(self.shares), within)

    def _read(self, pipe: Connection) -> None:
        try:
            kind, value = pipe.recv()
        except (EOFError, OSError):  # the client process died: nothing more will come
            asyncio.get_running_loop().remove_reader(pipe.fileno())
            self.dead += 1
            self.changed.set()
            return
        if kind == "ready":
            self.ready.append(value)
        elif kind == "got":
            self.got[value] += 1
        elif kind == "warm":
            self.warm += 1
        elif kind == "report":
            self.reports.append(value)
        elif kind == "closed":
            self.closed += 1
        self.changed.set()

    async def until(self, condition: Callable[[], bool], within: float) -> bool:
        """Whether `condition` came true within `within` seconds (never, once a client
        process has died)."""
        deadline = time.monotonic() + within
        while not condition():
            if self.dead:
                return False
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)
        return True

    def everyone_got(self, index: int) -> Callable[[], bool]:
        return lambda: self.got[index] == len(self.shares)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes if p.pid is not None)

    async def collect(self, events: int) -> list[dict[str, Any]]:
        for pipe in self.pipes:
            pipe.send(("report", events))
        if not await self.until(lambda: len(self.reports) == len(self.shares), 120):
            raise SystemExit("a client process did not report (see its error above)")
        return self.reports

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("close", None))
        await self.until(lambda: self.closed == len(self.shares), 30)
        for pipe in self.pipes:
            loop.remove_reader(pipe.fileno())
            pipe.close()
        self.pipes.clear()
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()
