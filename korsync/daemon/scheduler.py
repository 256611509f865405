"""The daemon's schedule: one APScheduler interval job per (account, stream) (``max_instances=1``,
coalescing, a misfire grace of an hour or one interval, a little jitter, so that daemons sharing
a database drift apart rather than tick together; the first run when the stream's last success
is an interval old, so a stale catalogue is refreshed at start-up) and a heartbeat job whose
beats prove the scheduler alive. A job's id is its stream's name, after ``<account>/`` when there
are several accounts."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from korsync.config import Settings
from korsync.sync.streams import intervals

HEARTBEAT_S = 5.0  # the scheduler counts as alive while this job keeps running


def trigger(interval: float) -> IntervalTrigger:
    """Every ``interval`` seconds, plus up to 10 % of it (at most 30 s) of random jitter."""
    return IntervalTrigger(seconds=interval, jitter=min(30.0, interval / 10), timezone=dt.UTC)


def job_options(
    name: str, interval: float, first_run: dt.datetime, prefix: str = ""
) -> dict[str, Any]:
    """The ``add_job`` keywords of one stream's job (of the account ``prefix`` names)."""
    return {
        "trigger": trigger(interval),
        "id": prefix + name,
        "name": f"sync {prefix}{name}",
        "args": (name,),
        "max_instances": 1,
        "coalesce": True,
        # Runs are idempotent and incremental: a late turn (a busy worker, a suspended machine)
        # is still worth running, up to an hour or one interval late; coalescing folds the rest.
        "misfire_grace_time": max(3600, math.ceil(interval)),
        "next_run_time": first_run,
        "replace_existing": True,
    }


def first_run(last_success: dt.datetime | None, interval: float, now: dt.datetime) -> dt.datetime:
    """Now if the stream never succeeded or its last success is an interval old, else then."""
    if last_success is None:
        return now
    return max(now, last_success + dt.timedelta(seconds=interval))


def build_scheduler(
    workers: int, *, heartbeat: Callable[[], None] | None = None
) -> BackgroundScheduler:
    """A scheduler (not started) with ``workers`` threads for the runs, and the heartbeat."""
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(workers), "heartbeat": ThreadPoolExecutor(1)},
        timezone=dt.UTC,
    )
    if heartbeat is not None:
        scheduler.add_job(
            heartbeat, "interval", seconds=HEARTBEAT_S, id="heartbeat", executor="heartbeat",
            max_instances=1, coalesce=True, misfire_grace_time=None,
        )  # fmt: skip
    return scheduler


def add_stream_jobs(
    scheduler: BackgroundScheduler,
    settings: Settings,
    job: Callable[[str], None],
    last_success: dict[str, dt.datetime | None],
    streams: Sequence[str] = (),
    prefix: str = "",
) -> None:
    """One job per stream (default: all) of one account: ``job(stream)`` at the stream's
    interval in ``settings``."""
    now = dt.datetime.now(dt.UTC)
    for index, (name, interval) in enumerate(intervals(settings, streams).items()):
        # A tenth of a second apart, so at start-up the catalogue goes first.
        when = first_run(last_success.get(name), interval, now) + dt.timedelta(seconds=index / 10)
        scheduler.add_job(job, **job_options(name, interval, when, prefix))


def retry_delay(failures: int, interval: float, first: float) -> float:
    """Seconds until a stream that failed ``failures`` times in a row is tried again: ``first``
    (``KORSYNC_RETRY_AFTER``), doubling with each failure, never more than its interval."""
    return min(interval, first * 2.0 ** max(0, failures - 1))
