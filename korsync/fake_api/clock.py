"""The simulator's notion of "now", which tests can freeze, set and move forward.

A running clock advances with the monotonic wall clock from its start instant; a frozen one
stays put until ``set`` or ``advance``. Everything time-dependent in the simulator (token
expiry, reservation ``expired``, new orders arriving, ``createdAt`` of new rows) reads it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time


class Clock:
    """A settable UTC clock (see the module docstring)."""

    def __init__(self, start: dt.datetime, running: bool = True) -> None:
        self._lock = threading.Lock()
        self._base = start.astimezone(dt.UTC)
        self._mark = time.monotonic()
        self._running = running

    def now(self) -> dt.datetime:
        """The current simulated instant (timezone-aware UTC, microseconds)."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> dt.datetime:
        if not self._running:
            return self._base
        return self._base + dt.timedelta(seconds=time.monotonic() - self._mark)

    def timestamp(self) -> int:
        """The current simulated instant as whole Unix seconds."""
        return int(self.now().timestamp())

    def set(self, when: dt.datetime) -> None:
        """Jump to ``when`` (must be timezone-aware); a running clock keeps running from there."""
        if when.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        with self._lock:
            self._base, self._mark = when.astimezone(dt.UTC), time.monotonic()

    def advance(self, seconds: float) -> dt.datetime:
        """Move forward by ``seconds`` and return the new now."""
        with self._lock:
            self._base = self._now_locked() + dt.timedelta(seconds=seconds)
            self._mark = time.monotonic()
            return self._base

    def freeze(self) -> None:
        """Stop the clock at the current instant."""
        with self._lock:
            self._base, self._running = self._now_locked(), False

    def resume(self) -> None:
        """Let the clock run with wall time again."""
        with self._lock:
            self._base, self._mark, self._running = self._now_locked(), time.monotonic(), True

    @property
    def running(self) -> bool:
        """Whether the clock follows wall time."""
        return self._running
