"""Client-side throttling shared by every thread of one client: a rate limit and a bound on
concurrent requests.

``RateLimiter`` spaces request starts at least ``1/rate`` seconds apart (each caller reserves
the next free slot under a lock, then sleeps outside it). ``ThrottledTransport`` wraps the real
``httpx`` transport: it takes a slot of a semaphore before each request (token requests
included), waits for the rate limiter, and gives the slot back when the response is closed,
so "concurrent" means requests whose response is still being read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx


class RateLimiter:
    """At most ``per_second`` request starts per second across threads; no bursts."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")

    def acquire(self) -> float:
        """Block until this caller may start a request; return how long it waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_start)
            self._next_start = start + self._interval
        wait = start - now
        if wait > 0:
            self._sleep(wait)
        return wait


class _ReleasingStream(httpx.SyncByteStream):
    """A response body that calls ``release`` once, when it is closed."""

    def __init__(self, inner: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release = release
        self._released = False
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            with self._lock:
                released, self._released = self._released, True
            if not released:
                self._release()


class ThrottledTransport(httpx.BaseTransport):
    """Wraps ``inner``: a semaphore of ``max_concurrency`` slots, then the rate limiter."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        max_concurrency: int,
        limiter: RateLimiter | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._inner = inner
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._limiter = limiter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through ``inner`` once a slot and a rate-limit turn are free."""
        self._slots.acquire()
        try:
            if self._limiter is not None:
                self._limiter.acquire()
            response = self._inner.handle_request(request)
        except BaseException:
            self._slots.release()
            raise
        stream = response.stream
        if not isinstance(stream, httpx.SyncByteStream):  # pragma: no cover - sync transports
            self._slots.release()
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(stream, self._slots.release),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()
