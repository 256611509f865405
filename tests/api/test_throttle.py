"""The rate limiter, on a fake clock: starts are spaced, nothing sleeps for real."""

from korsync.api.throttle import RateLimiter
from tests.support.api import FakeClock


def test_rate_limiter_spaces_starts() -> None:
    """Requests arriving together are spaced 1/rate apart; later arrivals wait only as needed."""
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.25, 0.5, 0.75]
    clock.now += 10
    assert limiter.acquire() == 0.0
    assert clock.sleeps == [0.25, 0.5, 0.75]
