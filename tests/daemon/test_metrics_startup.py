"""``korsync run`` exports each stream's last success, lag and staleness threshold from the
database as soon as it starts, before the stream runs again, says which korsync it is and what
pace its requests keep."""

from __future__ import annotations

import math
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

import korsync
from korsync.config import Settings
from korsync.fake_api import Simulator
from korsync.status import read_stream
from tests.support.daemon import FAST, Daemon, wait_for

pytestmark = pytest.mark.slow
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sync_catalogue(database_url: str, sim_url: str, token: str) -> None:
    """One ``korsync sync --stream catalogue`` as its own process, like an earlier daemon's run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KORSYNC_")}
    env |= {"KORSYNC_DATABASE_URL": database_url, "KORSYNC_API_URL": sim_url}
    env |= {"KORSYNC_API_TOKEN": token, "KORSYNC_LOG_LEVEL": "WARNING"}
    env["KORSYNC_RATE_LIMIT"] = FAST["KORSYNC_RATE_LIMIT"]
    done = subprocess.run(
        [sys.executable, "-m", "korsync", "sync", "--stream", "catalogue"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _scrape(port: int) -> Samples | None:
    """Every sample ``/metrics`` serves, by name and labels; ``None`` while it does not answer."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.TransportError:
        return None
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    """A sample by name and labels; every series but build_info is the single account's."""
    if name != "korsync_build_info":
        labels = {"account": "default", **labels}
    return samples.get((name, frozenset(labels.items())))


def test_a_restarted_daemon_exports_the_catalogue_freshness_before_its_next_run(
    engine: Engine,
    database_url: str,
    sim: Simulator,
    sim_url: str,
    start_daemon: Callable[..., Daemon],
) -> None:
    """The catalogue (not due for 30 s) has its last success, lag and stale-after threshold
    from the database while the daemon's first runs are of other streams; build info is 1."""
    _sync_catalogue(database_url, sim_url, sim.token)
    recorded = read_stream(engine, "catalogue")
    assert recorded.last_success_at is not None
    port = _free_port()
    daemon = start_daemon(database_url, sim_url, sim.token, KORSYNC_METRICS_PORT=str(port))

    def after_a_run() -> Samples | None:
        """Samples once the schedule has run a stream (so start-up is over)."""
        samples = _scrape(port)
        if samples and _value(samples, "korsync_stream_runs_total", stream="orders",
                              status="succeeded"):  # fmt: skip
            return samples
        assert daemon.process.poll() is None, daemon.stderr()[-2000:]
        return None

    samples = wait_for(after_a_run, "an orders run counted in /metrics")
    catalogue = {"stream": "catalogue"}
    assert _value(samples, "korsync_stream_runs_total", status="succeeded", **catalogue) == 0
    last_success = _value(samples, "korsync_stream_last_success_timestamp_seconds", **catalogue)
    assert last_success == pytest.approx(recorded.last_success_at.timestamp(), abs=1e-3)
    as_of = (recorded.watermark or recorded.last_success_at).timestamp()
    lag = _value(samples, "korsync_stream_lag_seconds", **catalogue)
    assert lag is not None and not math.isnan(lag)
    assert 0 <= (time.time() - as_of) - lag <= 30  # the scrape came a little before now
    stale_factor = Settings.model_fields["stale_factor"].default
    stale_after = float(FAST["KORSYNC_CATALOGUE_INTERVAL"]) * stale_factor
    assert _value(samples, "korsync_stream_stale_after_seconds", **catalogue) == stale_after
    build = {"version": korsync.__version__, "python_version": platform.python_version()}
    assert _value(samples, "korsync_build_info", **build) == 1
    rate = _value(samples, "korsync_http_pace_rate")
    assert rate is not None and 0 < rate <= float(FAST["KORSYNC_RATE_LIMIT"])
    assert (_value(samples, "korsync_http_pace_concurrency") or 0) >= 1
