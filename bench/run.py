"""Every benchmark of issue 9, each beside a plain Strawberry peer, in one run and one
table (scenario, ours, peer, ratio, goal, met?); the figures and the machine go to
bench/results/<date>.json.

    .venv/bin/python bench/run.py [--only fanout groups storm memory http turns]
        [--subscribers 1000 5000] [--events 10] [--client-processes 2] [--no-save] ...

Both servers run as separate processes on loopback, started here, fresh for each
measurement; server CPU is their user+system time from /proc around each measured
window only. `--help` lists every size. It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import connections
import fanout
import groups
import httpload
import httpx
import servers
import turns
from processes import raise_open_files_limit
from report import Row, machine, table

Scenario = Callable[[argparse.Namespace, Path], Awaitable[list[Row]]]
Build = Callable[[servers.Server, httpx.AsyncClient, int], Awaitable[fanout.Target]]
SERVERS = {"ours": servers.ours, "peer": servers.peer}


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def brief(figures: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in figures.items()
        if not isinstance(v, dict | list)
    )


@contextlib.asynccontextmanager
async def target_on(
    name: str, workdir: Path, label: str, build: Build, subscribers: int
) -> AsyncIterator[fanout.Target]:
    """A fresh server `name` and the subscribers `build` makes for it."""
    with SERVERS[name](workdir, f"{label}-{name}") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            yield await build(server, http, subscribers)


async def fanned(
    args: argparse.Namespace, workdir: Path, label: str, name: str, build: Build, count: int
) -> dict[str, Any]:
    progress(f"{label}: {count} subscribers of {name}")
    async with target_on(name, workdir, label, build, count) as target:
        figures = await fanout.measure(target, args.events, args.client_processes)
    progress(f"  {brief(figures)}")
    if figures["error_sample"]:
        progress(f"  a subscriber's stream ended: {figures['error_sample']}")
    return figures


# ---------------------------------------------------------------- fan-out
async def fanout_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    rows = []
    for count in args.subscribers:
        ours = await fanned(args, workdir, "fanout", "ours", fanout.ours, count)
        peer = await fanned(args, workdir, "fanout", "peer", fanout.peer, count)
        rows += fanout_table(f"fan-out {count:,}", ours, peer)
    return rows


def faults(f: dict[str, Any]) -> str:
    return f"{f['lost']}/{f['duplicated']}/{f['out_of_order']}"


def below(ours: dict[str, Any], peer: dict[str, Any], key: str) -> bool | None:
    if ours[key] is None or peer[key] is None:
        return None
    return bool(ours[key] < peer[key])


def fanout_table(label: str, ours: dict[str, Any], peer: dict[str, Any]) -> list[Row]:
    cpu_o, cpu_p = ours["cpu_us_per_message"], peer["cpu_us_per_message"]
    details = {"ours": ours, "peer": peer}
    clean = faults(ours) == "0/0/0" and ours["delivered"] == ours["expected"]
    return [
        Row(label, "CPU µs/message", cpu_o, cpu_p, "≤ 0.25x", cpu_o <= 0.25 * cpu_p, details),
        Row(label, "p50 ms", ours["p50_ms"], peer["p50_ms"], "< peer", below(ours, peer, "p50_ms")),
        Row(label, "p99 ms", ours["p99_ms"], peer["p99_ms"], "< peer", below(ours, peer, "p99_ms")),
        Row(label, "lost/dup/disordered", faults(ours), faults(peer), "0/0/0", clean),
    ]


# ---------------------------------------------------------------- groups
async def groups_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    count, k = args.group_subscribers, args.groups

    def split(make: Any) -> Build:
        return lambda server, http, n: make(server, http, n, k)

    shared = await fanned(args, workdir, "shared", "ours", fanout.ours, count)
    rows = []
    for kind, ours_build, peer_build in (
        ("viewpoints", groups.ours_viewpoints, groups.peer_viewpoints),
        ("documents", groups.ours_documents, groups.peer_documents),
    ):
        ours = await fanned(args, workdir, kind, "ours", split(ours_build), count)
        peer = await fanned(args, workdir, kind, "peer", split(peer_build), count)
        cpu_o, cpu_s = ours["cpu_us_per_message"], shared["cpu_us_per_message"]
        label = f"{k} {kind}, {count:,}"
        rows += [
            Row(
                label,
                "CPU µs/message",
                cpu_o,
                peer["cpu_us_per_message"],
                f"≤ 1.1x shared ({cpu_s:.0f})",
                cpu_o <= 1.1 * cpu_s,
                {"ours": ours, "peer": peer, "ours_shared": shared},
            ),
            Row(
                label,
                "p99 ms",
                ours["p99_ms"],
                peer["p99_ms"],
                "< peer",
                below(ours, peer, "p99_ms"),
            ),
            Row(
                label,
                "lost/dup/disordered",
                faults(ours),
                faults(peer),
                "0/0/0",
                faults(ours) == "0/0/0" and ours["delivered"] == ours["expected"],
            ),
        ]
    return rows


# ---------------------------------------------------------------- connections
async def storm_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    found = {}
    for name, build in (("ours", fanout.ours), ("peer", fanout.peer)):
        progress(f"connect storm: {args.storm} connections to {name}")
        async with target_on(name, workdir, "storm", build, args.storm) as target:
            found[name] = await connections.storm(target, args.client_processes)
        progress(f"  {brief(found[name])}")
    ours, peer = found["ours"]["cpu_ms_per_connection"], found["peer"]["cpu_ms_per_connection"]
    label = f"connect storm {args.storm:,}"
    return [Row(label, "CPU ms/connection", ours, peer, "≤ 1 ms", ours <= 1.0, found)]


async def memory_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    found = {}
    for name, build in (("ours", fanout.ours), ("peer", fanout.peer)):
        progress(f"idle memory: {args.idle} subscriptions on {name}")
        async with target_on(name, workdir, "idle", build, args.idle) as target:
            found[name] = await connections.idle_memory(target, args.client_processes)
        progress(f"  {brief(found[name])}")
    ours, peer = found["ours"]["kb_per_subscription"], found["peer"]["kb_per_subscription"]
    label = f"idle {args.idle:,} subscriptions"
    return [Row(label, "RSS KB/subscription", ours, peer, "≤ 50 KB", ours <= 50, found)]


# ---------------------------------------------------------------- HTTP
async def http_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    load = httpload.Load(args.http_connections, args.http_seconds)
    found = {}
    with servers.ours(workdir, "http-ours") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            progress("HTTP: the fixture on ours")
            token = await httpload.ours_fixture(http)
        progress("HTTP: load on ours")
        found["ours"] = await httpload.measure(server, token, args.pages, load)
    with servers.peer(workdir, "http-peer") as server:
        progress("HTTP: load on the peer")
        found["peer"] = await httpload.measure(server, httpload.peer_token(), args.pages, load)
    rows = []
    for query, ours in found["ours"].items():
        peer = found["peer"][query]
        progress(f"  {query}: ours {brief(ours)}; peer {brief(peer)}")
        details = {"ours": ours, "peer": peer}
        rps_o, rps_p = ours["requests_per_s"], peer["requests_per_s"]
        label = f"HTTP {query}"
        if query == "viewer":
            rows.append(Row(label, "requests/s", rps_o, rps_p, "≥ 4x", rps_o >= 4 * rps_p, details))
        else:
            rows.append(Row(label, "requests/s", rps_o, rps_p, "-", None, details))
        rows += [
            Row(
                label,
                "CPU µs/request",
                ours["cpu_us_per_request"],
                peer["cpu_us_per_request"],
                "-",
                None,
            ),
            Row(label, "p99 ms", ours["p99_ms"], peer["p99_ms"], "-", None),
        ]
    return rows


# ---------------------------------------------------------------- turns
async def turns_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    rows = []
    with turns.fake_model(workdir, 0.3, 0.02) as model_url:
        for model in args.turn_models:
            for sessions in sorted({1, args.sessions}):
                progress(f"turns: {model} model, {sessions} sessions")
                f = await turns.played(workdir, model, sessions, args.turns, model_url)
                figures = {
                    "submit_p50_ms": turns.percentile(f.submit, 0.5),
                    "submit_p95_ms": turns.percentile(f.submit, 0.95),
                    "first_chunk_p50_ms": turns.percentile(f.first_chunk, 0.5),
                    "first_chunk_p95_ms": turns.percentile(f.first_chunk, 0.95),
                    "turns_per_s": f.turns / f.seconds,
                    "cpu_ms_per_turn": f.cpu / f.turns * 1000,
                    "turns": f.turns,
                }
                progress(f"  {brief(figures)}")
                label = f"turns, {model}, {sessions} session{'s' * (sessions > 1)}"
                rows += [
                    Row(
                        label,
                        "submit p50/p95 ms",
                        pair(figures, "submit"),
                        None,
                        "-",
                        None,
                        figures,
                    ),
                    Row(
                        label, "1st chunk p50/p95 ms", pair(figures, "first_chunk"), None, "-", None
                    ),
                    Row(label, "turns/s", figures["turns_per_s"], None, "-", None),
                    Row(label, "CPU ms/turn", figures["cpu_ms_per_turn"], None, "-", None),
                ]
    return rows


def pair(figures: dict[str, Any], key: str) -> str:
    return f"{figures[key + '_p50_ms']:.0f} / {figures[key + '_p95_ms']:.0f}"


SCENARIOS: dict[str, Scenario] = {
    "fanout": fanout_rows,
    "groups": groups_rows,
    "storm": storm_rows,
    "memory": memory_rows,
    "http": http_rows,
    "turns": turns_rows,
}


async def main(args: argparse.Namespace) -> None:
    raise_open_files_limit()
    started = datetime.datetime.now(datetime.UTC)
    described = machine()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only:
            rows += await SCENARIOS[name](args, Path(folder))
    print(table(rows))
    if args.no_save:
        return
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    path = results / f"{datetime.date.today().isoformat()}.json"
    options = {k: v for k, v in vars(args).items() if k != "no_save"}
    path.write_text(
        json.dumps(
            {
                "started": started.isoformat(timespec="seconds"),
                "minutes": round(
                    (datetime.datetime.now(datetime.UTC) - started).total_seconds() / 60, 1
                ),
                "machine": described,
                "options": options,
                "rows": [r.as_json() for r in rows],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"\nwritten: {path}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--events", type=int, default=10, help="measured events per fan-out")
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the subscribers are spread over"
    )
    parser.add_argument("--groups", type=int, default=4, help="viewpoints or documents")
    parser.add_argument("--group-subscribers", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=2000, help="connections in the storm")
    parser.add_argument("--idle", type=int, default=10000, help="idle subscriptions")
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--http-connections", type=int, default=16)
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 100], help="nested sizes")
    parser.add_argument("--turns", type=int, default=20, help="turns per session")
    parser.add_argument("--sessions", type=int, default=8, help="sessions played at once")
    parser.add_argument(
        "--turn-models", nargs="+", choices=["offline", "openai"], default=["offline"]
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write no JSON")
    return parser


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
