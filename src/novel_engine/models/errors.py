"""How an adapter says a call failed, in terms the retry policy can act on."""

from __future__ import annotations


class ModelCallFailed(Exception):
    """One attempt failed. `retryable` says whether another attempt may succeed;
    `retry_after` is the server's own wait (seconds), when it gave one."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class InvalidStructuredOutput(ModelCallFailed):
    """The model answered, but not with JSON matching the requested schema."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=True)


def retry_after_seconds(headers: object) -> float | None:
    """The wait a 429/503 asked for: `retry-after-ms`, or `Retry-After` in seconds.
    (An HTTP-date form is ignored: the backoff applies instead.)"""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except (TypeError, ValueError):
            continue
        if value >= 0 and value != float("inf"):
            return value
    return None


_TRANSIENT_NAMES = ("Timeout", "Connect", "Protocol", "ReadError", "WriteError", "NetworkError")


def is_transient_transport_failure(exc: BaseException) -> bool:
    """Timeouts, refused or dropped connections, truncated bodies. Matched by class name
    because SDK versions raise them from different HTTP libraries (httpx and its forks)."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    if any(marker in name for name in names for marker in _TRANSIENT_NAMES):
        return True
    # A stream cut mid-event surfaces as a JSON decoding failure.
    return any(name in ("JSONDecodeError", "UnknownApiResponseError") for name in names)
