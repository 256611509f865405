"""Progress of long walks: a tqdm bar (orders/s, ETA) on a terminal, log lines otherwise; both
show the client's current pace (requests/s and in flight) when it has one."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from korsync.api.pace import Pace
from korsync.sync.backfill.walker import Progress

log = logging.getLogger("korsync")


@contextmanager
def progress_reporter(
    pace: Pace | None = None, every_s: float = 10.0
) -> Iterator[Callable[[int], Progress]]:
    """Yields ``start(total)`` which returns the per-page ``advance(count)`` callback."""
    bars: list[tqdm[Any]] = []

    def start(total: int) -> Progress:
        if not sys.stderr.isatty():
            return _log_lines(total, every_s, pace)
        bar: tqdm[Any] = tqdm(total=total, unit="order", unit_scale=True, dynamic_ncols=True)
        bars.append(bar)

        def advance(count: int) -> None:
            if pace is not None:
                bar.set_postfix_str(pace.state.describe(), refresh=False)
            bar.update(count)

        return advance

    try:
        yield start
    finally:
        for bar in bars:
            bar.close()


def _log_lines(total: int, every_s: float, pace: Pace | None) -> Progress:
    began = last = time.monotonic()
    done = 0

    def advance(count: int) -> None:
        nonlocal done, last
        done += count
        now = time.monotonic()
        if now - last >= every_s or done >= total:
            rate = done / max(now - began, 1e-9)
            eta = (total - done) / rate if rate and total > done else 0
            shown = f", {pace.state.describe()}" if pace is not None else ""
            log.info(
                "backfill: %d/%d orders, %.0f orders/s, ETA %.0fs%s", done, total, rate, eta, shown
            )
            last = now

    return advance
