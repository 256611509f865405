"""The backfill: re-walk orders created in a range by ``createdAt`` slices, on walker threads of
this process (``walker``) and optionally of worker processes (``processes``), in one recorded
run. The incremental watermark is never moved backwards; a complete backfill of all history may
move it forwards.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.filters import TimeFormat
from korsync.sync import filter_format, state
from korsync.sync.backfill.processes import OpenWorker, walk_in_processes
from korsync.sync.backfill.walker import Backfill, Progress, is_sqlite
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
    """
    started = utcnow()
    if processes > 1 and (open_worker is None or is_sqlite(sessions)):
        raise ValueError("several processes need open_worker and a database other than SQLite")

    def attempt(time_format: TimeFormat) -> StreamRun:
        backfill = Backfill(client, sessions, -(-workers // processes), options, time_format)
        # The plan is made under the run's lock: two backfills must not re-plan each other's
        # range.
        with StreamRun(sessions, "backfill", "backfill") as run:
            planned, total, full = backfill.plan(since, until, slices or workers * 4)
            advance = progress(total) if progress else (lambda _n: None)
            run.details = {
                "since": api_time(planned[0].start),
                "until": api_time(planned[-1].end),
                "orders": total,
            }
            if processes > 1 and open_worker is not None:
                walk_in_processes(backfill, planned, run, advance, open_worker, processes)
            else:
                numbers, lock = iter(range(len(planned))), threading.Lock()

                def take() -> int | None:
                    with lock:
                        return next(numbers, None)

                backfill.walk_all(planned, take, run, advance)
            with run.transaction() as session:
                state.delete_scopes(session, "backfill", "slice:")
                state.save(session, "backfill", cursor={"finished": api_time(utcnow())})
                if full and backfill.max_seen is not None:
                    latest = min(backfill.max_seen, started - options.safety_margin)
                    _advance_watermark(session, latest)
        return run

    # Probed before a first backfill; a 400 naming the filter later fails this run, and the
    # backfill is resumed (from each slice's checkpoint) in a second run with what is accepted.
    return filter_format.walk_with_format(client, sessions, attempt, probe_first=True)


def _advance_watermark(session: Session, candidate: dt.datetime) -> None:
    current = state.watermark(session, "orders")
    if current is None or candidate > current:
        state.save(session, "orders", watermark=candidate)
