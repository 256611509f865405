"""The adaptive pace's control law, driven on a fake clock: nothing sleeps for real, and each
test asserts what the pace allows after the answers it was given."""

from __future__ import annotations

import pytest

from korsync.api.pace import (
    BETA,
    MAX_CONCURRENCY,
    MAX_PAUSE_S,
    START_CONCURRENCY,
    START_RATE,
    Pace,
)
from korsync.api.retries import parse_retry_after


class Clock:
    """A clock that moves when told to or when the pace sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _pace(clock: Clock, **options: object) -> Pace:
    return Pace(clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def _answer(
    pace: Pace, clock: Clock, status: int = 200, latency: float = 0.02, **kw: float
) -> None:
    """One request, sequentially: its turn, ``latency`` seconds, then its answer."""
    started = pace.acquire()
    clock.now += latency
    pace.release(started, status, kw.get("retry_after"))


def test_starts_modestly_and_spaces_starts() -> None:
    """A new pace allows the start rate and concurrency; starts are spaced 1/rate apart."""
    clock = Clock()
    pace = _pace(clock)
    assert (pace.state.rate, pace.state.concurrency) == (START_RATE, START_CONCURRENCY)
    starts = [pace.acquire() for _ in range(3)]
    assert starts == pytest.approx([1000.0, 1000.05, 1000.1])
    assert pace.state.in_flight == 3


def test_fast_successes_ramp_up_rate_and_concurrency() -> None:
    """A second of fast successes doubles the rate; concurrency grows to its bound."""
    clock = Clock()
    pace = _pace(clock)
    while clock.now < 1001.0:
        _answer(pace, clock, latency=0.001)
    assert pace.state.rate >= 2 * START_RATE
    assert pace.state.concurrency == MAX_CONCURRENCY


def test_429_lowers_rate_and_honours_retry_after() -> None:
    """A 429 pauses every request for its Retry-After and lowers the rate below what was sent."""
    clock = Clock()
    pace = _pace(clock)
    for _ in range(10):
        _answer(pace, clock)
    before = pace.state.rate
    _answer(pace, clock, status=429, retry_after=2.0)
    refused_at = clock.now
    assert pace.state.rate <= BETA * before
    assert pace.acquire() == pytest.approx(refused_at + 2.0)


def test_retry_after_zero_pauses_nothing_but_still_slows() -> None:
    """Retry-After: 0 sends the next request in its normal turn, at a lower rate."""
    clock = Clock()
    pace = _pace(clock)
    for _ in range(10):
        _answer(pace, clock, latency=0.1)
    before = pace.state.rate
    _answer(pace, clock, status=429, latency=0.1, retry_after=0.0)
    now = clock.now
    assert pace.state.rate < before
    assert pace.acquire() < now + 1.0 / pace.state.rate + 1e-9


@pytest.mark.parametrize(
    ("header", "pause"),
    [(None, 0.0), ("", 0.0), ("soon", 0.0), ("-5", 0.0), ("3", 3.0), ("86400", MAX_PAUSE_S),
     ("99999999999999999999999", MAX_PAUSE_S), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)  # fmt: skip
def test_retry_after_header_border(header: str | None, pause: float) -> None:
    """Missing, malformed, negative or past Retry-After values pause nothing; huge ones pause
    at most MAX_PAUSE_S, so one answer cannot stall every stream for a day."""
    clock = Clock()
    pace = _pace(clock)
    _answer(pace, clock, status=429, retry_after=parse_retry_after(header))  # type: ignore[arg-type]
    answered = clock.now
    started = pace.acquire()
    assert started - answered == pytest.approx(pause, abs=1.0 / pace.state.rate + 1e-9)


def test_503_lowers_rate_and_concurrency() -> None:
    """An overloaded API (503) gets fewer requests per second and fewer at once."""
    clock = Clock()
    pace = _pace(clock)
    for _ in range(20):
        _answer(pace, clock)
    before = pace.state
    _answer(pace, clock, status=503)
    assert pace.state.rate < before.rate
    assert pace.state.concurrency < before.concurrency


def test_rising_latency_lowers_concurrency_only() -> None:
    """Answers slowing from 20 ms to 500 ms lower the concurrency; the rate is kept."""
    clock = Clock()
    pace = _pace(clock)
    for _ in range(20):
        _answer(pace, clock, latency=0.02)
    before = pace.state
    for _ in range(3):
        _answer(pace, clock, latency=0.5)
    assert pace.state.concurrency < before.concurrency
    assert pace.state.rate >= before.rate


def test_one_decrease_per_round_trip() -> None:
    """Answers to requests sent before a decrease do not decrease again."""
    clock = Clock()
    pace = _pace(clock)
    for _ in range(20):
        _answer(pace, clock)
    sent = [pace.acquire() for _ in range(3)]
    clock.now += 0.02
    pace.release(sent[0], 503)
    after_first = pace.state
    for started in sent[1:]:
        pace.release(started, 503)
    assert (pace.state.rate, pace.state.concurrency) == (after_first.rate, after_first.concurrency)


def test_ceilings_bound_the_pace_and_share_divides_them() -> None:
    """KORSYNC_RATE_LIMIT / KORSYNC_MAX_CONCURRENCY are never exceeded, however fast the API;
    a share of 2 starts at half and stays within half of each."""
    clock = Clock()
    pace = _pace(clock, max_rate=30.0, max_concurrency=6)
    halves = _pace(clock, max_rate=30.0, max_concurrency=6, share=2)
    assert halves.state.rate == START_RATE / 2
    assert halves.state.concurrency == START_CONCURRENCY // 2
    for _ in range(500):
        _answer(pace, clock, latency=0.001)
        _answer(halves, clock, latency=0.001)
    assert (pace.state.rate, pace.state.concurrency) == (30.0, 6)
    assert (halves.state.rate, halves.state.concurrency) == (15.0, 3)


def test_fixed_pace_ignores_answers() -> None:
    """adaptive=False keeps the pace at the ceilings, whatever the answers."""
    clock = Clock()
    pace = _pace(clock, max_rate=5.0, max_concurrency=2, adaptive=False)
    for status in (429, 503, 200):
        _answer(pace, clock, status=status, latency=3.0)
    assert (pace.state.rate, pace.state.concurrency) == (5.0, 2)


@pytest.mark.parametrize("options", [{"max_rate": 0.0}, {"max_concurrency": 0}, {"share": 0}])
def test_refuses_nonsense_bounds(options: dict[str, float]) -> None:
    """Non-positive ceilings or shares are refused when the pace is built."""
    with pytest.raises(ValueError, match="max_rate"):
        Pace(**options)  # type: ignore[arg-type]


def test_settles_near_a_token_bucket_limit() -> None:
    """Against an API allowing 10 requests/s (a bucket of 10), after the first 30 s under 2 %
    of answers are 429 and at least 90 % of the limit is used."""
    clock = Clock()
    pace = _pace(clock)
    tokens, refilled = 10.0, clock.now
    counts = {200: 0, 429: 0}
    began = clock.now
    while clock.now < began + 300:
        started = pace.acquire()
        tokens = min(10.0, tokens + (clock.now - refilled) * 10.0)
        refilled = clock.now
        status = 200 if tokens >= 1 else 429
        tokens -= 1 if status == 200 else 0
        clock.now += 0.02
        pace.release(started, status, 1.0 if status == 429 else None)
        if started >= began + 30:
            counts[status] += 1
    total = counts[200] + counts[429]
    assert counts[429] / total < 0.02
    assert counts[200] / 270 >= 0.9 * 10


def test_memory_of_starts_stays_bounded() -> None:
    """A fixed pace sending for an hour remembers only the last window's starts."""
    clock = Clock()
    pace = _pace(clock, max_rate=10.0, adaptive=False)
    for _ in range(36_000):
        _answer(pace, clock, latency=0.0)
    assert len(pace._starts) <= 11
