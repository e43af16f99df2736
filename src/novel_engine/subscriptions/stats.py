"""What live delivery did in this process: counters kept by the feeds, publishing and the
hub, and the figures a metrics endpoint exports from them (without this layer knowing
which exporter that is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class LiveStats:
    """Counters of feeds, replays and publishing; they only grow."""

    renders: int = 0  # an event rendered for one group of subscribers
    store_reads: int = 0  # event store reads: replays from a cursor and gap healing
    undelivered: int = 0  # an event a group could not be rendered; its members were told
    failed_publishes: int = 0  # a stream's publish after commit failed; the store heals it


@dataclass
class HubStats:
    """Counters of one event hub."""

    reconnects: int = 0  # the broker connection was lost and made again


@dataclass(frozen=True)
class Figure:
    """One figure as exported. A counter's name leaves out `_total`: exporters add it."""

    name: str
    help: str
    kind: Literal["gauge", "counter"]
    value: float


def live_figures(feeds: int, subscribers: int, stats: LiveStats, hub: HubStats) -> list[Figure]:
    """The process's live-delivery figures, read now."""
    return [
        Figure(
            "novel_engine_live_feeds",
            "Streams this process follows for live subscribers.",
            "gauge",
            feeds,
        ),
        Figure(
            "novel_engine_live_subscribers",
            "Live subscribers fanned out by this process's feeds.",
            "gauge",
            subscribers,
        ),
        Figure(
            "novel_engine_live_renders",
            "Events rendered for live subscribers, once per group of identical subscribers.",
            "counter",
            stats.renders,
        ),
        Figure(
            "novel_engine_live_store_reads",
            "Event store reads by live delivery: replays after a cursor and gap healing.",
            "counter",
            stats.store_reads,
        ),
        Figure(
            "novel_engine_live_undelivered",
            "Events a group of live subscribers could not be sent; they got an error.",
            "counter",
            stats.undelivered,
        ),
        Figure(
            "novel_engine_live_failed_publishes",
            "Streams whose publish after commit failed; subscribers heal from the store.",
            "counter",
            stats.failed_publishes,
        ),
        Figure(
            "novel_engine_hub_reconnects",
            "Times the event hub lost its broker connection and made it again.",
            "counter",
            hub.reconnects,
        ),
    ]
