"""The two servers every scenario measures, each its own process on loopback: ours as
a user runs it (`novel-engine serve`, a SQLite file, the in-process hub, default
settings) and the peer, a plain Strawberry app under uvicorn's defaults (bench/peer.py)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from processes import free_port, running

SECRET = "bench-secret-key-long-enough-for-hs256-signing"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Server:
    name: str  # "ours" or "peer"
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextlib.contextmanager
def ours(workdir: Path, name: str = "ours") -> Iterator[Server]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVEL_ENGINE_")}
    env |= {
        "NOVEL_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/{name}.db",
        "NOVEL_ENGINE_SECRET_KEY": SECRET,
    }
    command = [str(Path(sys.executable).parent / "novel-engine"), "serve", "--port", str(port)]
    health = f"http://{HOST}:{port}/health"
    with running(command, env, health, workdir / f"{name}.log") as pid:
        yield Server("ours", pid, port)


@contextlib.contextmanager
def peer(workdir: Path, name: str = "peer") -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, str(Path(__file__).with_name("peer.py")), str(port), SECRET]
    url = f"http://{HOST}:{port}/graphql"
    with running(command, dict(os.environ), url, workdir / f"{name}.log") as pid:
        yield Server("peer", pid, port)


async def call(
    http: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    """A GraphQL request's data; a refusal stops the bench with the errors."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (
        await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    ).json()
    if body.get("errors"):
        raise SystemExit(f"the server refused {query[:60]!r}: {body['errors']}")
    data: dict[str, Any] = body["data"]
    return data


async def sign_up(http: httpx.AsyncClient, name: str) -> str:
    """A new user's bearer token (on our server)."""
    data = await call(
        http,
        "mutation($e: String!, $n: String!) { signUp(input: {email: $e, password: "
        '"long enough", displayName: $n}) { ... on AuthPayload { token } ... on Error '
        "{ code message } } }",
        e=f"{name.lower()}-{os.urandom(4).hex()}@example.com",
        n=name,
    )
    token: str = data["signUp"]["token"]
    return token
