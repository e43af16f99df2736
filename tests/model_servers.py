"""Fake model servers on 127.0.0.1 speaking Gemini's and OpenAI's REST APIs, scripted
reply by reply, so the real SDKs can be driven without network or keys.

The memories projection's calls (scoring, reflecting) are kept apart: they get
`memory_reply` (by default a refusal, 400, so the offline rules answer them) and are
seen in `memory_requests`, so a script written for the story engine's calls is not
consumed by them in whatever order the jobs happen to run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from novel_engine.narrative.memory import REFLECTOR, SCORER


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: object = None
    # Server-sent events: each item is sent as one `data:` line (str as is, else JSON).
    events: list[object] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between server-sent events, as a model writing at its own pace.
    event_delay: float = 0.0


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, object]


class FakeModelServer:
    """Answers the scripted replies in order; the last one repeats."""

    def __init__(self, replies: list[Reply], memory_reply: Reply | None = None) -> None:
        self._replies = list(replies)
        self.memory_reply = memory_reply or Reply(400, {"error": {"code": 400, "message": "-"}})
        self._lock = threading.Lock()
        self.requests: list[SeenRequest] = []
        self.memory_requests: list[SeenRequest] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def next_reply(self, request: SeenRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    @contextmanager
    def running(self) -> Iterator[FakeModelServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()


def _handler_for(fake: FakeModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            headers = {k.lower(): v for k, v in self.headers.items()}
            if _about_memories(body):
                fake.memory_requests.append(SeenRequest(self.path, headers, body))
                self._send(fake.memory_reply)
                return
            reply = fake.next_reply(SeenRequest(self.path, headers, body))
            try:
                time.sleep(reply.delay)
                self._send(reply)
            except OSError:
                pass  # the client gave up waiting: that is what a timeout test wants
            finally:
                fake.done()

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.events is None:
                payload = json.dumps(reply.body).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for number, event in enumerate(reply.events):
                if number:
                    time.sleep(reply.event_delay)
                data = event if isinstance(event, str) else json.dumps(event)
                self.wfile.write(f"data: {data}\r\n\r\n".encode())
                self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return Handler


def _about_memories(body: object) -> bool:
    said = json.dumps(body)
    return any(json.dumps(prompt)[1:-1] in said for prompt in (SCORER, REFLECTOR))


# What each API answers, in its own shapes.


def gemini_answer(text: str, prompt_tokens: int = 11, output_tokens: int = 7) -> object:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": output_tokens,
            "totalTokenCount": prompt_tokens + output_tokens,
        },
    }


def gemini_stream(pieces: list[str], prompt_tokens: int = 11, output_tokens: int = 7) -> Reply:
    events: list[object] = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}}]}
        for piece in pieces
    ]
    events.append(gemini_answer("", prompt_tokens, output_tokens))
    return Reply(events=events)


def gemini_error(status: int, headers: dict[str, str] | None = None) -> Reply:
    name = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 401: "UNAUTHENTICATED"}
    body = {"error": {"code": status, "message": "scripted", "status": name.get(status, "X")}}
    return Reply(status=status, body=body, headers=headers or {})


def openai_answer(text: str, prompt_tokens: int = 11, output_tokens: int = 7) -> object:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
        },
    }


def openai_stream(pieces: list[str], prompt_tokens: int = 11, output_tokens: int = 7) -> Reply:
    def chunk(choices: list[object], usage: object = None) -> object:
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "local-model",
            "choices": choices,
            "usage": usage,
        }

    events: list[object] = [
        chunk([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        for piece in pieces
    ]
    events.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": prompt_tokens + output_tokens,
    }
    events.append(chunk([], usage))
    events.append("[DONE]")
    return Reply(events=events)


def openai_error(status: int, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": "scripted", "type": "server_error", "code": None}}
    return Reply(status=status, body=body, headers=headers or {})
