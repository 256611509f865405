"""The daemon's retention of change history: with ``KORSYNC_HISTORY_DAYS`` set, a job that
deletes the versions which ended more than that many days ago (never a current one), first at
start-up and then every ``PRUNE_EVERY_S``. A failure is logged in one line and retried at the
next turn; it never stops the daemon.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from korsync.db.errors import describe
from korsync.db.history import prune_history

log = logging.getLogger("korsync.scheduler")

PRUNE_EVERY_S = 3600.0
JOB_ID = "history-prune"


def prune(engine: Engine, days: int) -> int:
    """Delete the versions past retention; returns how many (0 when the database failed)."""
    try:
        pruned = prune_history(engine, days)
    except DBAPIError as exc:
        log.error("history: pruning versions older than %d days failed: %s", days, describe(exc))
        return 0
    if pruned:
        shown = ", ".join(f"{count} from {table}" for table, count in sorted(pruned.items()))
        log.info("history: pruned versions ended over %d days ago: %s", days, shown)
    return sum(pruned.values())


def add_prune_job(scheduler: BaseScheduler, engine: Engine, days: int, prefix: str = "") -> None:
    """Schedule ``prune`` of one account's database (one at a time, first run now); ``prefix``
    names the account in the job id (``acme/``), empty for the single account."""
    scheduler.add_job(
        prune, "interval", args=(engine, days), seconds=PRUNE_EVERY_S, id=prefix + JOB_ID,
        name="prune history", max_instances=1, coalesce=True,
        next_run_time=dt.datetime.now(dt.UTC), misfire_grace_time=None,
    )  # fmt: skip
