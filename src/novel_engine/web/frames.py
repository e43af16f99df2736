"""WebSocket frames written straight to the connection, for live events.

uvicorn runs the WebSocket protocol; this subclass of its sans-I/O implementation adds
one thing, offered to the app as an ASGI scope extension: `write_text`, which frames a
message and hands it to the socket's transport at once, synchronously. A feed delivering
an event to a thousand connections then writes a thousand frames in one pass of its own
loop, instead of waking a thousand tasks that each await the ASGI `send` path.

Frames still go through the protocol's state, so nothing is written after a close and
compression (when a connection negotiated it) stays in order with every other message.
While the transport holds more than its high-water mark, each frame written counts as
backlog: the app closes a connection whose backlog passes its limit (1013, resume by
cursor), as it would a subscriber whose queue overflowed.
"""

from __future__ import annotations

import logging
import struct
from typing import Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

DIRECT_FRAMES = "novel_engine.frames"
WEBSOCKET_LOG = logging.getLogger("novel_engine.websocket")

_TEXT = 0x81  # FIN + text opcode; server frames are never masked


class FrameWriter(Protocol):
    backlog: int

    def write_text(self, text: str) -> bool:
        """Frame and write `text` now; False when it cannot be (the connection no longer
        takes messages, or the text is no UTF-8): the caller sends it the long way, which
        fails loudly."""
        ...


def frame_header(length: int) -> bytes:
    """The header of an unmasked, final text frame carrying `length` bytes (RFC 6455 5.2)."""
    if length < 126:
        return bytes((_TEXT, length))
    if length < 65_536:
        return struct.pack("!BBH", _TEXT, 126, length)
    return struct.pack("!BBQ", _TEXT, 127, length)


class DirectFramesProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, with frames the app may write synchronously."""

    backlog = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn says "[accepted]" for every connection at INFO; a crowd connecting
        # should not cost a log line each. Its warnings and errors still show.
        self.logger = WEBSOCKET_LOG

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # set only when the handshake is accepted
        if scope is not None:
            scope["extensions"][DIRECT_FRAMES] = self

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (headers and all) are never read
            # again: an idle connection need not hold them.
            self.request = self.response = None  # type: ignore[assignment]

    def resume_writing(self) -> None:
        super().resume_writing()
        self.backlog = 0

    def write_text(self, text: str) -> bool:
        if self.close_sent or self.disconnected or self.conn.state is not State.OPEN:
            return False
        try:
            data = text.encode()
        except UnicodeEncodeError:
            return False
        if self.conn.extensions:  # compressed: the negotiated context is the protocol's
            self.conn.send_text(data)
            self.transport.write(b"".join(self.conn.data_to_send()))
        else:
            self.transport.write(frame_header(len(data)) + data)
        if not self.writable.is_set():
            self.backlog += 1
        return True


def uvicorn_options(compression: bool, access_log: bool) -> dict[str, Any]:
    """How uvicorn must run this app: WebSockets with this protocol, permessage-deflate
    only when asked (each connection compresses every frame on its own), and a line per
    request or connection only when asked."""
    WEBSOCKET_LOG.setLevel(logging.INFO if access_log else logging.WARNING)
    return {
        "ws": DirectFramesProtocol,
        "ws_per_message_deflate": compression,
        "access_log": access_log,
    }
