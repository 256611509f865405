"""The daemon writes KORSYNC_HISTORY to the database when it starts, and with
KORSYNC_HISTORY_DAYS prunes the versions past retention (never a current one)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, func, select

from korsync.daemon.history_prune import JOB_ID, add_prune_job, prune
from korsync.db.engine import make_engine
from korsync.db.history import stored_groups
from korsync.fake_api import Simulator
from korsync.models.history import history_tables
from tests.support.daemon import Daemon, wait_for


def _old_closed_version(engine: Engine) -> uuid.UUID:
    """An order whose first version ended in 2020 and whose second is current."""
    key = uuid.uuid4()
    history = history_tables()["orders"]
    old, ended = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:
        connection.execute(history.insert().values(id=key, valid_from=old, valid_to=ended))
        connection.execute(history.insert().values(id=key, valid_from=ended))
    return key


def _kept(engine: Engine, key: uuid.UUID) -> int:
    history = history_tables()["orders"]
    with engine.connect() as connection:
        query = select(func.count()).select_from(history).where(history.c.id == key)
        return connection.scalar(query) or 0


def test_the_daemon_writes_the_history_groups_and_prunes(
    sqlite_db: tuple[str, Engine], sim: Simulator, sim_url: str, start_daemon: Callable[..., Daemon]
) -> None:
    """Started with KORSYNC_HISTORY=orders and KORSYNC_HISTORY_DAYS=30, the daemon switches the
    other groups off and deletes the version that ended in 2020, keeping the current one."""
    url, engine = sqlite_db
    key = _old_closed_version(engine)
    daemon = start_daemon(url, sim_url, sim.token, KORSYNC_HISTORY="orders",
                          KORSYNC_HISTORY_DAYS="30")  # fmt: skip
    wait_for(lambda: _kept(engine, key) == 1, "the old version pruned")
    with engine.connect() as connection:
        groups = stored_groups(connection)
    code, _took = daemon.stop()
    assert code == 0, daemon.stderr()[-2000:]
    assert groups["orders"] and not groups["offers"] and not groups["catalogs"]
    assert "change history now orders" in daemon.stderr()
    assert "history: pruned versions ended over 30 days ago: 1 from orders_history" in (
        daemon.stderr()
    )


def test_prune_job_is_scheduled_and_survives_a_database_failure() -> None:
    """The job runs one at a time; a database that cannot be reached is a logged failure and
    prunes nothing (the next turn retries)."""
    scheduler = BackgroundScheduler()
    engine = make_engine("sqlite:////nonexistent-dir/korsync.db")
    add_prune_job(scheduler, engine, 7)
    job = scheduler.get_job(JOB_ID)
    assert job is not None and job.max_instances == 1
    assert prune(engine, 7) == 0
    engine.dispose()
