"""The transport that keeps every request of one client to the shared ``Pace``.

``ThrottledTransport`` wraps the real ``httpx`` transport: before each request (token requests
included) it waits for a slot and a turn from the ``Pace``, and it gives the slot back — with
the status, the latency and any ``Retry-After`` for the pace to learn from — when the response
is closed, so "in flight" means requests whose response is still being read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx

from korsync.api.pace import Pace
from korsync.api.retries import parse_retry_after


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
    """Wraps ``inner``: each request takes a slot and a turn from ``pace``."""

    def __init__(self, inner: httpx.BaseTransport, pace: Pace) -> None:
        self._inner = inner
        self.pace = pace

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through ``inner`` once the pace allows it."""
        started = self.pace.acquire()
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            self.pace.release(started)
            raise
        retry_after = parse_retry_after(response.headers.get("Retry-After"))

        def release() -> None:
            self.pace.release(started, response.status_code, retry_after)

        stream = response.stream
        if not isinstance(stream, httpx.SyncByteStream):  # pragma: no cover - sync transports
            release()
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(stream, release),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()
