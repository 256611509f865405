"""Backfill processes share the pace: each starts at, and stays within, its share."""

from __future__ import annotations

import os

import pytest

from korsync.api.pace import START_CONCURRENCY, START_RATE
from korsync.cli.options import backfill_client
from korsync.config import load_settings
from korsync.sync.backfill.processes import default_processes


def test_each_process_starts_at_its_share() -> None:
    """Without ceilings, each of four processes starts at a quarter of the start pace."""
    settings = load_settings(api_token="t")
    with backfill_client(settings, 4) as client:
        assert client.pace.state.rate == START_RATE / 4
        assert client.pace.state.concurrency == START_CONCURRENCY // 4


def test_each_process_keeps_within_its_share_of_the_ceilings() -> None:
    """With KORSYNC_RATE_LIMIT=8, each of two processes starts at its 4 requests/s (below its
    share of the start pace); the pace's own tests show the share is never exceeded."""
    settings = load_settings(api_token="t", rate_limit=8.0, max_concurrency=6)
    with backfill_client(settings, 2) as client:
        assert client.pace.state.rate == 4.0
        assert client.pace.state.concurrency == 2


@pytest.mark.parametrize(
    ("cores", "expected"), [(None, 1), (1, 1), (2, 1), (7, 1), (8, 2), (64, 2)]
)
def test_default_processes_follow_the_cores(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, expected: int
) -> None:
    """Without --processes a backfill uses one process per four cores, at most two (one when
    the count is unknown)."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert default_processes() == expected
