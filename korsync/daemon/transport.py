"""The daemon's HTTP transport: the rate limit, a count of every API request for the metrics,
and a refusal to send new requests once the daemon is stopping.

It is given to the API client (``ApiClient(options, transport=…)``, with the client's own rate
limit switched off) around a pooled ``httpx.HTTPTransport`` sized like the client's default.
Taking over the rate limit lets shutdown cut short the waits of queued requests (a catalogue
refresh queues hundreds) instead of letting each wait its turn. When shutdown has begun it
raises ``ShuttingDown`` — a ``BaseException``, so neither the client's retry loop nor
``run_streams`` mistakes it for an API failure — and the run in flight ends after its last
committed page, recorded as ``interrupted``, never as a success.
"""

from __future__ import annotations

import threading

import httpx

from korsync.api.retries import RETRY_STATUSES
from korsync.api.throttle import RateLimiter
from korsync.daemon.metrics import Metrics


class ShuttingDown(BaseException):
    """The daemon is stopping: no new API request is sent."""


class DaemonTransport(httpx.BaseTransport):
    """Rate-limits and counts requests; raises ``ShuttingDown`` once ``stopping`` is set."""

    def __init__(
        self,
        metrics: Metrics,
        stopping: threading.Event,
        *,
        max_concurrency: int,
        rate_limit: float | None,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        size = max_concurrency + 2  # headroom for a token request, as the client's default
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self._inner = inner or httpx.HTTPTransport(limits=limits, retries=0)
        self._metrics, self._stopping = metrics, stopping
        # Waiting for a turn ends early when shutdown begins.
        self._limiter = RateLimiter(rate_limit, sleep=self._pause) if rate_limit else None

    def _pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _check(self) -> None:
        if self._stopping.is_set():
            raise ShuttingDown("korsync is stopping; no new API request")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` in its turn unless stopping; count it however it ends."""
        self._check()
        if self._limiter is not None:
            self._limiter.acquire()
            self._check()
        try:
            response = self._inner.handle_request(request)
        except Exception:
            self._metrics.observe_response("error", retryable=True)
            raise
        code = response.status_code
        self._metrics.observe_response(str(code), retryable=code in RETRY_STATUSES)
        return response

    def close(self) -> None:
        self._inner.close()
