"""The ``korsync run`` process under systemd: ``serve`` takes the settings, the engine and the
CLI's factories (``Wiring``), and the accounts to keep fresh (``Mirror``: one by default, the
settings' own in the engine's schema); it refuses a second daemon on a SQLite file, waits for
the database with capped exponential backoff (saying so in the log and in ``STATUS=``), sends
``READY=1`` once every account's schema is current, then seeds the metrics from the database and
starts the schedule: one job per (account, stream), each account with its own API client, pace
and metrics, so one account's outage, 401 or slowness only ever holds its own jobs. Jobs share
``KORSYNC_MAX_PARALLEL_RUNS`` worker threads; a job has at most one run queued or running, so a
hung account holds at most one thread per stream. The
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
from korsync.daemon.scheduler import (
    HEARTBEAT_S,
    add_stream_jobs,
    build_scheduler,
    retry_delay,
    trigger,
)
from korsync.daemon.signals import Signals
from korsync.daemon.status_board import StatusBoard
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
from korsync.sync.streams import SyncOptions, intervals

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
    # The accounts' settings by name, from fresh settings (a SIGHUP); None: the single account.
    load_accounts: Callable[[Settings], dict[str | None, Settings]] = lambda s: {None: s}


@dataclasses.dataclass(frozen=True)
class Mirror:
    """One account the daemon keeps fresh: its name (``None``: the single account), its
    settings, and the engine whose connections reach its schema."""

    account: str | None
    settings: Settings
    engine: Engine


class Daemon:
    """One ``korsync run`` process; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        wiring: Wiring,
        streams: Sequence[str] = (),
        mirrors: Sequence[Mirror] = (),
    ) -> None:
        self.engine, self.wiring, self.settings = engine, wiring, settings
        self.mirrors = list(mirrors) or [Mirror(None, settings, engine)]
        self.names = tuple(streams)
        self.streams = tuple(intervals(settings, streams))
        self.metrics = Metrics()
        self.stopping = threading.Event()
        self.abandoned = False
        self._beat = time.monotonic()
        self.board = StatusBoard(len(self.mirrors))
        self.runners = [self._runner(mirror) for mirror in self.mirrors]
        # job id -> its runner and stream, for the scheduler's events
        self._jobs = {r.job_id(name): (r, name) for r in self.runners for name in self.streams}

    def _runner(self, mirror: Mirror) -> JobRunner:
        metrics = (
            self.metrics if mirror.account is None else self.metrics.for_account(mirror.account)
        )
        prefix = "" if mirror.account is None else f"{mirror.account}/"
        runtime = self._client_runtime(mirror.settings, metrics)
        return JobRunner(mirror.engine, metrics, self.stopping, runtime, prefix, self.board)

    def _client_runtime(
        self, settings: Settings, metrics: Metrics
    ) -> tuple[ApiClient, SyncOptions]:
        pace = daemon_pace(
            self.stopping, max_rate=settings.rate_limit, max_concurrency=settings.max_concurrency
        )
        transport = DaemonTransport(
            metrics, self.stopping, max_concurrency=settings.max_concurrency
        )
        client = self.wiring.make_client(settings, transport, pace)
        options = self.wiring.make_options(settings)
        metrics.watch_pace(pace)
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
                for runner in self.runners:
                    runner.close(wait=not self.abandoned)

    def _run_locked(self, signals: Signals) -> int:
        waited = self._wait_for_database(signals)
        if waited is not None:
            return waited
        if not self._write_reporting_zone():
            return 1
        self._write_history_groups()
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
        """``None`` once every account's schema is current; 1 if one is not, 0 if stopped while
        waiting."""
        where = self.engine.url.render_as_string(hide_password=True)
        delay, probe = 1.0, self._probe_engine()
        try:
            while True:
                try:
                    self._check_schemas(probe)
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

    def _check_schemas(self, probe: Engine) -> None:
        """Raise ``SchemaError`` (naming the account) unless every schema is current."""
        for mirror in self.mirrors:
            if mirror.account is None:
                check_schema(probe)
                continue
            try:
                check_schema(mirror.engine)
            except SchemaError as exc:
                raise SchemaError(f"account {mirror.account}: {exc}") from None

    def _write_history_groups(self) -> None:
        """Make each account's database record history for exactly its KORSYNC_HISTORY groups."""
        for mirror in self.mirrors:
            switched = write_history_groups(mirror.engine, mirror.settings.history_groups)
            if switched:
                where = f"account {mirror.account}: " if mirror.account else ""
                log.info(
                    "%schange history now %s: %s",
                    where, mirror.settings.history, ", ".join(switched),
                )  # fmt: skip

    def _write_reporting_zone(self) -> bool:
        """Make KORSYNC_REPORTING_TIMEZONE the views' zone (read at start; a SIGHUP does not
        change it); ``False`` when the database refuses it."""
        zone = self.settings.reporting_timezone
        try:
            for mirror in self.mirrors:
                if write_reporting_zone(mirror.engine, zone) and mirror.account is None:
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

    def _restore_metrics(self, runner: JobRunner) -> dict[str, dt.datetime | None]:
        """Seed each scheduled stream's series of ``runner``'s account from the database; its
        last success, by name."""
        last = {}
        for name in self.streams:
            recorded = read_stream(runner.engine, name)
            last[name] = recorded.last_success_at
            runner.metrics.restore(
                name, recorded.last_success_at, recorded.watermark or recorded.last_success_at
            )
            if name == AUDIT:
                record_audit(runner.engine, runner.metrics)
        return last

    def _export_thresholds(self, runner: JobRunner, settings: Settings) -> None:
        thresholds = stale_thresholds(settings)
        for name in self.streams:
            runner.metrics.set_stale_after(name, thresholds[name].total_seconds())

    def _workers(self) -> int:
        """Worker threads: one per job on PostgreSQL, up to KORSYNC_MAX_PARALLEL_RUNS (each
        run holds two connections); one on SQLite, which has one writer."""
        if self.engine.dialect.name != "postgresql":
            return 1
        return min(len(self._jobs), self.settings.max_parallel_runs)

    def _start_scheduler(self) -> BackgroundScheduler:
        scheduler = build_scheduler(self._workers(), heartbeat=self._heartbeat)
        for mirror, runner in zip(self.mirrors, self.runners, strict=True):
            for stream in close_abandoned_runs(runner.sessions):
                log.warning(
                    "%s: a run left running by a process that is gone is recorded failed",
                    runner.job_id(stream),
                )
            last = self._restore_metrics(runner)
            self._export_thresholds(runner, mirror.settings)
            add_stream_jobs(scheduler, mirror.settings, runner.run, last, self.names, runner.prefix)
            if mirror.settings.history_days is not None:
                add_prune_job(scheduler, runner.engine, mirror.settings.history_days, runner.prefix)
        scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        scheduler.add_listener(functools.partial(self._retry_soon, scheduler), EVENT_JOB_EXECUTED)
        for job in scheduler.get_jobs():
            if job.id != "heartbeat":
                every, first = job.trigger.interval.total_seconds(), job.next_run_time
                log.info(
                    "%s: every %gs, first at %s", job.id, every, first.isoformat("T", "seconds")
                )
        scheduler.start()
        # Start-up (every account's abandoned runs and metrics) may outlast the heartbeat's
        # tolerance; the scheduler's health is judged from now on.
        self._heartbeat()
        return scheduler

    def _retry_soon(self, scheduler: BackgroundScheduler, event: JobEvent) -> None:
        """After a failed run, try the stream again in a minute, doubling while it keeps
        failing, rather than a whole interval later (a day, for the catalogue); likewise, in a
        minute, a run skipped for a lock it needs besides its own (nobody ran it instead)."""
        runner, stream = self._jobs.get(event.job_id, (None, ""))
        failures = runner.failures(stream) if runner is not None else 0
        waiting = runner is not None and runner.waiting(stream)
        job = scheduler.get_job(event.job_id)
        if not (failures or waiting) or job is None or self.stopping.is_set():
            return
        interval = job.trigger.interval.total_seconds()
        delay = retry_delay(failures, interval, self.settings.retry_after)
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
        if job.next_run_time is not None and when < job.next_run_time:
            job.modify(next_run_time=when)
            why = f"failed {failures} time(s) in a row" if failures else "waiting for a lock"
            log.info("%s: %s; next try in %gs", job.id, why, delay)

    def _skipped(self, event: JobEvent) -> None:
        """A turn APScheduler skipped: the last run still busy (or queued), or too late."""
        if event.job_id in self._jobs and not self.stopping.is_set():
            runner, stream = self._jobs[event.job_id]
            why = "too late" if event.code == EVENT_JOB_MISSED else "its last run is still busy"
            log.info("%s: this turn skipped (%s)", event.job_id, why)
            runner.metrics.record_run(stream, "skipped", 0.0, None)

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
        for runner in self.runners:
            runner.stop()
        scheduler.shutdown(wait=False)
        busy = self._active()
        if busy:
            log.info("stopping: waiting up to %gs for %s", STOP_GRACE_S, ", ".join(busy))
        deadline, stops = time.monotonic() + STOP_GRACE_S, signals.stops
        while self._active() and time.monotonic() < deadline and signals.stops == stops:
            signals.wait(0.1)
        busy = self._active()
        if busy:
            self.abandoned = True
            log.warning(
                "abandoning the run(s) of %s in flight: their open transaction is rolled back "
                "and the next run records them as interrupted",
                ", ".join(busy),
            )
        log.info("stopped")

    def _active(self) -> list[str]:
        return [runner.job_id(name) for runner in self.runners for name in runner.active()]

    def _reload(self, scheduler: BackgroundScheduler) -> None:
        """SIGHUP: new settings for logging, the API clients, sync options and intervals."""
        systemd.reloading()
        try:
            settings = self.wiring.load_settings()
            accounts = self.wiring.load_accounts(settings)
            fresh = [accounts.get(mirror.account) for mirror in self.mirrors]
            runtimes = [
                self._client_runtime(new, runner.metrics) if new is not None else None
                for new, runner in zip(fresh, self.runners, strict=True)
            ]
        except (SettingsError, ValueError) as exc:
            log.error("reload failed, keeping the current settings: %s", exc)
            systemd.notify("READY=1")
            return
        for key in ("database_url", "metrics_port", "metrics_address", "accounts_file"):
            if getattr(settings, key) != getattr(self.settings, key):
                log.warning("KORSYNC_%s changed: restart korsync to apply it", key.upper())
        if set(accounts) != {mirror.account for mirror in self.mirrors}:
            log.warning("the accounts changed: restart korsync to add or remove one")
        self.settings = settings
        configure_logging_for(settings)
        for index, (new, runtime) in enumerate(zip(fresh, runtimes, strict=True)):
            if new is not None and runtime is not None:
                self._reload_account(scheduler, index, new, runtime)
        log.info("settings reloaded")
        systemd.notify("READY=1", f"STATUS={self.board.line()}")

    def _reload_account(
        self,
        scheduler: BackgroundScheduler,
        index: int,
        settings: Settings,
        runtime: tuple[ApiClient, SyncOptions],
    ) -> None:
        mirror, runner = self.mirrors[index], self.runners[index]
        old = intervals(mirror.settings, self.streams)
        self.mirrors[index] = dataclasses.replace(mirror, settings=settings)
        runner.replace_runtime(runtime)
        self._export_thresholds(runner, settings)
        for name, interval in intervals(settings, self.streams).items():
            if interval != old[name]:
                scheduler.reschedule_job(runner.job_id(name), trigger=trigger(interval))
                log.info("%s: now every %gs", runner.job_id(name), interval)


def serve(
    settings: Settings,
    engine: Engine,
    wiring: Wiring,
    streams: Sequence[str] = (),
    mirrors: Sequence[Mirror] = (),
) -> int:
    """Run the daemon for ``streams`` (default: all) of ``mirrors`` (default: the settings'
    account in ``engine``) in the main thread; its exit status.

    If a run had to be abandoned at shutdown, the process ends here (``os._exit``) because a
    worker thread cannot be stopped and would hold the interpreter open.
    """
    daemon = Daemon(settings, engine, wiring, streams, mirrors)
    code = daemon.run()
    if daemon.abandoned:
        logging.shutdown()
        os._exit(code)
    return code
