"""The daemon makes KORSYNC_REPORTING_TIMEZONE the reporting views' zone when it starts."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text

from korsync.fake_api import Simulator
from tests.support.daemon import Daemon, wait_for


def _zones(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(text("SELECT DISTINCT zone FROM reporting_timezone")))


def test_the_daemon_writes_the_reporting_zone_at_start(
    sqlite_db: tuple[str, Engine], sim: Simulator, sim_url: str, start_daemon: Callable[..., Daemon]
) -> None:
    """Started with Europe/Paris, the daemon replaces the UTC row the migration wrote, and
    still stops cleanly."""
    url, engine = sqlite_db
    assert _zones(engine) == {"UTC"}
    daemon = start_daemon(url, sim_url, sim.token, KORSYNC_REPORTING_TIMEZONE="Europe/Paris")
    wait_for(lambda: _zones(engine) == {"Europe/Paris"}, "the zone written")
    code, _took = daemon.stop()
    assert code == 0, daemon.stderr()[-2000:]
    assert "reporting views count days in Europe/Paris" in daemon.stderr()
