"""The one table every run prints, and the machine it ran on."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "uvicorn",
    "starlette",
    "websockets",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "aiosqlite",
)


@dataclass
class Row:
    scenario: str
    unit: str
    ours: float | str
    peer: float | str | None
    goal: str
    met: bool | None  # None: no goal, or nothing to judge
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if isinstance(self.ours, int | float) and isinstance(self.peer, int | float) and self.peer:
            return self.ours / self.peer
        return None

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio}


def shown(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def table(rows: list[Row]) -> str:
    heads = ("scenario", "unit", "ours", "peer", "ratio", "goal", "met?")
    cells = [
        (
            r.scenario,
            r.unit,
            shown(r.ours),
            shown(r.peer),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.goal,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[n]) for c in cells)) for n, h in enumerate(heads)]
    right = {2, 3, 4}

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(
            v.rjust(w) if n in right else v.ljust(w)
            for n, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    return "\n".join([line(heads), line(tuple("-" * w for w in widths)), *map(line, cells)])


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        # The machine may be shared: how busy it was as the run began.
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
    }
