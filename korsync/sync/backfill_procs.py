"""Walking a backfill's slices in worker processes, each with its own interpreter.

One Python process spends most of a backfill holding its interpreter lock (parsing, mapping,
building statements), so on a machine with more than one core the slices are shared out to
worker processes. Each worker opens its own API client and database engine through the
``open_worker`` factory it is given (its share of the rate limit and of the requests in flight),
takes slice numbers from a queue and walks them exactly as a single process would: rows and
the slice's checkpoint commit together per page. Workers send what each page did back to the
parent, which advances the progress bar, sums the run's counters and records them every few
seconds. The first worker error ends the whole backfill: the other workers are stopped (their
open page transactions roll back) and the error names the worker and what failed.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue, SimpleQueue
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.sync.orders import OrdersOptions
from korsync.sync.runner import StreamRun

OpenWorker = Callable[[], AbstractContextManager[tuple[ApiClient, sessionmaker[Session]]]]
Progress = Callable[[int], None]
COUNTERS_EVERY_S = 2.0


class BackfillWorkerError(RuntimeError):
    """A worker process failed or died; the message says which and why."""


def walk_in_processes(
    run: StreamRun,
    slices: list[Any],
    open_worker: OpenWorker,
    options: OrdersOptions,
    processes: int,
    walkers: int,
    advance: Progress,
) -> dt.datetime | None:
    """Walk ``slices`` in ``processes`` workers of ``walkers`` threads; the latest createdAt
    any of them committed."""
    context = multiprocessing.get_context("spawn")  # no forked copies of pools or threads
    tasks: SimpleQueue[int | None] = context.SimpleQueue()
    events: Queue[tuple[Any, ...]] = context.Queue()
    args = (open_worker, options, slices, walkers, run.run_id, tasks, events)
    workers = [
        context.Process(target=_work, args=args, name=f"backfill-{n}", daemon=True)
        for n in range(processes)
    ]
    try:
        for worker in workers:
            worker.start()
        for index in range(len(slices)):
            tasks.put(index)
        for _ in range(processes * walkers):
            tasks.put(None)
        return _follow(run, workers, events, advance)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def _follow(
    run: StreamRun,
    workers: Sequence[BaseProcess],
    events: Queue[tuple[Any, ...]],
    advance: Progress,
) -> dt.datetime | None:
    """Read the workers' reports until each has finished; raise on the first failure."""
    finished: set[str] = set()
    latest: list[dt.datetime] = []
    saved_at = time.monotonic()
    while len(finished) < len(workers):
        try:
            name, kind, payload = events.get(timeout=1.0)
        except queue.Empty:
            _check_alive(workers, finished, events)
            continue
        if kind == "page":
            items, totals = payload
            run.add(totals)
            advance(items)
        elif kind == "error":
            raise BackfillWorkerError(f"backfill worker {name}: {payload}")
        else:
            finished.add(name)
            latest += [payload] if payload else []
        if time.monotonic() - saved_at > COUNTERS_EVERY_S:
            run.save_counters()
            saved_at = time.monotonic()
    return max(latest, default=None)


def _check_alive(
    workers: Sequence[BaseProcess], finished: set[str], events: Queue[tuple[Any, ...]]
) -> None:
    """Raise for a worker that ended without reporting: it was killed or crashed. (A worker
    flushes its reports before it exits, so an ended worker with none left to read is done.)"""
    for worker in workers:
        if worker.exitcode is not None and worker.name not in finished and events.empty():
            raise BackfillWorkerError(
                f"backfill worker {worker.name} ended (exit status {worker.exitcode})"
                " before finishing its slices"
            )


def _work(
    open_worker: OpenWorker,
    options: OrdersOptions,
    slices: list[Any],
    walkers: int,
    run_id: uuid.UUID,
    tasks: SimpleQueue[int | None],
    events: Queue[tuple[Any, ...]],
) -> None:
    """A worker process: walk slices from ``tasks`` until told to stop, reporting each page."""
    from korsync.sync.backfill import Backfill  # the parent imported this module from there

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    name = multiprocessing.current_process().name
    failed = threading.Event()
    try:
        with open_worker() as (client, sessions):
            backfill = Backfill(client, sessions, walkers, options)
            run = StreamRun(sessions, "backfill", "backfill", run_id=run_id)

            def report(items: int) -> None:
                events.put((name, "page", (items, run.take_totals())))

            def drain() -> None:
                try:
                    while not failed.is_set() and (index := tasks.get()) is not None:
                        backfill.walk(slices[index], run, report)
                except Exception as exc:
                    failed.set()  # report now: the other walkers may still be mid-slice
                    events.put((name, "error", _describe(exc)))

            with backfill.reader, ThreadPoolExecutor(walkers, thread_name_prefix="walk") as pool:
                for _ in range(walkers):
                    pool.submit(drain)
        if not failed.is_set():
            events.put((name, "done", backfill.max_seen))
    except Exception as exc:
        events.put((name, "error", _describe(exc)))


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
