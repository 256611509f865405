"""The daemon's Prometheus metrics, in a registry of its own, served only when configured. Every
series but ``korsync_build_info`` and the process ones carries an ``account`` label: the
account's name from the accounts file, or ``default`` for the single account. Per
stream: when it last succeeded and last finished, how long its last run took, its lag (now minus
its watermark, or minus its last success for streams without one), rows written by change kind,
rejected items, items stored without a part that could not be mapped, runs by status
(``succeeded``, ``failed``, ``interrupted``, ``skipped`` when another daemon held the stream's
lock or its last run was still busy), failed runs, and whether it is running now. For the
process: HTTP requests by status code (``error`` for a network failure) and the attempts that
failed in a way the API client retries (408, 429, 5xx, network errors), the requests per
second and in flight the adaptive pace allows now, the windows the last audit left differing and
when the last clean audit finished, and ``korsync_build_info`` (korsync's and Python's versions,
value 1). The daemon seeds each scheduled stream's last success, lag and staleness threshold,
and the audit's gauges, from the database at start-up
(``restore``), so a restart leaves no gap until the stream's next run (a day for the catalogue).
The counters live in memory whether or not ``serve`` exposes them; ``serve`` binds the address
the settings name (loopback by default) and returns the function that stops the server.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
import threading
import time
from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import start_http_server

from korsync import __version__
from korsync.accounts import SINGLE
from korsync.api.pace import Pace
from korsync.sync.runner import RunTotals

RUN_STATUSES = ("succeeded", "failed", "interrupted", "skipped")


class Families:
    """The daemon's registry and metric families, shared by the accounts' ``Metrics``."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created: noise
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        stream = ["account", "stream"]
        self.last_success = Gauge(
            "korsync_stream_last_success_timestamp_seconds",
            "When the stream's last successful run finished (Unix time)",
            stream,
            registry=registry,
        )
        self.last_finish = Gauge(
            "korsync_stream_last_run_timestamp_seconds",
            "When the stream's last run finished, whatever its status (Unix time)",
            stream,
            registry=registry,
        )
        self.duration = Gauge(
            "korsync_stream_last_run_duration_seconds",
            "How long the stream's last run took",
            stream,
            registry=registry,
        )
        self.lag = Gauge(
            "korsync_stream_lag_seconds",
            "Now minus the stream's watermark, or minus its last success if it has no watermark",
            stream,
            registry=registry,
        )
        self.running = Gauge(
            "korsync_stream_running", "1 while a run of the stream is in progress", stream,
            registry=registry,
        )  # fmt: skip
        self.rows = Counter(
            "korsync_stream_rows",
            "Rows written by the stream's runs, by kind of change",
            ["account", "stream", "change"],
            registry=registry,
        )
        self.rejects = Counter(
            "korsync_stream_rejects", "Items the stream could not map", stream, registry=registry
        )
        self.partial = Counter(
            "korsync_stream_partial",
            "Items the stream stored without some part it could not map (rejected_records kind"
            " 'partial')",
            stream,
            registry=registry,
        )
        self.runs = Counter(
            "korsync_stream_runs", "Runs of the stream by status", ["account", "stream", "status"],
            registry=registry,
        )  # fmt: skip
        self.errors = Counter(
            "korsync_stream_errors", "Runs of the stream that failed", stream, registry=registry
        )
        self.requests = Counter(
            "korsync_http_requests", "API requests sent, by HTTP status code", ["account", "code"],
            registry=registry,
        )  # fmt: skip
        self.retries = Counter(
            "korsync_http_retries",
            "API request attempts that failed in a way the client retries (408, 429, 5xx, network)",
            ["account"],
            registry=registry,
        )
        self.stale_after = Gauge(
            "korsync_stream_stale_after_seconds",
            "How long the stream may go without a success before korsync status calls it stale",
            stream,
            registry=registry,
        )
        self.audit_mismatched = Gauge(
            "korsync_audit_windows_mismatched",
            "createdAt windows the last audit left differing from the API after healing them",
            ["account"],
            registry=registry,
        )
        self.audit_last_clean = Gauge(
            "korsync_audit_last_clean_timestamp_seconds",
            "When the last audit with every window matching the API finished (Unix time)",
            ["account"],
            registry=registry,
        )
        self.pace_rate = Gauge(
            "korsync_http_pace_rate",
            "API requests per second the adaptive pace allows now",
            ["account"],
            registry=registry,
        )
        self.pace_concurrency = Gauge(
            "korsync_http_pace_concurrency",
            "API requests the adaptive pace allows in flight now",
            ["account"],
            registry=registry,
        )
        Gauge(
            "korsync_build_info",
            "korsync's version and the Python running it (value 1)",
            ["version", "python_version"],
            registry=registry,
        ).labels(__version__, platform.python_version()).set(1)


