"""The backfill's progress lines name the client's current pace."""

from __future__ import annotations

import logging

import pytest

from korsync.api.pace import START_CONCURRENCY, START_RATE, Pace
from korsync.cli.progress import progress_reporter


def test_progress_line_shows_the_pace(caplog: pytest.LogCaptureFixture) -> None:
    """Off a terminal each progress line carries the requests/s and in-flight the pace allows."""
    caplog.set_level(logging.INFO, logger="korsync")
    with progress_reporter(Pace(), every_s=0.0) as start:
        start(10)(4)
    assert caplog.messages[-1].endswith(
        f"pace {START_RATE:.0f} req/s, {START_CONCURRENCY} in flight"
    )
    assert caplog.messages[-1].startswith("backfill: 4/10 orders")


def test_progress_line_without_a_pace(caplog: pytest.LogCaptureFixture) -> None:
    """Without a pace the line ends at the ETA."""
    caplog.set_level(logging.INFO, logger="korsync")
    with progress_reporter(None, every_s=0.0) as start:
        start(10)(10)
    assert caplog.messages[-1].endswith("ETA 0s")
