"""Prometheus metrics, one registry per app (so several apps can live in one process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "novel_engine_graphql_requests",
            "GraphQL HTTP requests by method and status code.",
            ["method", "status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "novel_engine_graphql_request_duration_seconds",
            "Time to answer a GraphQL HTTP request.",
            ["method"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def gauge(self, name: str, description: str, read: Callable[[], float]) -> None:
        """A figure read when /metrics is scraped."""
        Gauge(name, description, registry=self.registry).set_function(read)

    def observe_graphql(self, method: str, status: int, seconds: float) -> None:
        self._requests.labels(method, str(status)).inc()
        self._duration.labels(method).observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
