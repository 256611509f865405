"""Running one stream: its record in ``sync_runs``, page transactions, and rejected records.

``StreamRun`` takes the stream's lock — one writer per stream, whoever starts it — and opens a
run (marking runs of the stream left ``running`` by a process that is gone as ``failed``, with
why), gives out one transaction per page in which rows, rejects and
state commit together (with the run's counters at most once a second), and closes the run as
``succeeded`` or ``failed`` with the error and exact counters. A run is never recorded as a
success unless its body finished. Closing also keeps ``sync_runs`` bounded
(``korsync.sync.run_records``): an idle run of a stream opened with ``fold_idle`` is folded with
an idle run before it, and old runs are pruned once an hour.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from korsync.db import history
from korsync.db.errors import describe
from korsync.db.locks import AdvisoryLocks, poll, stream_lock
from korsync.db.upsert import UpsertResult, refusal, resolve_rejects, upsert_rejects
from korsync.models import SyncRun
from korsync.sync import rowset as rs
from korsync.sync import run_records
from korsync.sync.mapping import PARTIAL, REJECTED, Rejection, utcnow

log = logging.getLogger("korsync.sync")
ABANDONED = "its process ended before the run finished (killed, or cut off from the database)"
# How often a run's counters are recorded while it runs: with every page they cost a statement
# per page; the end of the run records them exactly.
COUNTERS_EVERY_S = 1.0
JOIN_WAIT_S = 5.0  # how long a shared run waits for a sharer's moment alone
_NEW_PARENTS = "korsync.new_parents"  # Session.info key: placeholder parents this page adds


@dataclasses.dataclass
class RunTotals:
    """What a run did, as ``sync_runs`` records it."""

    pages: int = 0
    rows: UpsertResult = dataclasses.field(default_factory=UpsertResult)
    deleted: int = 0
    rejects: int = 0
    partial: int = 0  # items stored without some part (rejected_records kind 'partial')


def close_abandoned_runs(sessions: sessionmaker[Session]) -> list[str]:
    """Record as failed every run left ``running`` by a process that is gone (its stream's lock
    is free); a run whose stream is locked belongs to a live process and is left alone.
    Returns the streams whose runs were closed."""
    with sessions() as session:
        streams = session.scalars(
            select(SyncRun.stream).where(SyncRun.status == "running").distinct()
        ).all()
    closed = []
    for stream in streams:
        with stream_lock(sessions.kw["bind"], stream) as held:
            if held:
                with sessions.begin() as session:
                    _close_abandoned(session, stream)
                closed.append(stream)
    return closed


def _close_abandoned(session: Session, stream: str) -> None:
    session.execute(
        update(SyncRun)
        .where(SyncRun.stream == stream, SyncRun.status == "running")
        .values(status="failed", error=ABANDONED, finished_at=utcnow())
    )


class StreamBusy(Exception):
    """Another process holds the stream's lock: this run did not start."""


class PrerequisiteBusy(StreamBusy):
    """A lock the stream needs besides its own (the orders stream's, for an audit) stayed
    taken: the run did not start and nobody ran it in its place, so it is worth trying soon."""


