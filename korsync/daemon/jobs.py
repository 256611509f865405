"""One scheduled run of one stream in the daemon: lock, run, record.

``JobRunner.run(name)`` is what every stream's job calls. It does nothing once the daemon is
stopping; otherwise it takes the stream's lock (on PostgreSQL; a run another daemon holds is
skipped with a log line), runs the stream through ``run_streams`` with the current API client
and options, and records the result in the metrics, in the line it sends systemd as ``STATUS=``
(none once ``stop`` has sent ``STOPPING=1``) and in the stream's lag. Failures are logged with
their first line only (SQL errors carry statements and parameters) and never escape: the next
run is the retry. A SIGHUP reload swaps the client and options in with ``replace_runtime``; a
replaced client is closed once no run uses it any more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from korsync.api.client import ApiClient
from korsync.daemon import systemd
from korsync.daemon.metrics import Metrics
from korsync.daemon.status_board import StatusBoard
from korsync.daemon.transport import ShuttingDown
from korsync.db.engine import make_session_factory
from korsync.db.errors import describe
from korsync.status import read_stream
from korsync.sync.audit.evidence import STREAM as AUDIT
from korsync.sync.audit.evidence import read_state
from korsync.sync.runner import RunTotals
from korsync.sync.streams import STREAMS, SyncOptions, run_streams

log = logging.getLogger("korsync.scheduler")


@dataclasses.dataclass(eq=False)
class Runtime:
    """The API client and sync options runs use; replaced whole by a reload."""

    client: ApiClient
    options: SyncOptions
    users: int = 0


@dataclasses.dataclass
class Result:
    """How one job ended: ``succeeded``, ``failed``, ``interrupted`` or ``skipped``."""

    status: str
    message: str
    totals: RunTotals | None = None
    waiting: bool = False  # skipped for a lock it needs besides its own: worth a try soon


class JobRunner:
    """Runs streams for the scheduler; thread-safe."""

    def __init__(
        self,
        engine: Engine,
        metrics: Metrics,
        stopping: threading.Event,
        runtime: tuple[ApiClient, SyncOptions],
        prefix: str = "",
        board: StatusBoard | None = None,
    ) -> None:
        # ``prefix`` names the account (``acme/``) in job ids, logs and STATUS=; empty for
        # the single account. ``board`` is shared by every account's runner.
        self.engine, self.metrics, self.stopping, self.prefix = engine, metrics, stopping, prefix
        self.board = board or StatusBoard()
        self.sessions = make_session_factory(engine)
        self._runtime = Runtime(*runtime)
        self._retired: list[Runtime] = []
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self._waiting: set[str] = set()  # streams whose last turn met ``PrerequisiteBusy``
        for name in STREAMS:
            metrics.track(name)

    def run(self, name: str) -> None:
        """One run of stream ``name`` (the scheduler's job function)."""
        if self.stopping.is_set():
            return
        started = time.monotonic()
        # Recording is part of the run: the daemon waits for it before it exits.
        with self._lease(name) as runtime:
            self.metrics.set_running(name, True)
            try:
                result = self._attempt(name, runtime)
            finally:
                self.metrics.set_running(name, False)
            self._record(name, result, time.monotonic() - started)

    def stop(self) -> None:
        """Refuse new runs and API requests; tell systemd, whose last ``STATUS=`` stays
        ``stopping`` however the runs in flight end."""
        with self._lock:
            self.stopping.set()
            systemd.notify("STOPPING=1", "STATUS=stopping")

    def job_id(self, name: str) -> str:
        """The scheduler's id of stream ``name``'s job (of this runner's account)."""
        return self.prefix + name

    def _attempt(self, name: str, runtime: Runtime) -> Result:
        who = self.job_id(name)
        try:
            outcome = run_streams(runtime.client, self.sessions, runtime.options, [name])[0]
        except ShuttingDown:
            log.info("%s: interrupted by shutdown after its last committed page", who)
            return Result("interrupted", "interrupted by shutdown")
        except DBAPIError as exc:
            log.error("%s: database unreachable: %s", who, describe(exc))
            return Result("failed", f"database unreachable: {describe(exc)}")
        except Exception as exc:  # a bug; logged in full, and the daemon stays up
            log.exception("%s: run crashed", who)
            return Result("failed", describe(exc))
        if outcome.retry_soon:
            log.info("%s: skipped: %s", who, outcome.skipped)
            return Result("skipped", f"skipped: {outcome.skipped}", waiting=True)
        if outcome.skipped:
            # Expected whenever several daemons share the work: quiet, and counted.
            log.debug("%s: skipped: another korsync process is running this stream", who)
            return Result("skipped", "skipped: another korsync process holds its lock")
        if outcome.run is None:
            error = describe(outcome.error or "failed")
            log.error("%s: run failed: %s", who, error)
            return Result("failed", error)
        return Result("succeeded", outcome.run.summary(), outcome.run.totals)

    def _record(self, name: str, result: Result, duration: float) -> None:
        self.metrics.record_run(name, result.status, duration, result.totals)
        when = dt.datetime.now(dt.UTC).strftime("%H:%M:%SZ")
        with self._lock:
            line = self.board.record(
                self.job_id(name), result.status, f"at {when}: {result.message}"
            )
            if result.waiting:
                self._waiting.add(name)
            else:
                self._waiting.discard(name)
            if not self.stopping.is_set():
                systemd.status(line)
        try:
            recorded = read_stream(self.engine, name)
            if name == AUDIT:
                record_audit(self.engine, self.metrics)
        except DBAPIError:
            return  # already reported by the run; the lag waits for the next one
        self.metrics.set_as_of(name, recorded.watermark or recorded.last_success_at)

    def status_line(self) -> str:
        """The board's ``STATUS=`` line: the last result and the jobs whose last run failed (of
        every account sharing the board)."""
        return self.board.line()

    def failures(self, name: str) -> int:
        """How many runs of ``name`` in a row have failed (0 after a success)."""
        return self.board.failures(self.job_id(name))

    def waiting(self, name: str) -> bool:
        """Whether ``name``'s last turn was skipped for a lock it needs besides its own."""
        with self._lock:
            return name in self._waiting

    def active(self) -> list[str]:
        """The streams running now."""
        with self._lock:
            return sorted(self._active)

    @contextmanager
    def _lease(self, name: str) -> Iterator[Runtime]:
        with self._lock:
            runtime = self._runtime
            runtime.users += 1
            self._active.add(name)
        try:
            yield runtime
        finally:
            with self._lock:
                runtime.users -= 1
                self._active.discard(name)
                idle = [r for r in self._retired if r.users == 0]
                self._retired = [r for r in self._retired if r.users > 0]
            for retired in idle:
                retired.client.close()

    def replace_runtime(self, runtime: tuple[ApiClient, SyncOptions]) -> None:
        """Use a new client and options from the next run on; close the old client when idle."""
        with self._lock:
            old, self._runtime = self._runtime, Runtime(*runtime)
            idle = old.users == 0
            if not idle:
                self._retired.append(old)
        if idle:
            old.client.close()

    def close(self, *, wait: bool = True) -> None:
        """Close the clients; with ``wait=False`` (a run was abandoned) leave them be."""
        if wait:
            for runtime in (self._runtime, *self._retired):
                runtime.client.close()


def record_audit(engine: Engine, metrics: Metrics) -> None:
    """Set the audit gauges from what the audits recorded (after a run, and at start-up)."""
    with Session(engine) as session:
        audits = read_state(session)
    metrics.record_audit(audits.last_clean_at, len(audits.differing))
