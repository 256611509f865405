"""The simulator's optional rate limit, as a gateway in front of the API would apply it: a
token bucket per bearer token (``--rate-limit N``: N requests per second, bursts of N), and a
429 problem document with ``Retry-After`` (whole seconds, at least 1) for a request that finds
its bucket empty. Requests without ``Authorization`` (the token endpoint) share one bucket.
The buckets run on wall time, not the simulated clock, and count what they answered so a test
or a benchmark can read the share refused without timing anything.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from korsync.fake_api.hydra import problem
from korsync.fake_api.messages import Request, Response


@dataclass
class _Bucket:
    tokens: float
    filled_at: float


class RateLimit:
    """Token buckets of ``per_second`` tokens per second, holding ``per_second`` (at least 1)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not per_second > 0 or math.isinf(per_second):
            raise ValueError("rate_limit must be a positive number of requests per second")
        self.per_second = per_second
        self.burst = max(1.0, per_second)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.allowed = 0
        self.refused = 0

    def refusal(self, request: Request) -> Response | None:
        """A 429 when ``request``'s bucket is empty, else ``None`` (a token is taken)."""
        wait = self._take(request.headers.get("authorization") or "")
        if wait is None:
            return None
        body = problem(429, "Rate limit exceeded: too many requests.")
        return Response(429, body, [("Retry-After", str(max(1, math.ceil(wait))))])

    def _take(self, key: str) -> float | None:
        """Take a token from ``key``'s bucket; the seconds until one is free when empty."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.setdefault(key, _Bucket(self.burst, now))
            refill = (now - bucket.filled_at) * self.per_second
            bucket.tokens = min(self.burst, bucket.tokens + refill)
            bucket.filled_at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                self.allowed += 1
                return None
            self.refused += 1
            return (1.0 - bucket.tokens) / self.per_second