class StreamRun:
    """One recorded run of one stream; use as a context manager."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        stream: str,
        mode: str,
        *,
        run_id: uuid.UUID | None = None,
        fold_idle: bool = False,
        shared: bool = False,
        before_open: Callable[[], None] | None = None,
    ) -> None:
        self.sessions, self.stream, self.mode = sessions, stream, mode
        self.dialect: str = sessions.kw["bind"].dialect.name
        # A shared run (a backfill that processes on several hosts share) holds its stream's
        # lock in shared mode on PostgreSQL: its runs' sharers, not other writers, are let in.
        self.shared = shared and self.dialect == "postgresql"
        self.locks = AdvisoryLocks(sessions.kw["bind"])
        # Called once the lock is held, before the run is recorded: what may refuse the run.
        self.before_open = before_open
        self.fold_idle = fold_idle  # an idle run shares one row with the idle runs before it
        self._held = contextlib.ExitStack()
        self.totals = RunTotals()
        self.details: dict[str, Any] = {}
        self.run_id = run_id
        self.started_at = utcnow()  # the recorded start, once the run is open
        # A run opened by another process (a backfill worker's) is only written to here; the
        # process that opened it sums every worker's totals and keeps the counters.
        self._keeps_counters = run_id is None
        self._counters_at = -float("inf")
        self._parents = rs.KnownParents()
        self._lock = threading.Lock()  # backfill slices write from several threads
        # SQLite has one writer at a time; queue our own threads instead of meeting SQLITE_BUSY.
        self._write_lock = threading.Lock()
        self._serialize_writes = self.dialect == "sqlite"

    def __enter__(self) -> StreamRun:
        """Take the stream's lock (``StreamBusy`` if another process holds it), close the runs
        of it left ``running`` by a process that is gone, and record this one."""
        engine = self.sessions.kw["bind"]
        if self.shared:
            self._held.callback(self.locks.close)
            joined = self._join()
        else:
            joined = self._held.enter_context(stream_lock(engine, self.stream))
        if not joined:
            self._held.close()
            raise StreamBusy(f"{self.stream}: another korsync process is running this stream")
        try:
            if self.before_open is not None:
                self.before_open()
            self._open()
        except BaseException:
            self._held.close()
            raise
        log.info("%s: %s run started", self.stream, self.mode)
        return self

    def _join(self) -> bool:
        """Take the stream's lock in shared mode. A sharer holds it exclusively only for a
        moment (to see whether it is alone), so wait that long; a process holding it longer is
        one that does not share (it may run the stream only alone)."""
        return poll(lambda: self.locks.try_lock(self.stream, shared=True), JOIN_WAIT_S)

    def _open(self) -> None:
        with self.alone() as alone, self.sessions.begin() as session:
            if alone:  # whoever left runs of this stream running is gone
                _close_abandoned(session, self.stream)
            run = SyncRun(stream=self.stream, mode=self.mode, status="running")
            session.add(run)
            session.flush()
            self.run_id, self.started_at = run.id, run.started_at

    @contextmanager
    def alone(self) -> Iterator[bool]:
        """Whether no other process runs this stream, kept true inside the block (a shared run
        holds the exclusive lock too meanwhile; others wait to join); always for an unshared
        run, whose lock is exclusive."""
        if not self.shared:
            yield True
            return
        alone = self.locks.try_lock(self.stream)
        try:
            yield alone
        finally:
            if alone:
                self.locks.unlock(self.stream)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work (with this run's counters, when due) commits as one transaction."""
        guard = self._write_lock if self._serialize_writes else nullcontext()
        new_parents: set[rs.ParentKey] = set()
        with guard, self.sessions.begin() as session:
            session.info[_NEW_PARENTS] = new_parents
            history.mark_run(session, self.run_id, utcnow())  # the versions its triggers write
            yield session
            if self._counters_due():
                self._save_counters(session)
            history.unmark_run(session)
        self._parents.committed(new_parents)

    def _counters_due(self) -> bool:
        """Whether to record the counters now (this process keeps them, and a second passed)."""
        with self._lock:
            now = time.monotonic()
            if not self._keeps_counters or now - self._counters_at < COUNTERS_EVERY_S:
                return False
            self._counters_at = now
            return True

    def _save_counters(self, session: Session) -> None:
        counters = self._counters()
        session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(**counters))

    def save_counters(self) -> None:
        """Record the counters in a transaction of their own, when due."""
        if self._counters_due():
            with self.sessions.begin() as session:
                self._save_counters(session)

    def add(self, totals: RunTotals) -> None:
        """Count work done on this run elsewhere (by a worker process)."""
        with self._lock:
            self.totals.pages += totals.pages
            self.totals.rows += totals.rows
            self.totals.deleted += totals.deleted
            self.totals.rejects += totals.rejects
            self.totals.partial += totals.partial

    def take_totals(self) -> RunTotals:
        """The totals counted since the last call, which start again from zero."""
        with self._lock:
            taken, self.totals = self.totals, RunTotals()
        return taken

    def write(
        self,
        session: Session,
        rows: rs.RowSet,
        rejects: Sequence[Rejection] = (),
        pages: int = 1,
        written: Sequence[str] = (),
        more: UpsertResult | None = None,
    ) -> UpsertResult:
        """Write the rows and rejects of ``pages`` fetched pages in ``session``; the open
        rejects of the items ``written`` (their ``record_key``s) are marked resolved, then the
        partial ones among ``rejects`` (written, less some part) recorded open again. ``more``:
        counts of rows of the same pages written otherwise (``order_sql``), counted too."""
        new_parents = self._parents.drop_known(rows)
        session.info.get(_NEW_PARENTS, set()).update(new_parents)
        result = rs.write(session, rows)
        if more is not None:
            result += more
        resolve_rejects(session, written)
        by_kind = {kind: [r for r in rejects if r.kind == kind] for kind in (PARTIAL, REJECTED)}
        for kind, chosen in by_kind.items():  # rejected last: it wins over partial
            if chosen:
                records = [(r.key, r.reason, r.raw) for r in chosen]
                upsert_rejects(session, self.stream, records, kind=kind)
        with self._lock:
            self.totals.pages += pages
            self.totals.rows += result
            self.totals.rejects += len(by_kind[REJECTED])
            self.totals.partial += len(by_kind[PARTIAL])
        for reject in rejects:
            shown = "rejected item" if reject.kind == REJECTED else "partly mapped item"
            log.warning("%s: %s %s: %s", self.stream, shown, _short(reject.key), reject.reason)
        return result

    def refused(self, items: Sequence[rs.RowSet]) -> dict[int, str]:
        """The items (each one item's rows) whose rows the database refuses, by index, with why
        (``db.upsert.refusal``); any other failure is raised. Found by writing prefixes of the
        items in transactions rolled back at once (nothing here is kept): the shortest prefix
        refused ends with a refused item, and a bisection finds it in a few writes. Prefixes,
        not items alone, because an item's rows may need a parent an earlier item brings (a
        product its product base)."""
        guard = self._write_lock if self._serialize_writes else nullcontext()
        refused: dict[int, str] = {}
        with guard:
            while True:
                left = [index for index in range(len(items)) if index not in refused]
                if self._refusal([items[i] for i in left]) is None:
                    return refused
                good, bad = 0, len(left)  # a prefix of ``good`` items is written, of ``bad`` not
                while bad - good > 1:
                    middle = (good + bad) // 2
                    if self._refusal([items[i] for i in left[:middle]]) is None:
                        good = middle
                    else:
                        bad = middle
                reason = self._refusal([items[i] for i in left[:bad]])
                refused[left[bad - 1]] = reason or "refused by the database"

    def _refusal(self, items: Sequence[rs.RowSet]) -> str | None:
        """Why the database refuses the rows of ``items`` written together, or ``None``."""
        rows = rs.RowSet()
        for item in items:
            rows.extend(item)
        with self.sessions() as session:
            try:
                rs.write(session, rows)
            except Exception as exc:
                reason = refusal(exc)
                if reason is None:
                    raise
                return reason
            finally:
                session.rollback()
        return None

    def _counters(self) -> dict[str, Any]:
        with self._lock:
            t = dataclasses.replace(self.totals, rows=dataclasses.replace(self.totals.rows))
        return {
            "pages": t.pages,
            "rows_inserted": t.rows.inserted,
            "rows_updated": t.rows.updated,
            "rows_unchanged": t.rows.unchanged,
            "rows_deleted": t.deleted,
            "rejects": t.rejects,
            # sync_runs has no column for them: partial items are counted among the details.
            "details": ({**self.details, "partial": t.partial} if t.partial else self.details)
            or None,
        }

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        status = "succeeded" if exc is None else "failed"
        if kind is not None and not issubclass(kind, Exception):
            status = "interrupted"  # KeyboardInterrupt, SystemExit: cut short, never a success
        error = None if exc is None else describe(exc)
        try:
            self._close(status, error)
        finally:
            self._held.close()
        summary = self.summary()
        if status == "failed":
            log.error("%s: %s run failed after %s: %s", self.stream, self.mode, summary, error)
        else:  # a stop asked for (SIGTERM, Ctrl-C) is no error
            log.info("%s: %s run %s: %s", self.stream, self.mode, status, summary)

    def _close(self, status: str, error: str | None) -> None:
        """Record the run's end (folded with the idle run before it, when both are idle), then
        prune the stream's old runs when due; a failed prune is logged, the run stays recorded."""
        assert self.run_id is not None  # set when the run opened
        with self.sessions.begin() as session:
            values = {**self._counters(), "status": status, "error": error}
            values["finished_at"] = utcnow()
            before = run_records.previous(session, self.stream, self.run_id)
            if self.fold_idle and run_records.idle(values):
                values["details"] = run_records.fold(session, before, values)
            session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(**values))
        if not run_records.prune_due(before.started_at if before else None, self.started_at):
            return
        try:
            with self.sessions.begin() as session:
                run_records.prune(session, self.stream, self.started_at - run_records.RETENTION)
        except SQLAlchemyError as exc:
            log.warning("%s: old runs not pruned: %s", self.stream, describe(exc))

    def summary(self) -> str:
        """What the run did, in one line (the stream and mode are said by whoever shows it)."""
        t = self.totals
        return (
            f"{t.pages} page(s), {t.rows.inserted} inserted, "
            f"{t.rows.updated} updated, {t.rows.unchanged} unchanged, "
            f"{t.deleted} marked deleted, {t.rejects} rejected, {t.partial} partial"
        )


def _short(key: str) -> str:
    """A rejected item's key as logged: its first 40 characters (unprintable ones as ``?``)
    and ``…`` when there were more; a hostile id can be kilobytes long."""
    shown = "".join(c if c.isprintable() else "?" for c in key[:40])
    return shown + "…" if len(key) > 40 else shown
