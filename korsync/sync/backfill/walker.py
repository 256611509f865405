"""A backfill's plan and its walkers: the range split into ``createdAt`` slices, each walked
from its checkpoint by one of this process's walker threads.

The plan (range and slice count) and each slice's checkpoint live in ``sync_state`` under the
stream ``backfill``, committed with the rows of each page, so re-running an interrupted
backfill with the same range continues where each slice stopped. Re-reading is idempotent
(upserts). When the API's ``createdAt`` filters take only dates, slices meet at UTC midnights
(``plan_days``) and each is read from the day of its start to the end of the day of its end,
so none is cut short and no two read the same day.

Processes on several hosts may share one plan: a slice is walked only by the process holding
its advisory lock (``AdvisoryLocks``), so no two walk it at once, and the server frees the lock
of a process that dies, so another takes the slice over from its checkpoint.
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
from korsync.db.locks import AdvisoryLocks
from korsync.sync import filter_format, state
from korsync.sync.mapping import utcnow
from korsync.sync.orders import ORDERS_PATH, OrdersOptions, api_time, commit_orders, latest_created
from korsync.sync.pages import MappedPage
from korsync.sync.runner import StreamBusy, StreamRun
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


class OtherRange(StreamBusy):
    """Another process walks an unfinished backfill of another range: this one did not start."""


class Backfill:
    """One backfill run: plan, resume, walk slices concurrently."""

    def __init__(
        self,
        client: ApiClient,
        sessions: sessionmaker[Session],
        workers: int,
        options: OrdersOptions,
        time_format: TimeFormat | None = None,
        claims: AdvisoryLocks | None = None,
    ) -> None:
        """``time_format`` (default: the one remembered, as a worker process reads it) writes
        the ``createdAt`` filters; ``claims`` (default: a connection of its own) holds the
        slices' locks."""
        self.client, self.sessions, self.workers, self.options = client, sessions, workers, options
        self.time_format = time_format or filter_format.current(sessions)
        self.claims = claims or AdvisoryLocks(sessions.kw["bind"])
        self.lock = threading.Lock()
        # The page readers of the current ``walk_all``, made there: a shared backfill walks more
        # than once, and a pool cannot be used again once shut down.
        self.reader: ThreadPoolExecutor
        self.max_seen: dt.datetime | None = None
        self.stopping = threading.Event()  # set on the first error: walkers stop after their page
        self.cursor: dict[str, Any] = {}  # the plan walked, as sync_state keeps it

    def plan(
        self,
        since: dt.datetime | None,
        until: dt.datetime | None,
        slices: int,
        alone: bool = True,
    ) -> tuple[list[Slice], int, bool]:
        """The slices to walk (resumed or joined when an unfinished plan matches) and the order
        count. Unless ``alone`` (no other process shares the backfill), an unfinished plan of
        another range is not replaced: ``OtherRange``."""
        cursor = self.check_range(since, until, alone)
        if cursor and "since" in cursor and _matches(cursor, since, until):
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
            self.cursor = cursor
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
                "planned": api_time(utcnow()),
            }
            state.save(session, "backfill", cursor=cursor)
        self.cursor = cursor
        return planned, total, full

    def check_range(
        self, since: dt.datetime | None, until: dt.datetime | None, alone: bool
    ) -> dict[str, Any] | None:
        """The saved plan's cursor; ``OtherRange`` when it is unfinished, of another range, and
        this process is not ``alone`` (others walk it)."""
        with self.sessions() as session:
            saved = state.load(session, "backfill")
            cursor = saved.cursor if saved else None
        if cursor and "since" in cursor and not alone and not _matches(cursor, since, until):
            raise OtherRange(
                f"another korsync process is running a backfill of {cursor['since']} to"
                f" {cursor['until']}: give the same --since and --until (or none) to share it,"
                " or wait for it to finish"
            )
        return cursor

    def unfinished(self, slices: list[Slice]) -> list[int]:
        """The numbers of the slices not yet walked to their end (by any process); none once
        the plan is finished (by another process) or replaced."""
        with self.sessions() as session:
            saved = state.load(session, "backfill")
            if saved is None or not _same_plan(saved.cursor, self.cursor):
                return []
            done = {
                s.scope
                for s in state.load_scopes(session, "backfill", "slice:")
                if s.cursor and s.cursor.get("done")
            }
        return [part.index for part in slices if part.scope not in done]

    def claimable(self, part: Slice) -> bool:
        """Whether no process walks ``part`` now (a moment's look: it may be taken next)."""
        if not self.claims.try_lock(_claim(part)):
            return False
        self.claims.unlock(_claim(part))
        return True

    def finish(self, session: Session, alone: bool, started: dt.datetime) -> bool:
        """Mark the plan finished in ``session`` (whoever walked its slices); a complete backfill
        of all history moves the watermark up to the latest order it committed. ``False`` when
        another process finished it first. Only a process ``alone`` forgets the slices' state:
        another one may still be looking at it."""
        saved = state.load(session, "backfill")
        if saved is None or not _same_plan(saved.cursor, self.cursor):
            return False
        parts = state.load_scopes(session, "backfill", "slice:")
        latest = max((s.watermark for s in parts if s.watermark is not None), default=None)
        if alone:
            state.delete_scopes(session, "backfill", "slice:")
        state.save(session, "backfill", cursor={"finished": api_time(utcnow())})
        if self.cursor.get("full") and latest is not None:
            planned = self.cursor.get("planned")
            at = min(started, dt.datetime.fromisoformat(planned)) if planned else started
            _advance_watermark(session, min(latest, at - self.options.safety_margin))
        return True

    def walk(self, part: Slice, run: StreamRun, progress: Progress) -> None:
        """Walk one slice from its checkpoint, committing rows and checkpoint per page; a slice
        another process walks now is left to it."""
        if not self.claims.try_lock(_claim(part)):
            return
        try:
            self._walk(part, run, progress)
        finally:
            self.claims.unlock(_claim(part))

    def _walk(self, part: Slice, run: StreamRun, progress: Progress) -> None:
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
            latest = latest_created(mapped, checkpoint)
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
            checkpoint = latest_created(mapped, checkpoint)
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
        self.reader = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="fetch")

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


def _matches(cursor: dict[str, Any], since: dt.datetime | None, until: dt.datetime | None) -> bool:
    """Whether a plan's range is the one asked (a bound not given matches any)."""
    return (since is None or api_time(since) == cursor["since"]) and (
        until is None or api_time(until) == cursor["until"]
    )


def _same_plan(saved: dict[str, Any] | None, plan: dict[str, Any]) -> bool:
    keys = ("since", "until", "slices", "planned")
    return saved is not None and all(saved.get(key) == plan.get(key) for key in keys)


def _claim(part: Slice) -> str:
    """The advisory lock a process holds while it walks ``part``."""
    return f"backfill:{part.scope}"


def _advance_watermark(session: Session, candidate: dt.datetime) -> None:
    current = state.watermark(session, "orders")
    if current is None or candidate > current:
        state.save(session, "orders", watermark=candidate)


DEFAULT_WORKERS = 8  # slices at once unless told: enough to fill the pace's usual concurrency


def is_sqlite(sessions: sessionmaker[Session]) -> bool:
    return bool(sessions.kw["bind"].dialect.name == "sqlite")


def _walkers(sessions: sessionmaker[Session], workers: int) -> int:
    """Slices walked at once. SQLite has one writer: two walkers keep it busy (one writes while
    the other maps, each with its next page being read), more would only hold pages in memory."""
    return min(workers, 2) if is_sqlite(sessions) else workers
