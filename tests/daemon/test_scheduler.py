"""The daemon's schedule: one job per stream with its interval and options, and when each first
runs."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler

from korsync.config import Settings
from korsync.daemon.scheduler import add_stream_jobs, build_scheduler, first_run
from korsync.sync.streams import STREAMS, intervals

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_one_job_per_stream_with_its_interval_and_options() -> None:
    """Every stream gets a job: its interval from the settings, one instance, coalescing, grace."""
    settings = Settings(orders_interval=120, catalogue_interval=7200)
    scheduler = _scheduler(settings)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {*STREAMS, "heartbeat"}
    for name, interval in intervals(settings).items():
        job = jobs[name]
        assert job.args == (name,)
        assert job.trigger.interval == dt.timedelta(seconds=interval)
        assert 0 < job.trigger.jitter <= 30 and job.trigger.jitter <= interval / 10
        assert job.max_instances == 1 and job.coalesce is True
        assert job.misfire_grace_time >= interval
    assert jobs["orders"].trigger.interval == dt.timedelta(minutes=2)
    assert jobs["heartbeat"].executor == "heartbeat"


def test_a_daemon_can_schedule_only_some_streams() -> None:
    """``korsync run --stream orders`` schedules the orders job (and the heartbeat) only."""
    scheduler = _scheduler(Settings(), streams=("orders",))
    assert sorted(job.id for job in scheduler.get_jobs()) == ["heartbeat", "orders"]


def test_each_account_gets_its_own_jobs_at_its_own_intervals() -> None:
    """With several accounts, job ids are ``<account>/<stream>`` and intervals each account's."""
    scheduler = _scheduler(Settings(orders_interval=30), streams=("orders",), prefix="acme/")
    add_stream_jobs(scheduler, Settings(orders_interval=90), lambda n: None, {}, ("orders",), "b/")
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"heartbeat", "acme/orders", "b/orders"}
    assert jobs["acme/orders"].trigger.interval == dt.timedelta(seconds=30)
    assert jobs["b/orders"].trigger.interval == dt.timedelta(seconds=90)
    assert jobs["b/orders"].args == ("orders",) and jobs["b/orders"].max_instances == 1


def _scheduler(
    settings: Settings, streams: tuple[str, ...] = (), prefix: str = ""
) -> BackgroundScheduler:
    scheduler = build_scheduler(1, heartbeat=lambda: None)
    add_stream_jobs(scheduler, settings, lambda name: None, {}, streams, prefix)
    return scheduler


def test_first_run_is_now_when_stale_else_one_interval_after_the_last_success() -> None:
    """A stream never run, or last successful an interval ago, runs at start; else when due."""
    assert first_run(None, 86400, T0) == T0
    assert first_run(T0 - dt.timedelta(days=2), 86400, T0) == T0
    assert first_run(T0 - dt.timedelta(hours=1), 86400, T0) == T0 + dt.timedelta(hours=23)
