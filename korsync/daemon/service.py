"""The ``korsync run`` process under systemd: ``serve`` takes the settings, the engine and the
CLI's factories (``Wiring``); it refuses a second daemon on a SQLite file, waits for the database
with capped exponential backoff (saying so in the log and in ``STATUS=``), sends ``READY=1`` once
the schema is current, then seeds the metrics from the database and starts the schedule. The
main thread sleeps on signals, pings the watchdog while the heartbeat proves the scheduler alive,
and reloads the settings on SIGHUP.
SIGTERM/SIGINT stop new requests at once, wait up to ``STOP_GRACE_S`` for the page in flight to
commit, and return 0; a run still busy after that is abandoned — the process ends, so the
database rolls back its open transaction and the next run of the stream marks it
``interrupted``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

import httpx
from apscheduler.events import (
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from korsync.api.client import ApiClient
from korsync.api.pace import Pace
from korsync.config import Settings, SettingsError
from korsync.daemon import systemd
from korsync.daemon.history_prune import add_prune_job
from korsync.daemon.jobs import JobRunner, record_audit
from korsync.daemon.locks import DaemonLockError, sqlite_daemon_lock
from korsync.daemon.metrics import Metrics
from korsync.daemon.scheduler import HEARTBEAT_S, build_scheduler, retry_delay, trigger
from korsync.daemon.signals import Signals
from korsync.daemon.transport import DaemonTransport, daemon_pace
from korsync.db.engine import make_engine
from korsync.db.errors import describe
from korsync.db.history import write_history_groups
from korsync.db.migrate import SchemaError, check_schema
from korsync.db.reporting_zone import write_reporting_zone
from korsync.logs import configure_logging_for
from korsync.status import read_stream, stale_thresholds
from korsync.sync.audit.evidence import STREAM as AUDIT
from korsync.sync.runner import close_abandoned_runs
from korsync.sync.streams import STREAMS, SyncOptions, intervals

log = logging.getLogger("korsync.scheduler")

STOP_GRACE_S = 8.0  # SIGTERM to exit stays under 10 s


@dataclasses.dataclass(frozen=True)
class Wiring:
    """What the CLI knows how to build from settings; the daemon calls it again on SIGHUP.

    ``make_client`` must send through the transport and keep to the pace given.
    """

    load_settings: Callable[[], Settings]
    make_client: Callable[[Settings, httpx.BaseTransport, Pace], ApiClient]
    make_options: Callable[[Settings], SyncOptions]


class Daemon:
    """One ``korsync run`` process; see the module docstring."""

    def __init__(
        self, settings: Settings, engine: Engine, wiring: Wiring, streams: Sequence[str] = ()
    ) -> None:
        self.engine, self.wiring, self.settings = engine, wiring, settings
        self.streams = tuple(intervals(settings, streams))
        self.metrics = Metrics()
        self.stopping = threading.Event()
        self.abandoned = False
        self._beat = time.monotonic()
        self.jobs = JobRunner(engine, self.metrics, self.stopping, self._client_runtime(settings))

    def _client_runtime(self, settings: Settings) -> tuple[ApiClient, SyncOptions]:
        pace = daemon_pace(
            self.stopping, max_rate=settings.rate_limit, max_concurrency=settings.max_concurrency
        )
        transport = DaemonTransport(
            self.metrics, self.stopping, max_concurrency=settings.max_concurrency
        )
        client = self.wiring.make_client(settings, transport, pace)
        options = self.wiring.make_options(settings)
        self.metrics.watch_pace(pace)
        return client, options

    def run(self) -> int:
        """Run until a stop signal; the exit status (0 after a clean stop)."""
        with Signals() as signals:
            try:
                stop_metrics = self._serve_metrics()
            except OSError as exc:
                log.error("cannot serve metrics on %s: %s", self._metrics_where(), exc)
                return 1
            try:
                with sqlite_daemon_lock(self.engine.url):
                    return self._run_locked(signals)
            except DaemonLockError as exc:
                log.error("%s", exc)
                systemd.status(f"refused: {exc}")
                return 1
            finally:
                stop_metrics()
                self.jobs.close(wait=not self.abandoned)

    def _run_locked(self, signals: Signals) -> int:
        waited = self._wait_for_database(signals)
        if waited is not None:
            return waited
        if not self._write_reporting_zone():
            return 1
        switched = write_history_groups(self.engine, self.settings.history_groups)
        if switched:
            log.info("change history now %s: %s", self.settings.history, ", ".join(switched))
        scheduler = self._start_scheduler()
        systemd.notify("READY=1", "STATUS=ready: syncing on schedule")
        try:
            return self._loop(signals, scheduler)
        finally:
            self._stop(signals, scheduler)

    def _metrics_where(self) -> str:
        return f"{self.settings.metrics_address}:{self.settings.metrics_port}"

    def _serve_metrics(self) -> Callable[[], None]:
        if self.settings.metrics_port is None:
            return lambda: None
        stop = self.metrics.serve(self.settings.metrics_address, self.settings.metrics_port)
        log.info("metrics at http://%s/metrics", self._metrics_where())
        return stop

    def _wait_for_database(self, signals: Signals) -> int | None:
        """``None`` once the schema is current; 1 if it is not, 0 if stopped while waiting."""
        where = self.engine.url.render_as_string(hide_password=True)
        delay, probe = 1.0, self._probe_engine()
        try:
            while True:
                try:
                    check_schema(probe)
                    return None
                except SchemaError as exc:
                    log.error("%s", exc)
                    systemd.status(f"not started: {exc}")
                    return 1
                except DBAPIError as exc:
                    reason = describe(exc)
                    log.warning(
                        "database %s unreachable (%s); retrying in %.0fs", where, reason, delay
                    )
                    systemd.status(f"waiting for the database: {reason}")
                    systemd.notify(f"EXTEND_TIMEOUT_USEC={int((delay + 30) * 1e6)}")
                signals.wait(delay)
                if signals.stop:
                    return 0
                delay = min(delay * 2, self.settings.db_retry_max)
        finally:
            probe.dispose()

    def _write_reporting_zone(self) -> bool:
        """Make KORSYNC_REPORTING_TIMEZONE the views' zone (read at start; a SIGHUP does not
        change it); ``False`` when the database refuses it."""
        zone = self.settings.reporting_timezone
        try:
            if write_reporting_zone(self.engine, zone):
                log.info("reporting views count days in %s", zone)
        except ValueError as exc:
            log.error("KORSYNC_REPORTING_TIMEZONE: %s", exc)
            systemd.status(f"not started: {exc}")
            return False
        return True

    def _probe_engine(self) -> Engine:
        if self.engine.dialect.name != "postgresql":
            return make_engine(self.engine.url)
        return make_engine(self.engine.url, connect_args={"connect_timeout": 5})

    def _restore_metrics(self) -> dict[str, dt.datetime | None]:
        """Seed each scheduled stream's series from the database; its last success, by name."""
        last = {}
        for name in self.streams:
            recorded = read_stream(self.engine, name)
            last[name] = recorded.last_success_at
            self.metrics.restore(
                name, recorded.last_success_at, recorded.watermark or recorded.last_success_at
            )
            if name == AUDIT:
                record_audit(self.engine, self.metrics)
        self._export_thresholds(self.settings)
        return last

    def _export_thresholds(self, settings: Settings) -> None:
        thresholds = stale_thresholds(settings)
        for name in self.streams:
            self.metrics.stale_after.labels(name).set(thresholds[name].total_seconds())

    def _start_scheduler(self) -> BackgroundScheduler:
        for stream in close_abandoned_runs(self.jobs.sessions):
            log.warning(
                "%s: a run left running by a process that is gone is recorded failed", stream
            )
        last = self._restore_metrics()
        workers = len(self.streams) if self.engine.dialect.name == "postgresql" else 1
        scheduler = build_scheduler(
            self.settings,
            self.jobs.run,
            last,
            workers=workers,
            heartbeat=self._heartbeat,
            streams=self.streams,
        )
        if self.settings.history_days is not None:
            add_prune_job(scheduler, self.engine, self.settings.history_days)
        scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        scheduler.add_listener(functools.partial(self._retry_soon, scheduler), EVENT_JOB_EXECUTED)
        for job in scheduler.get_jobs():
            if job.id != "heartbeat":
                every, first = job.trigger.interval.total_seconds(), job.next_run_time
                log.info(
                    "%s: every %gs, first at %s", job.id, every, first.isoformat("T", "seconds")
                )
        scheduler.start()
        return scheduler

    def _retry_soon(self, scheduler: BackgroundScheduler, event: JobEvent) -> None:
        """After a failed run, try the stream again in a minute, doubling while it keeps
        failing, rather than a whole interval later (a day, for the catalogue)."""
        failures = self.jobs.failures(event.job_id)
        job = scheduler.get_job(event.job_id)
        if not failures or job is None or self.stopping.is_set():
            return
        interval = job.trigger.interval.total_seconds()
        delay = retry_delay(failures, interval, self.settings.retry_after)
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        if job.next_run_time is not None and when < job.next_run_time:
            job.modify(next_run_time=when)
            log.info("%s: failed %d time(s) in a row; next try in %gs", job.id, failures, delay)

    def _skipped(self, event: JobEvent) -> None:
        """A turn APScheduler skipped: the last run still busy (or queued), or too late."""
        if event.job_id in STREAMS and not self.stopping.is_set():
            why = "too late" if event.code == EVENT_JOB_MISSED else "its last run is still busy"
            log.info("%s: this turn skipped (%s)", event.job_id, why)
            self.metrics.record_run(event.job_id, "skipped", 0.0, None)

    def _heartbeat(self) -> None:
        self._beat = time.monotonic()

    def _healthy(self, scheduler: BackgroundScheduler) -> bool:
        return bool(scheduler.running) and time.monotonic() - self._beat < 3 * HEARTBEAT_S

    def _loop(self, signals: Signals, scheduler: BackgroundScheduler) -> int:
        """Sleep on signals; ping the watchdog while healthy; 1 if the scheduler died."""
        period = systemd.watchdog_period()
        tick = min(1.0, period) if period else 1.0
        while True:
            signals.wait(tick)
            if signals.stop:
                return 0
            if signals.reload:
                signals.reload = False
                self._reload(scheduler)
            if not self._healthy(scheduler):
                log.critical(
                    "the scheduler stopped running jobs; exiting so systemd restarts korsync"
                )
                return 1
            if period:
                systemd.notify("WATCHDOG=1")

    def _stop(self, signals: Signals, scheduler: BackgroundScheduler) -> None:
        """Stop new requests and runs; give the runs in flight ``STOP_GRACE_S`` to end."""
        self.jobs.stop()
        scheduler.shutdown(wait=False)
        busy = self.jobs.active()
        if busy:
            log.info("stopping: waiting up to %gs for %s", STOP_GRACE_S, ", ".join(busy))
        deadline, stops = time.monotonic() + STOP_GRACE_S, signals.stops
        while self.jobs.active() and time.monotonic() < deadline and signals.stops == stops:
            signals.wait(0.1)
        busy = self.jobs.active()
        if busy:
            self.abandoned = True
            log.warning(
                "abandoning the run(s) of %s in flight: their open transaction is rolled back "
                "and the next run records them as interrupted",
                ", ".join(busy),
            )
        log.info("stopped")

    def _reload(self, scheduler: BackgroundScheduler) -> None:
        """SIGHUP: new settings for logging, the API client, sync options and intervals."""
        systemd.reloading()
        try:
            settings = self.wiring.load_settings()
            runtime = self._client_runtime(settings)
        except (SettingsError, ValueError) as exc:
            log.error("reload failed, keeping the current settings: %s", exc)
            systemd.notify("READY=1")
            return
        for key in ("database_url", "metrics_port", "metrics_address"):
            if getattr(settings, key) != getattr(self.settings, key):
                log.warning("KORSYNC_%s changed: restart korsync to apply it", key.upper())
        old, self.settings = intervals(self.settings, self.streams), settings
        configure_logging_for(settings)
        self.jobs.replace_runtime(runtime)
        self._export_thresholds(settings)
        for name, interval in intervals(settings, self.streams).items():
            if interval != old[name]:
                scheduler.reschedule_job(name, trigger=trigger(interval))
                log.info("%s: now every %gs", name, interval)
        log.info("settings reloaded")
        systemd.notify("READY=1", f"STATUS={self.jobs.status_line()}")


def serve(settings: Settings, engine: Engine, wiring: Wiring, streams: Sequence[str] = ()) -> int:
    """Run the daemon for ``streams`` (default: all) in the main thread; its exit status.

    If a run had to be abandoned at shutdown, the process ends here (``os._exit``) because a
    worker thread cannot be stopped and would hold the interpreter open.
    """
    daemon = Daemon(settings, engine, wiring, streams)
    code = daemon.run()
    if daemon.abandoned:
        logging.shutdown()
        os._exit(code)
    return code
