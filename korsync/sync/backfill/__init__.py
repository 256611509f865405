"""The backfill: re-walk orders created in a range by ``createdAt`` slices, on walker threads of
this process (``walker``) and optionally of worker processes (``processes``), in one recorded
run. The incremental watermark is never moved backwards; a complete backfill of all history may
move it forwards.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.filters import TimeFormat
from korsync.sync import filter_format
from korsync.sync.backfill.processes import OpenWorker, walk_in_processes
from korsync.sync.backfill.walker import Backfill, Progress, Slice, is_sqlite
from korsync.sync.mapping import utcnow
from korsync.sync.orders import OrdersOptions, api_time
from korsync.sync.runner import StreamRun


def sync_backfill(
    client: ApiClient,
    sessions: sessionmaker[Session],
    options: OrdersOptions,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    workers: int = 4,
    slices: int | None = None,
    progress: Callable[[int], Progress] | None = None,
    processes: int = 1,
    open_worker: OpenWorker | None = None,
) -> StreamRun:
    """Backfill ``[since, until)``; ``progress(total)`` returns a per-page callback.

    With ``processes`` > 1 (PostgreSQL only; SQLite has one writer) this process and
    ``processes - 1`` worker processes, each opening its own client and sessions with
    ``open_worker``, share the slices and the ``workers`` out between them (a worker reads
    the ``createdAt`` filter format this process found in ``sync_state``).

    On PostgreSQL, backfills started elsewhere (other hosts) with the same range, or none, join
    the unfinished plan and share its slices; each waits until every slice is walked, taking
    over those of a process that died, and the first to see them all done finishes the plan.
    A backfill of another range is refused (``OtherRange``) while one runs.
    """
    started = utcnow()
    if processes > 1 and (open_worker is None or is_sqlite(sessions)):
        raise ValueError("several processes need open_worker and a database other than SQLite")

    def attempt(time_format: TimeFormat) -> StreamRun:
        # A backfill of another range is refused before its run is recorded; planning itself
        # (which asks the API) happens in the run, so that its failure is recorded.
        run = StreamRun(
            sessions,
            "backfill",
            "backfill",
            shared=True,
            before_open=lambda: _check_range(run, backfill, since, until),
        )
        backfill = Backfill(
            client, sessions, -(-workers // processes), options, time_format, run.locks
        )
        with run:
            with _planning(run) as alone:
                planned, total, _ = backfill.plan(since, until, slices or workers * 4, alone)
            advance = progress(total) if progress else (lambda _n: None)
            run.details = {
                "since": api_time(planned[0].start),
                "until": api_time(planned[-1].end),
                "orders": total,
            }
            while numbers := _claimable(backfill, planned):
                if processes > 1 and open_worker is not None:
                    walk_in_processes(
                        backfill, planned, numbers, run, advance, open_worker, processes
                    )
                else:
                    backfill.walk_all(planned, _taker(numbers), run, advance)
            with _planning(run) as alone, run.transaction() as session:
                backfill.finish(session, alone, started)
        return run

    # Probed before a first backfill; a 400 naming the filter later fails this run, and the
    # backfill is resumed (from each slice's checkpoint) in a second run with what is accepted.
    return filter_format.walk_with_format(client, sessions, attempt, probe_first=True)


# How often a backfill whose unfinished slices all belong to other processes looks again: a
# slice of a process that died is taken over within this (plus the server noticing the death).
CLAIM_POLL_S = 1.0


def _claimable(backfill: Backfill, planned: list[Slice]) -> list[int]:
    """The numbers of the unfinished slices no process walks now, waiting while every one
    left is being walked elsewhere; empty once every slice is done."""
    while left := backfill.unfinished(planned):
        free = [number for number in left if backfill.claimable(planned[number])]
        if free:
            return free
        time.sleep(CLAIM_POLL_S)
    return []


def _taker(numbers: list[int]) -> Callable[[], int | None]:
    """Hands out ``numbers`` one at a time to the walker threads, then ``None``."""
    given, lock = iter(numbers), threading.Lock()

    def take() -> int | None:
        with lock:
            return next(given, None)

    return take


def _check_range(
    run: StreamRun, backfill: Backfill, since: dt.datetime | None, until: dt.datetime | None
) -> None:
    with _planning(run) as alone:
        backfill.check_range(since, until, alone)


@contextmanager
def _planning(run: StreamRun) -> Iterator[bool]:
    """Under the backfill's plan lock, which every process reading or writing the plan takes:
    whether this process was alone in the backfill. (A process joining later waits for the
    plan lock, so it sees whatever is planned here.)"""
    run.locks.lock(PLAN_LOCK)
    try:
        with run.alone() as alone:
            pass  # a moment's look: those joining wait on the plan lock, not on this one
        yield alone
    finally:
        run.locks.unlock(PLAN_LOCK)


PLAN_LOCK = "backfill:plan"
