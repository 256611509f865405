"""The adaptive pace of one process's API requests: how many may start per second and how many
may be in flight, learnt from the answers rather than configured.

``Pace`` starts modestly (``START_RATE`` requests/s, ``START_CONCURRENCY`` in flight) and
doubles both while answers come back successful and fast ("slow start"); after the first sign
of trouble it grows additively instead. A 429 lowers the rate to ``BETA`` times what was
achieved and pauses every request for its ``Retry-After`` (``0`` pauses nothing but still
lowers the rate; more than ``MAX_PAUSE_S`` pauses that long); a 503 or 504 lowers the rate
and the concurrency; latency rising well above the lowest seen lowers the concurrency. After
a 429 the rate the API refused is remembered: growth is quick up to just under it and slow
past it, so the pace settles near the API's limit instead of swinging around it. Answers to
requests sent before the last decrease are not counted again (one decrease per round trip).
Optional hard ceilings (``KORSYNC_RATE_LIMIT``, ``KORSYNC_MAX_CONCURRENCY``) bound it, and with
``adaptive=False`` it stays at them. ``share`` divides the start and the ceilings between the
processes of one backfill, each of which then adapts on its own to the answers it gets.
The clock and sleep are injectable so the control law is tested without waiting.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

START_RATE = 20.0  # requests/s: the fixed default of earlier versions
START_CONCURRENCY = 4
MAX_CONCURRENCY = 16  # in flight at most without a ceiling: beyond it a page's rows wait anyway
MAX_RATE = 5000.0  # requests/s at most without a ceiling; concurrency binds long before
MIN_RATE = 0.5
BETA = 0.7  # multiplicative decrease
RATE_WINDOW_S = 1.0  # the achieved rate is measured over the last second (or 4 turns)
SLOW_FACTOR = 2.0  # latency counts as rising above twice the fastest seen ...
SLOW_SLACK_S = 0.05  # ... plus this, so jitter on a fast API is not taken for queueing
MIN_SAMPLES = 5  # answers before latency is judged
MAX_PAUSE_S = 60.0  # a longer Retry-After pauses this long; each request's retry loop decides
# whether to wait for the rest (within KORSYNC_RETRY_DEADLINE) or give up


@dataclass(frozen=True)
class PaceState:
    """What ``Pace`` allows now and what is in flight, for metrics and the progress line."""

    rate: float
    concurrency: int
    in_flight: int

    def describe(self) -> str:
        """``"pace 40 req/s, 6 in flight"``, for a progress line."""
        return f"pace {self.rate:.0f} req/s, {self.concurrency} in flight"


class Pace:
    """The shared request pace; thread-safe. ``acquire`` before a request, ``release`` after."""

    def __init__(
        self,
        *,
        max_rate: float | None = None,
        max_concurrency: int | None = None,
        share: int = 1,
        adaptive: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        bad_concurrency = max_concurrency is not None and max_concurrency < 1
        if (max_rate is not None and max_rate <= 0) or bad_concurrency or share < 1:
            raise ValueError("max_rate must be > 0, max_concurrency and share at least 1")
        self._rate_cap = (max_rate or MAX_RATE * share) / share
        self._concurrency_cap = max(1, math.ceil((max_concurrency or MAX_CONCURRENCY) / share))
        self._clock, self._sleep = clock, sleep
        self._cond = threading.Condition()
        self._adaptive = adaptive
        self._rate = min(START_RATE / share, self._rate_cap) if adaptive else self._rate_cap
        start = max(1, START_CONCURRENCY // share) if adaptive else self._concurrency_cap
        self._concurrency = float(min(start, self._concurrency_cap))
        self._in_flight = 0
        self._slow_start = True
        self._refused_rate: float | None = None  # the rate at the last 429
        self._next_start = -math.inf
        self._paused_until = -math.inf
        self._last_decrease = -math.inf
        self._starts: collections.deque[float] = collections.deque()
        self._fastest = math.inf
        self._latency = 0.0
        self._samples = 0

    @property
    def state(self) -> PaceState:
        """The current rate, concurrency and requests in flight."""
        with self._cond:
            return PaceState(self._rate, int(self._concurrency), self._in_flight)

    def acquire(self) -> float:
        """Wait for a free slot and this request's turn; return its start time for ``release``."""
        with self._cond:
            while self._in_flight >= int(self._concurrency):
                self._cond.wait()
            self._in_flight += 1
            now = self._clock()
            start = max(now, self._next_start, self._paused_until)
            self._next_start = start + 1.0 / self._rate
            self._starts.append(start)
            self._forget_starts(now)
        if start > now:
            self._sleep(start - now)
        return start

    def release(
        self, started: float, status: int | None = None, retry_after: float | None = None
    ) -> None:
        """Free the slot taken at ``started``; learn from ``status`` (``None``: no answer, which
        teaches nothing — the retry loop deals with network errors)."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()  # the concurrency may have grown by more than one
            if status is not None and self._adaptive:
                self._learn(started, status, retry_after)

    def _learn(self, started: float, status: int, retry_after: float | None) -> None:
        now = self._clock()
        if status in (429, 503) and retry_after is not None:
            pause = min(max(retry_after, 0.0), MAX_PAUSE_S)
            self._paused_until = max(self._paused_until, now + pause)
        latency = now - started
        if started < self._last_decrease:
            return  # sent at the old pace: its answer was already acted on
        if status == 429:
            self._refused_rate = self._achieved(now)
            self._decrease(now, rate=True, concurrency=False)
        elif status in (503, 504):
            self._decrease(now, rate=True, concurrency=True)
        elif status < 500:
            if self._rising(latency):
                self._decrease(now, rate=False, concurrency=True)
                self._latency = self._fastest  # the smaller pace must prove slow on its own
            else:
                self._increase(now)

    def _rising(self, latency: float) -> bool:
        """Whether the smoothed latency, with this answer, is well above the lowest it has been
        (smoothed, so one quick answer from a small endpoint does not set the bar)."""
        self._samples += 1
        self._latency = latency if self._samples == 1 else 0.8 * self._latency + 0.2 * latency
        if self._samples < MIN_SAMPLES:
            return False
        self._fastest = min(self._fastest, self._latency)
        return self._latency > SLOW_FACTOR * self._fastest + SLOW_SLACK_S

    def _achieved(self, now: float) -> float:
        """Requests started per second over the last ``RATE_WINDOW_S``, or four turns at a slow
        rate (or since the first start, when younger)."""
        window = self._forget_starts(now)
        if not self._starts:
            return self._rate
        span = max(now - self._starts[0], 1.0 / self._rate, 1e-3)
        return min(self._rate, len(self._starts) / min(span, window))

    def _forget_starts(self, now: float) -> float:
        """Drop the starts older than the rate window (returned); keeps memory flat."""
        window = max(RATE_WINDOW_S, 4.0 / self._rate)
        while self._starts and self._starts[0] < now - window:
            self._starts.popleft()
        return window

    def _decrease(self, now: float, *, rate: bool, concurrency: bool) -> None:
        self._slow_start = False
        self._last_decrease = now
        if rate:
            self._rate = max(MIN_RATE, min(self._rate, self._achieved(now)) * BETA)
        if concurrency:
            self._concurrency = max(1.0, min(self._concurrency, self._in_flight + 1) * BETA)

    def _increase(self, now: float) -> None:
        """One fast success: grow what binds (slow start doubles per round; then additively)."""
        if self._slow_start:
            self._concurrency += 1.0
        else:
            self._concurrency += 1.0 / self._concurrency
        self._concurrency = min(self._concurrency, float(self._concurrency_cap))
        grown = self._rate + self._rate_step() / self._rate  # about one success per 1/rate s
        headroom = max(2.0 * self._achieved(now), START_RATE)  # grow only a rate in use
        self._rate = min(max(self._rate, min(grown, headroom)), self._rate_cap)

    def _rate_step(self) -> float:
        """Requests/s added per second of successes."""
        if self._slow_start:
            return self._rate  # doubles each second
        refused = self._refused_rate
        if refused is None:
            return max(1.0, 0.1 * self._rate)
        if self._rate < 0.95 * refused:
            return max(0.05, 0.1 * refused)  # back to just under the refused rate in ~3 s
        return max(0.005, 0.01 * refused)  # then probe slowly past it
