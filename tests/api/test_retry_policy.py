"""The retry policy on its own, on a fake clock: Retry-After parsing, exponential backoff, the
attempt cap and the deadline (no sleeping, no I/O)."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from korsync.api.errors import DeadlineExceededError, RetriesExhaustedError
from korsync.api.retries import Backoff, RetryableError, RetryPolicy, parse_retry_after
from tests.support.api import FakeClock

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After is read as seconds or an HTTP date (past dates give 0, garbage None)."""
    assert parse_retry_after(value, now=NOW) == expected


def make_policy(clock: FakeClock, attempts: int = 5, deadline: float = 60.0) -> RetryPolicy:
    """A policy with a 1 s initial backoff on the fake clock."""
    backoff = Backoff(initial=1.0, maximum=8.0, jitter=0.0)
    return RetryPolicy("GET", "http://x/y", attempts, deadline, backoff, clock=clock)


def test_policy_backs_off_exponentially_on_retry_after_zero_or_missing() -> None:
    """Retry-After 0 or none means stamina's exponential backoff (True), never an instant retry."""
    policy = make_policy(FakeClock())
    assert policy(RetryableError("HTTP 429", status=429, retry_after=0.0)) is True
    assert policy(RetryableError("HTTP 503", status=503)) is True


def test_policy_honours_retry_after_above_the_floor() -> None:
    """A Retry-After in seconds becomes the wait, but never below the exponential floor."""
    policy = make_policy(FakeClock())
    assert policy(RetryableError("HTTP 429", status=429, retry_after=5.0)) == 5.0
    policy(RetryableError("HTTP 503", status=503))
    assert policy(RetryableError("HTTP 429", status=429, retry_after=0.5)) == 4.0


def test_policy_refuses_other_exceptions() -> None:
    """Only RetryableError is retried."""
    assert make_policy(FakeClock())(ValueError("boom")) is False


def test_policy_stops_at_max_attempts() -> None:
    """After max_attempts failures the hook says no and give_up reports the attempts."""
    policy = make_policy(FakeClock(), attempts=3)
    exc = RetryableError("HTTP 502", status=502)
    assert [policy(exc), policy(exc), policy(exc)] == [True, True, False]
    error = policy.give_up(exc)
    assert type(error) is RetriesExhaustedError
    assert (error.attempts, error.status) == (3, 502)
    assert "http://x/y" in str(error) and "502" in str(error)


def test_policy_gives_up_when_retry_after_passes_the_deadline() -> None:
    """A Retry-After longer than the time left ends the retries with DeadlineExceededError."""
    policy = make_policy(FakeClock(), deadline=30.0)
    exc = RetryableError("HTTP 429", status=429, retry_after=3600.0)
    assert policy(exc) is False
    error = policy.give_up(exc)
    assert isinstance(error, DeadlineExceededError)
    assert "Retry-After of 3600s" in str(error) and "last status 429" in str(error)


def test_policy_gives_up_when_backoff_passes_the_deadline() -> None:
    """Once elapsed time plus the next backoff exceeds the deadline, no more attempts."""
    clock = FakeClock()
    policy = make_policy(clock, attempts=50, deadline=10.0)
    exc = RetryableError("ReadTimeout: timed out")
    assert policy(exc) is True
    clock.now += 9.5
    assert policy(exc) is False
    assert isinstance(policy.give_up(exc), DeadlineExceededError)
