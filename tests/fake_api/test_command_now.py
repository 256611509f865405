"""``korsync fake-api`` as a real process: its data is dated relative to the moment it starts
unless ``--now`` pins it, and the ``export`` lines it prints are all korsync needs to sync from
it. The simulator package loads nothing from the rest of korsync."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.models import Order
from tests.support.fake_api import StartFakeApi, korsync_env

pytestmark = pytest.mark.slow


def _first_order(exports: dict[str, str], direction: str) -> dt.datetime:
    """The creation time of the oldest (``asc``) or newest (``desc``) order served."""
    headers = {"Authorization": f"Bearer {exports['KORSYNC_API_TOKEN']}"}
    page = httpx.get(
        f"{exports['KORSYNC_API_URL']}/v1/booking/orders",
        params={"order[createdAt]": direction},
        headers=headers,
        timeout=10,
    )
    page.raise_for_status()
    return dt.datetime.fromisoformat(page.json()["member"][0]["createdAt"])


def _within_the_year_before(instant: dt.datetime, oldest: dt.datetime, newest: dt.datetime) -> bool:
    """A year of history ending shortly (the simulator: an hour) before ``instant``."""
    year_before, month_before = instant - dt.timedelta(days=366), instant - dt.timedelta(days=30)
    return year_before < oldest and month_before < newest < instant


def test_exports_sync_korsync_and_orders_are_dated_up_to_now(
    start_fake_api: StartFakeApi, engine: Engine, database_url: str
) -> None:
    """The two export lines point ``korsync sync`` at the simulator, and the orders it mirrors
    span the year up to the moment fake-api started (not up to a fixed date in the past)."""
    started = dt.datetime.now(dt.UTC)
    exports = start_fake_api("--orders", "200")
    assert set(exports) == {"KORSYNC_API_URL", "KORSYNC_API_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "korsync", "sync", "--stream", "orders"],
        env=korsync_env(KORSYNC_DATABASE_URL=database_url, **exports),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with Session(engine) as session:
        count, oldest, newest = session.execute(
            select(func.count(), func.min(Order.created_at), func.max(Order.created_at))
        ).one()
    assert count == 200 and oldest is not None and newest is not None
    assert _within_the_year_before(started, oldest, newest), (oldest, newest)


def test_now_pins_the_dates(start_fake_api: StartFakeApi) -> None:
    """``--now`` (UTC when it has no offset) anchors the timeline: the orders span the year
    before that instant, whenever the test runs."""
    pinned = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
    exports = start_fake_api("--orders", "200", "--now", "2024-03-01T12:00:00")
    oldest, newest = _first_order(exports, "asc"), _first_order(exports, "desc")
    assert _within_the_year_before(pinned, oldest, newest), (oldest, newest)


def test_the_simulator_loads_nothing_from_the_rest_of_korsync() -> None:
    """Importing the fake-api command loads only ``korsync`` itself and ``korsync.fake_api``."""
    probe = (
        "import sys, korsync.fake_api.command; "
        "print(*sorted(m for m in sys.modules if m.split('.')[0] == 'korsync'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=korsync_env(), capture_output=True, text=True, check=True
    )
    loaded = done.stdout.split()
    assert "korsync.fake_api.command" in loaded
    assert [m for m in loaded if m != "korsync" and not m.startswith("korsync.fake_api")] == []
