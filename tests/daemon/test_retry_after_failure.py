"""A stream whose run failed is tried again soon (``KORSYNC_RETRY_AFTER``, doubling while it
keeps failing), not a whole interval later — a day, for the catalogue."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from korsync.daemon.scheduler import retry_delay
from korsync.fake_api import Simulator
from tests.support.daemon import Daemon, runs, wait_for

pytestmark = pytest.mark.slow
HOUR = {
    f"KORSYNC_{name}_INTERVAL": "3600"
    for name in ("ORDERS", "RECONCILE", "DOCUMENTS", "RESERVATIONS", "CATALOGUE")
}


def test_retry_delay_doubles_up_to_the_interval() -> None:
    """One minute, two, four … never more than the stream's interval."""
    delays = [retry_delay(n, 300, 60) for n in range(1, 6)]
    assert delays == [60, 120, 240, 300, 300]


def test_a_failed_stream_is_retried_in_seconds_not_an_interval_later(
    sqlite_db: tuple[str, Engine], sim: Simulator, sim_url: str, start_daemon: Callable[..., Daemon]
) -> None:
    """Every stream every hour; the orders collection fails twice: the streams that met the
    failures run again within seconds and succeed."""
    url, engine = sqlite_db
    sim.inject("500", count=2, path_prefix="/v1/booking/orders")
    daemon = start_daemon(
        url, sim_url, sim.token, KORSYNC_MAX_ATTEMPTS="1", KORSYNC_RETRY_AFTER="0.5", **HOUR
    )

    def recovered() -> bool:
        statuses = {s: [r.status for r in runs(engine, s)] for s in ("orders", "reconcile")}
        failed = sum(s.count("failed") for s in statuses.values())
        return failed == 2 and all(s and s[-1] == "succeeded" for s in statuses.values())

    wait_for(recovered, "orders and reconcile failing, then succeeding on a quick retry", 30)
    code, _took = daemon.stop()
    assert code == 0
    assert "next try in 0.5s" in daemon.stderr()
