"""When a remote model call is tried again, and how long it waits first."""

from __future__ import annotations

import pytest

from novel_engine.models.errors import (
    InvalidStructuredOutput,
    ModelCallFailed,
    retry_after_seconds,
)
from novel_engine.models.resilience import RetryPolicy

TRANSIENT = ModelCallFailed("503", retryable=True)


def test_waits_double_from_one_second_up_to_thirty() -> None:
    policy = RetryPolicy()
    ceilings = [policy.delay(attempt, None, jitter=1.0) for attempt in range(1, 8)]
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_jitter_keeps_each_wait_in_the_upper_half_of_its_ceiling() -> None:
    policy = RetryPolicy()
    assert policy.delay(3, None, jitter=0.0) == 2.0
    assert policy.delay(3, None, jitter=0.5) == 3.0


def test_the_servers_retry_after_wins_up_to_the_cap() -> None:
    policy = RetryPolicy()
    assert policy.delay(1, 7.0, jitter=0.9) == 7.0
    assert policy.delay(1, 600.0, jitter=0.9) == 30.0


def test_three_attempts_in_all_for_transient_failures() -> None:
    policy = RetryPolicy()
    assert policy.allows_another(TRANSIENT, attempt=1, invalid=0)
    assert policy.allows_another(TRANSIENT, attempt=2, invalid=0)
    assert not policy.allows_another(TRANSIENT, attempt=3, invalid=0)


def test_a_permanent_failure_is_not_tried_again() -> None:
    refused = ModelCallFailed("401", retryable=False)
    assert not RetryPolicy().allows_another(refused, attempt=1, invalid=0)


def test_malformed_structured_output_gets_one_retry() -> None:
    malformed = InvalidStructuredOutput("not JSON")
    assert RetryPolicy().allows_another(malformed, attempt=1, invalid=1)
    assert not RetryPolicy().allows_another(malformed, attempt=2, invalid=2)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({"retry-after": "-4"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_in_seconds_or_milliseconds(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert retry_after_seconds(headers) == seconds
