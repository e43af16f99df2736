"""A lean graphql-transport-ws client, one socket per subscriber as a browser connects.

An asyncio Protocol: the HTTP upgrade handshake, RFC 6455 frames parsed in place, no task
per message, so the client's own CPU stays small beside the server's. It offers
permessage-deflate as browsers do and inflates what the server compressed; the frames it
sends are masked, as a client's must be. It never compresses what it sends (allowed: the
extension is per message).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import zlib
from collections.abc import Callable
from time import perf_counter
from typing import Any

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TAIL = b"\x00\x00\xff\xff"  # the empty block permessage-deflate strips from each message
OnMessage = Callable[["Subscriber", dict[str, Any], float], None]


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = os.urandom(4)
    key = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
    return head + mask + masked


class Subscriber(asyncio.Protocol):
    """One connection: upgrade, `connection_init`, then `subscribe` once acknowledged.
    Every JSON message after the handshake goes to `on_message` with its arrival time
    (one clock reading per read from the socket)."""

    def __init__(
        self,
        host: str,
        port: int,
        init: dict[str, Any],
        subscribe: dict[str, Any] | None,
        on_message: OnMessage,
    ) -> None:
        self.host, self.port = host, port
        self.init = init
        self.subscribe = subscribe
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.deflate = False
        self.fresh_inflater = False  # server_no_context_takeover: one inflater per message
        self.inflater = zlib.decompressobj(-15)
        self.fragments: list[bytes] = []
        self.compressed = False
        self.key = base64.b64encode(os.urandom(16))
        self.acknowledged = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.seen: list[int] = []  # what the owner records per subscriber (event indexes)
        self.errors: list[Any] = []
        self.closing = False  # a close begun by either side: no error when it ends

    # ------------------------------------------------------------ asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self.transport.write(  # type: ignore[union-attr]
            b"GET /graphql HTTP/1.1\r\n"
            b"Host: %s:%d\r\n"
            b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\n"
            b"Sec-WebSocket-Key: %s\r\n"
            b"Sec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: graphql-transport-ws\r\n"
            b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            b"\r\n" % (self.host.encode(), self.port, self.key)
        )

    def data_received(self, data: bytes) -> None:
        now = perf_counter()
        buffer = self.buffer
        buffer += data
        start = 0
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                self._handshake(bytes(buffer[:end]).decode("latin-1"))
            except ConnectionError as exc:
                self.acknowledged.set_exception(exc)
                assert self.transport is not None
                self.transport.close()
                return
            start = end + 4
        size = len(buffer)
        while size - start >= 2:
            b0, b1 = buffer[start], buffer[start + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if size - start < 4:
                    break
                length, head = int.from_bytes(buffer[start + 2 : start + 4], "big"), 4
            elif length == 127:
                if size - start < 10:
                    break
                length, head = int.from_bytes(buffer[start + 2 : start + 10], "big"), 10
            end = start + head + length
            if end > size:
                break
            self._frame(b0, bytes(buffer[start + head : end]), now)
            start = end
        del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.acknowledged.done():
            self.acknowledged.set_exception(ConnectionError(f"closed before the ack: {exc}"))
        elif not self.closing:
            self.on_message(self, {"type": "connection lost", "error": repr(exc)}, perf_counter())
        if not self.closed.done():
            self.closed.set_result(None)

    # ------------------------------------------------------------ the protocol
    def _handshake(self, head: str) -> None:
        lines = head.split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise ConnectionError(f"upgrade refused: {lines[0]}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise ConnectionError("bad Sec-WebSocket-Accept")
        extension = headers.get("sec-websocket-extensions", "")
        self.deflate = extension.startswith("permessage-deflate")
        self.fresh_inflater = "server_no_context_takeover" in extension
        self.upgraded = True
        self.send({"type": "connection_init", "payload": self.init})

    def _frame(self, b0: int, payload: bytes, now: float) -> None:
        opcode = b0 & 0x0F
        if opcode in (1, 2):
            self.compressed = bool(b0 & 0x40)
            if b0 & 0x80:
                self._message(payload, now)
            else:
                self.fragments = [payload]
        elif opcode == 0:
            self.fragments.append(payload)
            if b0 & 0x80:
                self._message(b"".join(self.fragments), now)
                self.fragments = []
        elif opcode == 9:  # ping
            self._write(frame(10, payload))
        elif opcode == 8:  # close: answer it, the server closes the TCP connection
            self._write(frame(8, payload[:2]))
            if not self.closing:
                self.closing = True
                code = int.from_bytes(payload[:2], "big") if payload else None
                reason = payload[2:].decode(errors="replace")
                self.on_message(self, {"type": "close", "code": code, "reason": reason}, now)

    def _message(self, payload: bytes, now: float) -> None:
        if self.compressed:
            if self.fresh_inflater:
                self.inflater = zlib.decompressobj(-15)
            payload = self.inflater.decompress(payload + TAIL)
        message = json.loads(payload)
        kind = message.get("type")
        if kind == "connection_ack":
            if self.subscribe is not None:
                self.send(self.subscribe)
            self.acknowledged.set_result(None)
        elif kind == "ping":
            self.send({"type": "pong"})
        else:
            self.on_message(self, message, now)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send(self, message: dict[str, Any]) -> None:
        self._write(frame(1, json.dumps(message, separators=(",", ":")).encode()))

    def close(self) -> None:
        self.closing = True
        self._write(frame(8, (1000).to_bytes(2, "big")))


async def open_subscriber(
    host: str,
    port: int,
    init: dict[str, Any],
    subscribe: dict[str, Any] | None,
    on_message: OnMessage,
) -> Subscriber:
    """A connected subscriber, once the server acknowledged its `connection_init` (its
    `subscribe`, if any, is sent then)."""
    loop = asyncio.get_running_loop()
    _, subscriber = await loop.create_connection(
        lambda: Subscriber(host, port, init, subscribe, on_message), host, port
    )
    await subscriber.acknowledged
    return subscriber
