"""GraphQL over HTTP under load: requests/s, latency and server CPU per request, on one
worker, with `wrk` (one thread, keep-alive connections, the same prebuilt request sent
over and over) for a fixed window after a warm-up.

- `viewer`: `query Viewer { viewer { id displayName } }` with a Bearer token, every limit on.
- nested: campaigns with members, characters and their skills, at two page sizes, over
  a fixture of 100 campaigns (2 members, 3 characters of 3 skills each).

The SQL statements per request are not measured: the server exposes no counter of them
(tests/integration/test_dataloaders.py counts them in-process for this shape).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from processes import cpu_seconds, quiet
from servers import SECRET, Server, call, sign_up

ME = "query Viewer { viewer { id displayName } }"
NESTED = (
    "query Nested($first: Int!) { campaigns(first: $first) { edges { node { id name "
    "members { role user { id displayName } } characters { id name skills { name level } } "
    "} } } }"
)
CAMPAIGNS = 100
PEER_USER = "00000000-0000-0000-0000-000000000001"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class Load:
    connections: int = 16
    seconds: float = 10.0
    warm_up: float = 2.0


def wrk_or_exit() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the HTTP scenario needs wrk (e.g. apt-get install -y wrk)")
    return found


async def hammer(
    server: Server, body: dict[str, Any], token: str, load: Load, check: str
) -> dict[str, Any]:
    """One request checked by hand (its data must hold `check`, no errors), then wrk's
    warm-up and its measured window, with the server's CPU over that window."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        answer = (
            await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
        ).json()
    if answer.get("errors") or check not in json.dumps(answer.get("data")):
        raise SystemExit(f"{server.name} answered {str(answer)[:300]}")
    script = (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        await wrk(server, lua.name, load, load.warm_up)
        await quiet(server.pid)  # what earlier requests left running (ours: projections)
        cpu = cpu_seconds(server.pid)
        output = await wrk(server, lua.name, load, load.seconds)
        cpu = cpu_seconds(server.pid) - cpu
    return figures(output, cpu, load)


async def wrk(server: Server, script: str, load: Load, seconds: float) -> str:
    process = await asyncio.create_subprocess_exec(
        wrk_or_exit(),
        "-t1",
        f"-c{load.connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "60s",
        "-s",
        script,
        f"{server.url}/graphql",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return output.decode()


def figures(output: str, cpu: float, load: Load) -> dict[str, Any]:
    requests = int(re.search(r"(\d+) requests in", output)[1])  # type: ignore[index]
    latency = {
        share: float(value) * UNITS[unit]
        for share, value, unit in re.findall(
            r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M
        )
    }
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        "requests": requests,
        "cpu_us_per_request": cpu / max(requests, 1) * 1e6,
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "non_2xx": int(failed[1]) if failed else 0,
        "socket_errors": errors[1] if errors else None,
        "connections": load.connections,
        "seconds": load.seconds,
    }


async def ours_fixture(http: httpx.AsyncClient) -> str:
    """A user owning 100 campaigns, each with a viewer and the same 3 characters."""
    token = await sign_up(http, "Http")
    viewer = f"viewer-{time.monotonic_ns()}@example.com"
    await call(
        http,
        'mutation($e: String!) { signUp(input: {email: $e, password: "long enough", '
        'displayName: "Viewer"}) { __typename } }',
        e=viewer,
    )
    cast = []
    for n in range(3):
        made = await call(
            http,
            "mutation($n: String!, $s: [SkillInput!]) { createCharacter(input: {name: $n, "
            "skills: $s}) { ... on Character { id } ... on Error { code message } } }",
            token,
            n=f"Hero {n}",
            s=[{"name": f"skill {s}", "level": s + 1} for s in range(3)],
        )
        cast.append(made["createCharacter"]["id"])
    for n in range(CAMPAIGNS):
        made = await call(
            http,
            "mutation($n: String!) { createCampaign(input: {name: $n}) "
            "{ ... on Campaign { id } ... on Error { code message } } }",
            token,
            n=f"Campaign {n}",
        )
        campaign = made["createCampaign"]["id"]
        await call(
            http,
            "mutation($c: ID!, $e: String!) { addCampaignMember(campaignId: $c, email: $e, "
            "role: VIEWER) { __typename } }",
            token,
            c=campaign,
            e=viewer,
        )
        for character in cast:
            await call(
                http,
                "mutation($c: ID!, $k: ID!) { addCampaignCharacter(campaignId: $c, "
                "characterId: $k) { __typename } }",
                token,
                c=campaign,
                k=character,
            )
    return token


def peer_token() -> str:
    return jwt.encode({"sub": PEER_USER, "exp": int(time.time()) + 3600}, SECRET, "HS256")


async def measure(server: Server, token: str, pages: list[int], load: Load) -> dict[str, Any]:
    results = {"viewer": await hammer(server, {"query": ME}, token, load, "displayName")}
    for first in pages:
        body = {"query": NESTED, "variables": {"first": first}}
        results[f"nested {first}"] = await hammer(server, body, token, load, "skills")
    return results
