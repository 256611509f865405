"""A backfill's plan and its walkers: the range split into ``createdAt`` slices, each walked
from its checkpoint by one of this process's walker threads.

The plan (range and slice count) and each slice's checkpoint live in ``sync_state`` under the
stream ``backfill``, committed with the rows of each page, so re-running an interrupted
backfill with the same range continues where each slice stopped. Re-reading is idempotent
(upserts). When the API's ``createdAt`` filters take only dates, slices meet at UTC midnights
(``plan_days``) and each is read from the day of its start to the end of the day of its end,
so none is cut short and no two read the same day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from korsync.api import jsonld
from korsync.api.client import ApiClient
from korsync.api.filters import TimeFormat, filter_time
from korsync.sync import filter_format, state
from korsync.sync.mapping import utcnow
from korsync.sync.orders import ORDERS_PATH, OrdersOptions, api_time, commit_orders, latest_created
from korsync.sync.pages import MappedPage
from korsync.sync.runner import StreamRun
from korsync.sync.values import timestamp

log = logging.getLogger("korsync.sync")
Progress = Callable[[int], None]  # told how many orders each page brought


@dataclasses.dataclass(frozen=True)
class Slice:
    """One part of the range: ``[start, end)`` by createdAt."""

    index: int
    start: dt.datetime
    end: dt.datetime

    @property
    def scope(self) -> str:
        return f"slice:{self.index}"


def plan_slices(start: dt.datetime, end: dt.datetime, count: int) -> list[Slice]:
    """Split ``[start, end)`` into ``count`` equal time slices on whole seconds."""
    span = max(1, int((end - start).total_seconds()))
    count = max(1, min(count, span))
    bounds = [start + dt.timedelta(seconds=span * i // count) for i in range(count)] + [end]
    return [Slice(i, bounds[i], bounds[i + 1]) for i in range(count)]


def plan_days(start: dt.datetime, end: dt.datetime, count: int) -> list[Slice]:
    """Split ``[start, end)`` into at most ``count`` slices of whole UTC days: the inner bounds
    are midnights, ``start`` and ``end`` stay as they are."""
    first = dt.datetime.combine(start.astimezone(dt.UTC).date(), dt.time(), dt.UTC)
    days = max(1, -(-(end - first) // dt.timedelta(days=1)))  # the days [start, end) touches
    count = max(1, min(count, days))
    inner = [first + dt.timedelta(days=days * i // count) for i in range(1, count)]
    bounds = [start, *inner, end]
    return [Slice(i, bounds[i], bounds[i + 1]) for i in range(count)]


def _range(
    client: ApiClient,
    since: dt.datetime | None,
    until: dt.datetime | None,
    time_format: TimeFormat,
) -> tuple[dt.datetime, dt.datetime, int]:
    """The range to walk (default: the first order to now) and how many orders it holds (with
    only dates, those of its first and last days too)."""
    until = until or utcnow()
    params: dict[str, Any] = {"order[createdAt]": "asc", "itemsPerPage": 1}
    params["createdAt[strictly_before]"] = filter_time(until, time_format, upper=True)
    if since is not None:
        params["createdAt[after]"] = filter_time(since, time_format)
    body = client.get_json(ORDERS_PATH, params)
    members = jsonld.members(body) or []
    total = jsonld.total_items(body) or 0
    if since is None:
        first = timestamp(members[0], "createdAt") if members else None
        since = first or until
    return since, until, total


class Backfill:
    """One backfill run: plan, resume, walk slices concurrently."""

    def __init__(
        self,
        client: ApiClient,
        sessions: sessionmaker[Session],
        workers: int,
        options: OrdersOptions,
        time_format: TimeFormat | None = None,
    ) -> None:
        """``time_format`` (default: the one remembered, as a worker process reads it) writes
        the ``createdAt`` filters."""
        self.client, self.sessions, self.workers, self.options = client, sessions, workers, options
        self.time_format = time_format or filter_format.current(sessions)
        self.lock = threading.Lock()
        self.reader = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
        self.max_seen: dt.datetime | None = None
        self.stopping = threading.Event()  # set on the first error: walkers stop after their page

    def plan(
        self, since: dt.datetime | None, until: dt.datetime | None, slices: int
    ) -> tuple[list[Slice], int, bool]:
        """The slices to walk (resumed when an unfinished plan matches) and the order count."""
        with self.sessions() as session:
            saved = state.load(session, "backfill")
            cursor = saved.cursor if saved else None
        if (
            cursor
            and "since" in cursor
            and (since is None or api_time(since) == cursor["since"])
            and (until is None or api_time(until) == cursor["until"])
        ):
            start, end = (
                dt.datetime.fromisoformat(cursor["since"]),
                dt.datetime.fromisoformat(cursor["until"]),
            )
            log.info(
                "backfill: resuming the unfinished backfill of %s to %s",
                cursor["since"],
                cursor["until"],
            )
            _, _, total = _range(self.client, start, end, self.time_format)
            split = plan_days if cursor.get("days") else plan_slices  # as first planned
            return split(start, end, cursor["slices"]), total, cursor.get("full", False)
        full = since is None
        start, end, total = _range(self.client, since, until, self.time_format)
        days = self.time_format is TimeFormat.DATE
        planned = (plan_days if days else plan_slices)(start, end, slices)
        with self.sessions.begin() as session:
            state.delete_scopes(session, "backfill", "slice:")
            cursor = {
                "since": api_time(start),
                "until": api_time(end),
                "slices": len(planned),
                "full": full,
                "days": days,
            }
            state.save(session, "backfill", cursor=cursor)
        return planned, total, full

    def walk(self, part: Slice, run: StreamRun, progress: Progress) -> None:
        """Walk one slice from its checkpoint, committing rows and checkpoint per page."""
        with self.sessions() as session:
            saved = state.load(session, "backfill", part.scope)
        if saved and saved.cursor and saved.cursor.get("done"):
            return
        checkpoint = saved.watermark if saved else None
        params = {
            "order[createdAt]": "asc",
            "createdAt[after]": filter_time(checkpoint or part.start, self.time_format),
            "createdAt[strictly_before]": filter_time(part.end, self.time_format, upper=True),
        }

        def save_checkpoint(session: Session, mapped: MappedPage) -> None:
            # ``checkpoint`` moves once the page has committed: this may run again for it.
            latest = latest_created(mapped.rows, checkpoint)
            state.save(session, "backfill", part.scope, watermark=latest, cursor={"done": False})

        commits = commit_orders(
            run,
            self.client,
            params,
            self.reader,
            self.options,
            save_checkpoint,
            self.stopping.is_set,
        )
        for mapped in commits:
            checkpoint = latest_created(mapped.rows, checkpoint)
            progress(len(mapped.page.items) + len(mapped.page.rejects))
            self.saw(checkpoint)
        if commits.finished:  # when stopped, the checkpoint stays where the last page left it
            with self.sessions.begin() as session:
                state.save(session, "backfill", part.scope, cursor={"done": True})

    def saw(self, created_at: dt.datetime | None) -> None:
        """Note a createdAt committed by this backfill (the watermark may move up to it)."""
        with self.lock:
            if created_at and (self.max_seen is None or created_at > self.max_seen):
                self.max_seen = created_at

    def walk_all(
        self,
        slices: list[Slice],
        take: Callable[[], int | None],
        run: StreamRun,
        progress: Progress,
    ) -> None:
        """Walk the slices whose numbers ``take`` gives (until ``None``) on this process's
        walkers. The first error stops the other walkers after their current page, and is
        raised once they have."""
        walkers = _walkers(self.sessions, self.workers)

        def drain() -> None:
            try:
                while not self.stopping.is_set() and (index := take()) is not None:
                    self.walk(slices[index], run, progress)
            except BaseException:
                self.stopping.set()
                raise

        with self.reader, ThreadPoolExecutor(walkers, thread_name_prefix="backfill") as pool:
            futures = [pool.submit(drain) for _ in range(walkers)]
            try:
                wait(futures)
            except BaseException:  # Ctrl-C while waiting: stop the walkers too
                self.stopping.set()
                raise
        for future in futures:
            future.result()


DEFAULT_WORKERS = 8  # slices at once unless told: enough to fill the pace's usual concurrency


def is_sqlite(sessions: sessionmaker[Session]) -> bool:
    return bool(sessions.kw["bind"].dialect.name == "sqlite")


def _walkers(sessions: sessionmaker[Session], workers: int) -> int:
    """Slices walked at once. SQLite has one writer: two walkers keep it busy (one writes while
    the other maps, each with its next page being read), more would only hold pages in memory."""
    return min(workers, 2) if is_sqlite(sessions) else workers
