"""The daemon's HTTP transport: a count of every API request for the metrics, and a refusal to
send new requests once the daemon is stopping.

It is given to the API client (``ApiClient(options, transport=…, pace=…)``) around a pooled
``httpx.HTTPTransport`` sized like the client's default; the client's pace waits in front of it
with a sleep that ends when shutdown begins (``daemon_pace``), so the queued requests of a
catalogue refresh are cut short instead of each waiting its turn. When shutdown has begun it
raises ``ShuttingDown`` — a ``BaseException``, so neither the client's retry loop nor
``run_streams`` mistakes it for an API failure — and the run in flight ends after its last
committed page, recorded as ``interrupted``, never as a success.
"""

from __future__ import annotations

import threading

import httpx

from korsync.api.client import pooled_transport
from korsync.api.pace import Pace
from korsync.api.retries import RETRY_STATUSES
from korsync.daemon.metrics import Metrics


class ShuttingDown(BaseException):
    """The daemon is stopping: no new API request is sent."""


def daemon_pace(
    stopping: threading.Event, *, max_rate: float | None, max_concurrency: int | None
) -> Pace:
    """The pace shared by all the daemon's streams; waiting for a turn ends when it stops."""
    return Pace(max_rate=max_rate, max_concurrency=max_concurrency, sleep=stopping.wait)


class DaemonTransport(httpx.BaseTransport):
    """Counts requests; raises ``ShuttingDown`` once ``stopping`` is set."""

    def __init__(
        self,
        metrics: Metrics,
        stopping: threading.Event,
        *,
        max_concurrency: int | None,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self._inner = inner or pooled_transport(max_concurrency)
        self._metrics, self._stopping = metrics, stopping

    def _check(self) -> None:
        if self._stopping.is_set():
            raise ShuttingDown("korsync is stopping; no new API request")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` unless stopping (checked after the pace's wait); count it however
        it ends."""
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