class Metrics:
    """What the daemon counts for one account (``for_account`` gives another account's, in the
    same registry); thread-safe (``prometheus_client`` locks its values)."""

    def __init__(self, families: Families | None = None, account: str = SINGLE) -> None:
        self.families = families or Families()
        self.account = account
        self._as_of: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def registry(self) -> CollectorRegistry:
        return self.families.registry

    def for_account(self, account: str) -> Metrics:
        """The metrics of ``account``, served with these."""
        return Metrics(self.families, account)

    def track(self, stream: str) -> None:
        """Create the stream's series at zero, so dashboards see it before its first run."""
        f, a = self.families, self.account
        for status in RUN_STATUSES:
            f.runs.labels(a, stream, status)
        f.errors.labels(a, stream)
        f.rejects.labels(a, stream)
        f.partial.labels(a, stream)
        f.running.labels(a, stream).set(0)
        f.lag.labels(a, stream).set_function(lambda: self._lag(stream))

    def set_running(self, stream: str, running: bool) -> None:
        """Whether a run of the stream is in progress."""
        self.families.running.labels(self.account, stream).set(int(running))

    def set_stale_after(self, stream: str, seconds: float) -> None:
        """How long the stream may go without a success before it is stale."""
        self.families.stale_after.labels(self.account, stream).set(seconds)

    def _lag(self, stream: str) -> float:
        with self._lock:
            as_of = self._as_of.get(stream)
        return time.time() - as_of if as_of is not None else math.nan

    def record_run(
        self, stream: str, status: str, duration: float, totals: RunTotals | None
    ) -> None:
        """Count one finished (or skipped) run and what it wrote."""
        f, a = self.families, self.account
        f.runs.labels(a, stream, status).inc()
        if status == "skipped":
            return
        f.last_finish.labels(a, stream).set(time.time())
        f.duration.labels(a, stream).set(duration)
        if status == "succeeded":
            f.last_success.labels(a, stream).set(time.time())
        elif status == "failed":
            f.errors.labels(a, stream).inc()
        if totals is not None:
            self._count_rows(stream, totals)

    def _count_rows(self, stream: str, totals: RunTotals) -> None:
        f, a = self.families, self.account
        for change, count in (
            ("inserted", totals.rows.inserted),
            ("updated", totals.rows.updated),
            ("unchanged", totals.rows.unchanged),
            ("deleted", totals.deleted),
        ):
            f.rows.labels(a, stream, change).inc(count)
        f.rejects.labels(a, stream).inc(totals.rejects)
        f.partial.labels(a, stream).inc(totals.partial)

    def set_as_of(self, stream: str, as_of: dt.datetime | None) -> None:
        """What the stream's data is as of (watermark or last success), for its lag."""
        if as_of is not None:
            with self._lock:
                self._as_of[stream] = as_of.timestamp()

    def restore(
        self, stream: str, last_success_at: dt.datetime | None, as_of: dt.datetime | None
    ) -> None:
        """Seed the stream's last success and lag from what the database recorded (start-up)."""
        if last_success_at is not None:
            self.families.last_success.labels(self.account, stream).set(last_success_at.timestamp())
        self.set_as_of(stream, as_of)

    def record_audit(self, last_clean_at: dt.datetime | None, mismatched: int) -> None:
        """What the audits recorded: the last clean one, and windows still differing."""
        f, a = self.families, self.account
        f.audit_mismatched.labels(a).set(mismatched)
        f.audit_last_clean.labels(a).set(last_clean_at.timestamp() if last_clean_at else math.nan)

    def observe_response(self, code: str, retryable: bool) -> None:
        """Count one API request and whether the client will retry it."""
        self.families.requests.labels(self.account, code).inc()
        if retryable:
            self.families.retries.labels(self.account).inc()

    def watch_pace(self, pace: Pace) -> None:
        """Export ``pace``'s current rate and concurrency (the latest pace after a reload)."""
        self.families.pace_rate.labels(self.account).set_function(lambda: pace.state.rate)
        self.families.pace_concurrency.labels(self.account).set_function(
            lambda: pace.state.concurrency
        )

    def serve(self, address: str, port: int) -> Callable[[], None]:
        """Expose ``/metrics`` on ``address:port``; returns the function that stops it."""
        server, thread = start_http_server(port, address, registry=self.families.registry)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(5)

        return stop
