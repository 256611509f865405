"""The daemon's signals: SIGTERM and SIGINT ask it to stop, SIGHUP to reload its settings.

The handlers only set flags; ``signal.set_wakeup_fd`` writes to a pipe that ``Signals.wait``
selects on, so the main thread wakes at once for a signal and otherwise sleeps until its next
tick (watchdog ping, health check). No lock is taken inside a handler, so a signal can never
deadlock the thread it interrupts. Handlers and the wakeup descriptor are restored on exit.
"""

from __future__ import annotations

import os
import select
import signal
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Signals:
    """Use as a context manager in the main thread; read ``stops`` and ``reload``."""

    def __init__(self) -> None:
        self.stops = 0  # how many stop signals arrived (a second one means "now")
        self.reload = False
        self._read, self._write = os.pipe()
        self._previous: dict[int, Any] = {}
        self._previous_fd = -1

    @property
    def stop(self) -> bool:
        return self.stops > 0

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload = True
        else:
            self.stops += 1

    def wait(self, timeout: float) -> None:
        """Sleep until a signal arrives or ``timeout`` seconds pass."""
        ready, _, _ = select.select([self._read], [], [], max(0.0, timeout))
        if ready:
            os.read(self._read, 512)

    def __enter__(self) -> Signals:
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        self._previous_fd = signal.set_wakeup_fd(self._write)
        for signum in (*STOP_SIGNALS, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._read)
        os.close(self._write)
