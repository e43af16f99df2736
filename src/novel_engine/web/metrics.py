"""Prometheus metrics, one registry per app (so several apps can live in one process)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from novel_engine.domain.language import CallRecord
from novel_engine.domain.messagebus import JobStatus
from novel_engine.persistence.workers import JobOutcome
from novel_engine.subscriptions.stats import Figure


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
        self.jobs = JobMetrics(self.registry)
        self.model_calls = ModelCallMetrics(self.registry)

    def gauge(self, name: str, description: str, read: Callable[[], float]) -> None:
        """A figure read when /metrics is scraped."""
        Gauge(name, description, registry=self.registry).set_function(read)

    def figures(self, read: Callable[[], Iterable[Figure]]) -> None:
        """Figures another layer keeps (live delivery), read when /metrics is scraped."""
        self.registry.register(_FigureCollector(read))

    def observe_graphql(self, method: str, status: int, seconds: float) -> None:
        self._requests.labels(method, str(status)).inc()
        self._duration.labels(method).observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class _FigureCollector(Collector):
    def __init__(self, read: Callable[[], Iterable[Figure]]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        for figure in self._read():
            family = CounterMetricFamily if figure.kind == "counter" else GaugeMetricFamily
            yield family(figure.name, figure.help, value=figure.value)


class JobMetrics:
    """The job pool's figures (a JobObserver). Queue depth is sampled by the pool, so a
    scrape never queries the database."""

    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, description: str) -> Counter:
            return Counter(name, description, ["kind"], registry=registry)

        self._started = counter("novel_engine_jobs_started", "Job runs started by this process.")
        self._ended = {
            JobOutcome.SUCCEEDED: counter(
                "novel_engine_jobs_succeeded", "Job runs that finished their work."
            ),
            JobOutcome.RETRIED: counter(
                "novel_engine_jobs_retried", "Job runs that failed and will be retried."
            ),
            JobOutcome.DEAD: counter(
                "novel_engine_jobs_dead", "Jobs that failed their last attempt."
            ),
            JobOutcome.LEASE_LOST: counter(
                "novel_engine_jobs_lease_lost",
                "Job runs dropped because another worker took the job over.",
            ),
            JobOutcome.INTERRUPTED: counter(
                "novel_engine_jobs_interrupted",
                "Job runs stopped by shutdown or a database failure (retried after the lease).",
            ),
        }
        self._running = Gauge(
            "novel_engine_jobs_running", "Jobs this process is running now.", registry=registry
        )
        self._duration = Histogram(
            "novel_engine_job_duration_seconds",
            "Time from a job's claim to the end of its run.",
            ["kind", "outcome"],
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self._depth = Gauge(
            "novel_engine_jobs",
            "Jobs in the database by status (sampled every few seconds).",
            ["status"],
            registry=registry,
        )

    def started(self, kind: str) -> None:
        self._started.labels(kind).inc()

    def ended(self, kind: str, outcome: JobOutcome, seconds: float | None) -> None:
        self._ended[outcome].labels(kind).inc()
        if seconds is not None:
            self._duration.labels(kind, outcome.value).observe(seconds)

    def running(self, count: int) -> None:
        self._running.set(count)

    def queue_depth(self, counts: Mapping[JobStatus, int]) -> None:
        for status, count in counts.items():
            self._depth.labels(status.value).set(count)


class ModelCallMetrics:
    """Model calls counted as they are recorded (a CallRecorder): one per attempt."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._calls = Counter(
            "novel_engine_model_calls",
            "Model call attempts by outcome: answered, failed (retried or fallen back "
            "from), or fallback (answered by the offline model instead).",
            ["provider", "model", "outcome"],
            registry=registry,
        )
        self._tokens = Counter(
            "novel_engine_model_tokens",
            "Tokens sent (prompt) and received (output) by model calls.",
            ["provider", "model", "direction"],
            registry=registry,
        )
        self._duration = Histogram(
            "novel_engine_model_call_seconds",
            "Time each model call attempt took, failed ones included.",
            ["provider"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
        )

    async def record(self, record: CallRecord) -> None:
        if record.error is not None:
            outcome = "failed"
        else:
            outcome = "fallback" if record.fallback else "answered"
        self._calls.labels(record.provider, record.model, outcome).inc()
        tokens = self._tokens.labels
        tokens(record.provider, record.model, "prompt").inc(record.prompt_tokens)
        tokens(record.provider, record.model, "output").inc(record.output_tokens)
        self._duration.labels(record.provider).observe(record.latency)
