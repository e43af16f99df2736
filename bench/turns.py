"""Turns played over HTTP against a real server while a WebSocket subscriber follows each
session's `narrativeStream`: submit-to-answer latency, time from the submit's answer to
the turn's first narrative chunk at the subscriber (p50/p95), and the turns per second
one server process sustains with several sessions played at once, each turn waiting for
its narration before the next. Every turn has an AI-played character react first.

    .venv/bin/python bench/turns.py [--turns 20] [--sessions 8] [--database-url URL]

Two models: the offline one, and an OpenAI-compatible server (built below, a separate
process) that answers like a hosted model: `--first-token` seconds before its first token,
then `--per-token` seconds per token. The server is `novel-engine serve` on a free port,
SQLite unless `--database-url` names another database, running as many jobs at once as
`--job-concurrency` says (its own default otherwise). It prints figures; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from processes import cpu_seconds, free_port, running
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROSE = (
    "The ferry groaned against its rope as the river pushed at the landing. "
    "Mira raised her voice over the water and asked who kept the crossing. "
    "Old Wren looked up from the coils of rope, weighed the stranger, and laughed. "
    "Gulls wheeled above the pilings while the current worried at the hull. "
    "Somewhere upstream a bell rang twice, and both of them turned toward it. "
    "Neither spoke for a while; the river did the talking for them."
)


# ---------------------------------------------------------------- a model server
def serve_model(port: int, first_token: float, per_token: float) -> None:
    """An OpenAI-compatible chat-completions server with a hosted model's pace: a persona
    gets a short JSON reaction, the chronicler a streamed paragraph, a word per token."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if body.get("stream"):
                self._stream(PROSE.split(" "))
                return
            reaction = {"kind": "DIALOGUE", "targetId": None, "intent": "Who asks?"}
            text = json.dumps(reaction)
            time.sleep(first_token + per_token * len(text.split()))
            self._send_json(completion(text, len(text.split())))

        def _stream(self, words: list[str]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            time.sleep(first_token)
            for n, word in enumerate(words):
                if n:
                    time.sleep(per_token)
                piece = word if n == 0 else " " + word
                self._event(chunk([{"index": 0, "delta": {"content": piece}}]))
            self._event(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            self._event(chunk([], usage(len(words))))
            self.wfile.write(b"data: [DONE]\r\n\r\n")
            self.wfile.flush()
            self.close_connection = True

        def _event(self, data: object) -> None:
            self.wfile.write(f"data: {json.dumps(data)}\r\n\r\n".encode())
            self.wfile.flush()

        def _send_json(self, data: object) -> None:
            payload = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


def usage(output_tokens: int) -> dict[str, int]:
    return {"prompt_tokens": 300, "completion_tokens": output_tokens, "total_tokens": 300}


def chunk(choices: list[object], used: object = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "bench-model",
        "choices": choices,
        "usage": used,
    }


def completion(text: str, output_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1,
        "model": "bench-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": usage(output_tokens),
    }


# ---------------------------------------------------------------- playing
@dataclass
class Figures:
    submit: list[float] = field(default_factory=list)  # seconds, per turn
    first_chunk: list[float] = field(default_factory=list)
    turns: int = 0
    seconds: float = 0.0
    cpu: float = 0.0


class Follower:
    """One session's narrativeStream: when each turn's first chunk and its end arrived."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.first: dict[str, float] = {}
        self.ended: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            chunk = message["payload"]["data"]["narrativeStream"]
            self.first.setdefault(chunk["turnId"], time.perf_counter())
            if chunk["done"]:
                self.ended[chunk["turnId"]].set()


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def call(self, query: str, **variables: Any) -> dict[str, Any]:
        body = (
            await self.http.post("/graphql", json={"query": query, "variables": variables})
        ).json()
        if "errors" in body:
            raise SystemExit(f"the server refused: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data


async def session_of(api: Api, n: int) -> tuple[str, str, str]:
    """A campaign with Mira (played) and Old Wren (AI-played), and its session."""
    campaign = (
        await api.call(
            "mutation($n: String!) { createCampaign(input: {name: $n, worldState: "
            '{genre: "fantasy"}}) { ... on Campaign { id } } }',
            n=f"Ferry {n}",
        )
    )["createCampaign"]["id"]
    ids = []
    for name in ("Mira", "Old Wren"):
        made = await api.call(
            "mutation($n: String!) { createCharacter(input: {name: $n}) "
            "{ ... on Character { id } } }",
            n=name,
        )
        ids.append(made["createCharacter"]["id"])
        await api.call(
            "mutation($c: ID!, $k: ID!, $ai: Boolean) { addCampaignCharacter(campaignId: $c, "
            "characterId: $k, aiControlled: $ai) { __typename } }",
            c=campaign,
            k=ids[-1],
            ai=name == "Old Wren",
        )
    started = await api.call(
        "mutation($c: ID!) { startSession(campaignId: $c) { ... on Session { id } } }",
        c=campaign,
    )
    return started["startSession"]["id"], ids[0], ids[1]


async def play(
    api: Api, follower: Follower, session: tuple[str, str, str], turns: int, figures: Figures
) -> None:
    session_id, mira, wren = session
    for n in range(turns):
        action = {
            "characterId": mira,
            "kind": "DIALOGUE",
            "intent": f"Who keeps this ferry? ({n})",
            "targetIds": [wren],
        }
        sent = time.perf_counter()
        data = await api.call(
            "mutation($s: ID!, $i: TurnInput!) { submitTurn(sessionId: $s, input: $i) "
            "{ ... on Turn { id } ... on Error { code message } } }",
            s=session_id,
            i={"actions": [action]},
        )
        answered = time.perf_counter()
        turn_id = data["submitTurn"]["id"]
        await asyncio.wait_for(follower.ended[turn_id].wait(), 120)
        figures.submit.append(answered - sent)
        figures.first_chunk.append(follower.first[turn_id] - answered)
        figures.turns += 1


async def measure(url: str, sessions: int, turns: int, pid: int) -> Figures:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        api = Api(http)
        email = f"{uuid.uuid4().hex[:8]}@example.com"
        signed = await api.call(
            "mutation($e: String!) { signUp(input: {email: $e, password: "
            '"long enough", displayName: "Bench"}) { ... on AuthPayload { token } } }',
            e=email,
        )
        token = signed["signUp"]["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        played = [await session_of(api, n) for n in range(sessions)]
        followers, readers = [], []
        ws_url = url.replace("http", "ws", 1) + "/graphql"
        for session_id, _, _ in played:
            ws = await connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription($s: ID!) { narrativeStream(sessionId: $s) "
                            "{ turnId sequence done } }",
                            "variables": {"s": session_id},
                        },
                    }
                )
            )
            follower = Follower(ws)
            followers.append(follower)
            readers.append(asyncio.create_task(follower.read()))
        await asyncio.sleep(0.3)  # every subscription is live before the first turn
        # warm-up: one turn per session, not counted
        await asyncio.gather(
            *(play(api, f, s, 1, Figures()) for f, s in zip(followers, played, strict=True))
        )
        figures = Figures()
        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(
            *(play(api, f, s, turns, figures) for f, s in zip(followers, played, strict=True))
        )
        figures.seconds = time.perf_counter() - started
        figures.cpu = cpu_seconds(pid) - cpu
        for task in readers:
            task.cancel()
        for follower in followers:
            await follower.ws.close()
        return figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)] * 1000


def server_env(model: str, database: str, model_url: str, jobs: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVEL_ENGINE_")}
    env |= {
        "NOVEL_ENGINE_DATABASE_URL": database,
        "NOVEL_ENGINE_SECRET_KEY": "bench-secret-key-long-enough-for-hs256-signing",
        "NOVEL_ENGINE_LLM_PROVIDER": model,
    }
    if jobs is not None:
        env["NOVEL_ENGINE_JOB_CONCURRENCY"] = str(jobs)
    if model == "openai":
        env |= {"NOVEL_ENGINE_LLM_BASE_URL": f"{model_url}/v1", "NOVEL_ENGINE_LLM_MODEL": "bench"}
    return env


@contextlib.contextmanager
def fake_model(work: Path, first_token: float, per_token: float) -> Iterator[str]:
    """The fake hosted model, running in its own process; its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "--serve-model", str(port), str(first_token)]
    with running([*command, str(per_token)], dict(os.environ), url, work / "model.log"):
        yield url


async def played(
    work: Path,
    model: str,
    sessions: int,
    turns: int,
    model_url: str,
    database: str | None = None,
    jobs: int | None = None,
) -> Figures:
    """`turns` turns in each of `sessions` sessions on a fresh `novel-engine serve`."""
    name = f"turns-{model}-{sessions}"
    database = database or f"sqlite+aiosqlite:///{work}/{name}.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = [str(Path(sys.executable).parent / "novel-engine"), "serve", "--port", str(port)]
    env = server_env(model, database, model_url, jobs)
    with running(serve, env, f"{url}/health", work / f"{name}.log") as pid:
        return await measure(url, sessions, turns, pid)


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.turns} turns per session, each waiting for its narration; the fake model: "
        f"{args.first_token * 1000:.0f} ms to its first token, then "
        f"{args.per_token * 1000:.0f} ms per token\n"
    )
    print(
        f"{'model':<9}{'sessions':>9}{'submit p50':>12}{'p95':>10}{'1st chunk p50':>15}"
        f"{'p95':>10}{'turns/s':>9}{'CPU ms/turn':>13}"
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        with fake_model(work, args.first_token, args.per_token) as model_url:
            for model in args.models:
                for sessions in sorted({1, args.sessions}):
                    f = await played(
                        work,
                        model,
                        sessions,
                        args.turns,
                        model_url,
                        args.database_url,
                        args.job_concurrency,
                    )
                    print(
                        f"{model:<9}{sessions:>9}"
                        f"{percentile(f.submit, 0.5):>10.1f}ms{percentile(f.submit, 0.95):>8.1f}ms"
                        f"{percentile(f.first_chunk, 0.5):>13.1f}ms"
                        f"{percentile(f.first_chunk, 0.95):>8.1f}ms"
                        f"{f.turns / f.seconds:>9.1f}{f.cpu / f.turns * 1000:>13.1f}",
                        flush=True,
                    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-model":
        serve_model(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--job-concurrency", type=int, default=None, help="jobs the server runs at once"
    )
    parser.add_argument("--first-token", type=float, default=0.3)
    parser.add_argument("--per-token", type=float, default=0.02)
    parser.add_argument(
        "--models", nargs="+", choices=["offline", "openai"], default=["offline", "openai"]
    )
    asyncio.run(main(parser.parse_args()))
