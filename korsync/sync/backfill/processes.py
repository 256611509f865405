"""Walking a backfill's slices in worker processes, each with its own interpreter.

One Python process spends most of a backfill holding its interpreter lock (parsing, building
statements) and keeps a few of PostgreSQL's cores busy, so on a machine with more cores than
that the slices are shared between this process and spawned worker processes. Each worker
opens its own API client and database engine through the ``open_worker`` factory it is given
(like this process's, with its share of the pace), takes slice numbers from a shared queue and
walks them exactly as a single process would: rows and the slice's checkpoint commit together
per page. Workers send what each page did back here, where the progress bar advances and the
run's counters are summed and recorded. The first error anywhere ends the whole backfill:
workers are stopped (their open page transactions roll back), this process's walkers stop after
their page, and the error names the worker and what failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.sync.backfill.walker import Backfill, Progress, Slice
from korsync.sync.orders import OrdersOptions
from korsync.sync.runner import StreamRun

OpenWorker = Callable[[], AbstractContextManager[tuple[ApiClient, sessionmaker[Session]]]]
MAIN = "main"


def default_processes() -> int:
    """Processes a backfill uses unless told: one per four cores, at most two. (It only
    matters on PostgreSQL; SQLite takes one writer.) The server builds the orders' rows from
    the page's JSON, and one process keeps about three of its cores busy (bench/: 0.16 CPU s
    per 1,000 orders here, 0.5 in PostgreSQL), so on two cores a second process only took
    memory (~100 MB) and CPU from the server."""
    return min(2, max(1, (os.cpu_count() or 1) // 4))


class BackfillWorkerError(RuntimeError):
    """A worker process failed or died; the message says which and why."""


def walk_in_processes(
    backfill: Backfill,
    slices: list[Slice],
    numbers: list[int],
    run: StreamRun,
    advance: Progress,
    open_worker: OpenWorker,
    processes: int,
) -> None:
    """Walk the ``slices`` whose ``numbers`` are given here and in ``processes - 1`` worker
    processes, each on ``backfill.workers`` walkers; raise on the first failure anywhere."""
    context = multiprocessing.get_context("spawn")  # no forked copies of pools or threads
    tasks: Queue[int | None] = context.Queue()
    events: Queue[tuple[Any, ...]] = context.Queue()
    args = (open_worker, backfill.options, slices, backfill.workers, run.run_id, tasks, events)
    workers = [
        context.Process(target=_work, args=args, name=f"backfill-{n}", daemon=True)
        for n in range(1, processes)
    ]
    failures: list[Exception] = []
    walk_here = (backfill, slices, run, advance, tasks, events, failures)
    here = threading.Thread(target=_walk_here, args=walk_here)
    try:
        for worker in workers:
            worker.start()
        for index in numbers:
            tasks.put(index)
        for _ in range(processes * backfill.workers):
            tasks.put(None)
        here.start()
        _follow(backfill, run, workers, events, advance, failures)
    finally:
        backfill.stopping.set()
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        if here.ident is not None:
            here.join()


def _walk_here(
    backfill: Backfill,
    slices: list[Slice],
    run: StreamRun,
    advance: Progress,
    tasks: Queue[int | None],
    events: Queue[tuple[Any, ...]],
    failures: list[Exception],
) -> None:
    """This process's share of the walk, reported like a worker's (its error is kept whole)."""
    try:
        backfill.walk_all(slices, _taker(tasks, backfill.stopping), run, advance)
        events.put((MAIN, "done", None))
    except Exception as exc:
        failures.append(exc)
        events.put((MAIN, "error", None))


def _follow(
    backfill: Backfill,
    run: StreamRun,
    workers: Sequence[BaseProcess],
    events: Queue[tuple[Any, ...]],
    advance: Progress,
    failures: list[Exception],
) -> None:
    """Read the reports until this process and every worker have finished; raise on the first
    failure."""
    finished: set[str] = set()
    while len(finished) <= len(workers):
        try:
            name, kind, payload = events.get(timeout=1.0)
        except queue.Empty:
            _check_alive(workers, finished, events)
            continue
        if kind == "page":
            items, totals = payload
            run.add(totals)
            advance(items)
        elif kind == "error" and name == MAIN:
            raise failures[0]
        elif kind == "error":
            raise BackfillWorkerError(f"backfill worker {name}: {payload}")
        else:
            finished.add(name)
            backfill.saw(payload)
        run.save_counters()


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
    slices: list[Slice],
    walkers: int,
    run_id: uuid.UUID,
    tasks: Queue[int | None],
    events: Queue[tuple[Any, ...]],
) -> None:
    """A worker process: walk slices from ``tasks`` until told to stop, reporting each page."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    name = multiprocessing.current_process().name
    try:
        with open_worker() as (client, sessions):
            backfill = Backfill(client, sessions, walkers, options)
            run = StreamRun(sessions, "backfill", "backfill", run_id=run_id)

            def report(items: int) -> None:
                events.put((name, "page", (items, run.take_totals())))

            try:
                backfill.walk_all(slices, _taker(tasks, backfill.stopping), run, report)
            finally:
                backfill.claims.close()
        events.put((name, "done", backfill.max_seen))
    except Exception as exc:
        events.put((name, "error", _describe(exc)))


def _taker(tasks: Queue[int | None], stopping: threading.Event) -> Callable[[], int | None]:
    """The next slice number from ``tasks``, or ``None`` once stopping. Waits in short turns: a
    worker killed while holding the queue's lock must not block this process for ever."""

    def take() -> int | None:
        while not stopping.is_set():
            with contextlib.suppress(queue.Empty):
                task: int | None = tasks.get(timeout=0.5)
                return task
        return None

    return take


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
