"""``korsync status`` as a health check: exit 0 when every stream is fresh and passing, 1 when
the mirror never synced or a stream is failing or stale; how it shows lags and times."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from korsync.cli import main
from korsync.config import Settings
from korsync.models import SyncRun, SyncState
from korsync.status import collect, duration, stale_thresholds


def _run(engine: Engine, stream: str, status: str, ago: dt.timedelta) -> None:
    with Session(engine) as session:
        when = dt.datetime.now(dt.UTC) - ago  # now: a full run may import this file minutes early
        session.add(SyncRun(stream=stream, status=status, started_at=when, finished_at=when))
        session.commit()


def _status(
    database_url: str, monkeypatch: pytest.MonkeyPatch, **env: str
) -> tuple[int, dict[str, Any]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["--database-url", database_url, "status", "--json"])
    return result.exit_code, json.loads(result.output)


def test_stale_thresholds_are_the_factor_times_each_interval() -> None:
    """A stream is stale after KORSYNC_STALE_FACTOR intervals, under its recorded name."""
    thresholds = stale_thresholds(Settings(orders_interval=60, reconcile_interval=600))
    assert thresholds["orders"] == dt.timedelta(minutes=3)
    assert thresholds["reconcile"] == dt.timedelta(minutes=30)
    assert thresholds["documents"] == dt.timedelta(seconds=2700)


def test_status_exits_0_when_every_stream_is_fresh(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recent successes everywhere: exit 0, nothing failing or stale (orders run every 15 s,
    so stale after 45 s by default)."""
    _run(engine, "orders", "succeeded", dt.timedelta(seconds=20))
    _run(engine, "catalogue", "succeeded", dt.timedelta(hours=20))
    code, report = _status(database_url, monkeypatch)
    assert code == 0 and report["failing"] == [] and report["stale"] == []


def test_status_exits_1_when_a_stream_is_stale(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream whose last success is older than its threshold makes status exit 1."""
    _run(engine, "orders", "succeeded", dt.timedelta(minutes=20))
    _run(engine, "catalogue", "succeeded", dt.timedelta(hours=20))
    code, report = _status(database_url, monkeypatch, KORSYNC_ORDERS_INTERVAL="300")
    assert code == 1 and report["stale"] == ["orders"] and report["failing"] == []
    code, report = _status(database_url, monkeypatch, KORSYNC_STALE_FACTOR="5")
    assert code == 0
    text = CliRunner().invoke(main, ["--database-url", database_url, "status"])
    assert text.exit_code == 0 and " ok " in text.output


def test_status_exits_1_when_a_stream_never_succeeded_for_too_long_or_failed(
    engine: Engine, database_url: str
) -> None:
    """A stream with only failures is failing, and stale once its first run is old enough."""
    _run(engine, "reservations", "failed", dt.timedelta(hours=2))
    report = collect(engine, stale_after=stale_thresholds(Settings()))
    assert report.failing == ["reservations"] and report.stale == ["reservations"]
    assert report.unhealthy
    text = CliRunner().invoke(main, ["--database-url", database_url, "status"])
    assert text.exit_code == 1 and "FAILING+STALE" in text.output


def test_status_fails_on_a_mirror_that_never_synced(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A health check must not pass on an empty mirror, nor on one whose runs all failed early."""
    code, report = _status(database_url, monkeypatch)
    assert code == 1 and report["never_synced"] is True
    _run(engine, "orders", "failed", dt.timedelta(seconds=5))
    code, report = _status(database_url, monkeypatch)
    assert code == 1 and report["never_synced"] is True and report["stale"] == []
    _run(engine, "orders", "succeeded", dt.timedelta(seconds=1))
    code, report = _status(database_url, monkeypatch)
    assert code == 0 and report["never_synced"] is False


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0s"), (42, "42s"), (330, "5m30s"), (3600, "1h"), (11_520, "3h12m"), (187_200, "2d4h")],
)
def test_durations_read_as_people_write_them(seconds: float, shown: str) -> None:
    """Lags and ages are printed as the two largest units, not as a count of seconds."""
    assert duration(seconds) == shown


def test_lag_is_a_duration_and_json_times_are_iso_8601(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table shows the lag as ``3h12m``; ``--json`` gives ISO 8601 timestamps with ``T``."""
    watermark = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3, minutes=12, seconds=10)
    with Session(engine) as session:
        session.add(SyncState(stream="orders", scope="", watermark=watermark))
        session.commit()
    _run(engine, "orders", "succeeded", dt.timedelta(seconds=30))
    text = CliRunner().invoke(main, ["--database-url", database_url, "status"])
    assert " 3h12m " in text.output
    _code, report = _status(database_url, monkeypatch)
    orders = next(s for s in report["streams"] if s["stream"] == "orders")
    assert dt.datetime.fromisoformat(orders["watermark"]) == watermark
    assert "T" in orders["watermark"] and "T" in orders["last_success_at"]
