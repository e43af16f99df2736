"""Every benchmark of issue 9, each beside a plain Strawberry peer, in one run and one
table (scenario, ours, peer, ratio, goal, met?); the figures and the machine go to
bench/results/<date>.json.

    .venv/bin/python bench/run.py [--only fanout ...] [--subscribers 1000 5000]
        [--events 10] [--client-processes 2] [--no-save]

Both servers run as separate processes on loopback, started here; server CPU is their
user+system time from /proc around each measured window only. It prints figures; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import fanout
import httpx
import servers
from processes import raise_open_files_limit
from report import Row, machine, table

Scenario = Callable[[argparse.Namespace, Path], Awaitable[list[Row]]]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def fanout_rows(args: argparse.Namespace, workdir: Path) -> list[Row]:
    rows = []
    for count in args.subscribers:
        figures = {}
        for name, start, target in (
            ("ours", servers.ours, fanout.ours),
            ("peer", servers.peer, fanout.peer),
        ):
            with start(workdir, f"fanout-{name}-{count}") as server:
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                    progress(f"fan-out: {count} subscribers of {name}")
                    built = await target(server, http, count)
                    figures[name] = await fanout.measure(built, args.events, args.client_processes)
            progress(f"  {json.dumps(figures[name])[:400]}")
        rows += fanout_table(f"fan-out {count:,}", figures["ours"], figures["peer"])
    return rows


def fanout_table(label: str, ours: dict[str, Any], peer: dict[str, Any]) -> list[Row]:
    def faults(f: dict[str, Any]) -> str:
        return f"{f['lost']}/{f['duplicated']}/{f['out_of_order']}"

    cpu_o, cpu_p = ours["cpu_us_per_message"], peer["cpu_us_per_message"]
    details = {"ours": ours, "peer": peer}
    return [
        Row(
            label, "server CPU µs/message", cpu_o, cpu_p, "≤ 0.25x", cpu_o <= 0.25 * cpu_p, details
        ),
        Row(label, "p50 ms", ours["p50_ms"], peer["p50_ms"], "< peer", below(ours, peer, "p50_ms")),
        Row(label, "p99 ms", ours["p99_ms"], peer["p99_ms"], "< peer", below(ours, peer, "p99_ms")),
        Row(
            label,
            "lost/dup/disordered",
            faults(ours),
            faults(peer),
            "0/0/0",
            faults(ours) == "0/0/0" and ours["delivered"] == ours["expected"],
        ),
    ]


def below(ours: dict[str, Any], peer: dict[str, Any], key: str) -> bool | None:
    if ours[key] is None or peer[key] is None:
        return None
    return bool(ours[key] < peer[key])


SCENARIOS: dict[str, Scenario] = {"fanout": fanout_rows}


async def main(args: argparse.Namespace) -> None:
    raise_open_files_limit()
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
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    path.write_text(
        json.dumps(
            {"machine": machine(), "options": options, "rows": [r.as_json() for r in rows]},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"\nwritten: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--events", type=int, default=10, help="measured events per fan-out")
    parser.add_argument(
        "--client-processes", type=int, default=2, help="processes the subscribers are spread over"
    )
    parser.add_argument("--no-save", action="store_true", help="print only; write no JSON")
    return parser


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
