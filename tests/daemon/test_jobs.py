"""What one job does, in-process against the simulator: runs its stream and counts it, fails
clearly, stops as interrupted, and skips a stream another daemon holds."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from korsync.api.client import ApiClient, ClientOptions
from korsync.daemon import systemd
from korsync.daemon.jobs import JobRunner
from korsync.daemon.metrics import Metrics
from korsync.daemon.transport import DaemonTransport
from korsync.db.engine import make_engine
from korsync.db.locks import stream_lock
from korsync.fake_api import Simulator
from korsync.sync import streams
from korsync.sync.streams import SyncOptions
from tests.support.daemon import NotifySocket, runs, wait_for


def _runner(
    engine: Engine, sim: Simulator, inner: httpx.BaseTransport | None = None, **options: Any
) -> tuple[JobRunner, Metrics, threading.Event]:
    """A job runner whose client talks to ``sim`` in-process (or through ``inner``)."""
    metrics, stopping = Metrics(), threading.Event()
    transport = DaemonTransport(
        metrics, stopping, max_concurrency=4, inner=inner or httpx.WSGITransport(app=sim.wsgi)
    )
    defaults: dict[str, Any] = {"base_url": "http://korus.test", "token": sim.token}
    client = ApiClient(
        ClientOptions(**{**defaults, "adaptive": False, **options}), transport=transport
    )
    return JobRunner(engine, metrics, stopping, (client, SyncOptions())), metrics, stopping


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    """A sample of the single account's (``account="default"``) series."""
    return metrics.registry.get_sample_value(name, {"account": "default", **labels}) or 0.0


def test_job_runs_its_stream_and_counts_it(engine: Engine, sim: Simulator) -> None:
    """A job runs its stream, which is recorded as a success, and the metrics count it."""
    jobs, metrics, _ = _runner(engine, sim)
    jobs.run("orders")
    assert [run.status for run in runs(engine, "orders")] == ["succeeded"]
    assert _value(metrics, "korsync_stream_runs_total", stream="orders", status="succeeded") == 1
    assert _value(metrics, "korsync_stream_rows_total", stream="orders", change="inserted") > 0
    assert _value(metrics, "korsync_http_requests_total", code="200") > 0
    assert _value(metrics, "korsync_stream_last_success_timestamp_seconds", stream="orders") > 0
    assert _value(metrics, "korsync_stream_lag_seconds", stream="orders") > 0
    assert jobs.status_line().startswith("orders succeeded at ")


def test_an_audit_meeting_an_orders_run_waits_for_its_end(engine: Engine, sim: Simulator) -> None:
    """The audit needs the orders stream's lock too: held elsewhere for half a second, the
    audit waits for it and runs, rather than skip its turn (a day, by default)."""
    theirs = make_engine(engine.url)
    jobs, _, _ = _runner(engine, sim)
    jobs.run("orders")
    holder = contextlib.ExitStack()
    assert holder.enter_context(stream_lock(theirs, "orders"))
    release = threading.Timer(0.5, holder.close)
    release.start()
    try:
        jobs.run("audit")
    finally:
        release.join()
        theirs.dispose()
    assert [run.status for run in runs(engine, "audit")] == ["succeeded"]
    assert not jobs.waiting("audit")


def test_an_audit_kept_from_the_orders_lock_asks_for_a_turn_soon(
    engine: Engine, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its wait, the audit is skipped and marked waiting (the daemon tries it again in
    ``KORSYNC_RETRY_AFTER``); a stream skipped because another process runs it is not."""
    monkeypatch.setattr(streams, "AUDIT_LOCK_WAIT_S", 0.2)
    theirs = make_engine(engine.url)
    jobs, metrics, _ = _runner(engine, sim)
    try:
        with stream_lock(theirs, "orders") as held:
            assert held
            jobs.run("audit")
            jobs.run("orders")
    finally:
        theirs.dispose()
    assert runs(engine, "audit") == []
    assert jobs.waiting("audit") and not jobs.waiting("orders")
    assert _value(metrics, "korsync_stream_runs_total", stream="audit", status="skipped") == 1
    jobs.run("audit")
    assert not jobs.waiting("audit")


def test_api_outage_fails_the_run_clearly_and_the_next_recovers(
    engine: Engine, sim: Simulator
) -> None:
    """With the API unreachable a run fails (recorded, counted, not raised); the next recovers."""
    refused = httpx.HTTPTransport(retries=0)
    jobs, metrics, _ = _runner(
        engine, sim, refused, base_url="http://127.0.0.1:1", max_attempts=2,
        backoff_initial_s=0.01, backoff_max_s=0.01, backoff_jitter_s=0.01,
    )  # fmt: skip
    jobs.run("orders")
    [failed] = runs(engine, "orders")
    assert failed.status == "failed" and "ConnectError" in (failed.error or "")
    assert "failing: orders" in jobs.status_line()
    assert _value(metrics, "korsync_stream_errors_total", stream="orders") == 1
    assert _value(metrics, "korsync_http_retries_total") == 2
    healthy, _, _ = _runner(engine, sim)
    jobs.replace_runtime((healthy._runtime.client, SyncOptions()))
    jobs.run("orders")
    assert [run.status for run in runs(engine, "orders")] == ["failed", "succeeded"]
    assert "failing" not in jobs.status_line()


def test_shutdown_mid_run_records_it_as_interrupted_never_a_success(
    engine: Engine, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopping during a run ends it after its last committed page, recorded as interrupted,
    and logged at INFO: a stop asked for is no warning for ``journalctl -p warning``."""

    class StopAfterThree(httpx.BaseTransport):
        """The simulator, with shutdown beginning as the third request is answered."""

        def __init__(self) -> None:
            self.inner, self.sent = httpx.WSGITransport(app=sim.wsgi), 0
            self.stopping = threading.Event()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.sent += 1
            if self.sent == 3:
                self.stopping.set()
            return self.inner.handle_request(request)

    inner = StopAfterThree()
    jobs, metrics, inner.stopping = _runner(engine, sim, inner, page_size=5)
    with caplog.at_level(logging.INFO, logger="korsync"):
        jobs.run("orders")
    assert not [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name != "korsync.api.origin"
    ]
    assert any("run interrupted" in r.getMessage() for r in caplog.records)
    [run] = runs(engine, "orders")
    assert run.status == "interrupted" and run.finished_at is not None
    assert run.pages >= 1
    assert _value(metrics, "korsync_stream_runs_total", stream="orders", status="interrupted") == 1


def test_a_run_ending_after_stop_leaves_systemd_status_at_stopping(
    engine: Engine, sim: Simulator, notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run still in flight when the daemon stops sends no ``STATUS=`` after ``STOPPING=1``."""
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.path)

    class StopDuringRun(httpx.BaseTransport):
        """The simulator, with the daemon told to stop as the second request is answered."""

        def __init__(self) -> None:
            self.inner, self.sent = httpx.WSGITransport(app=sim.wsgi), 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.sent += 1
            if self.sent == 2:
                jobs.stop()
            return self.inner.handle_request(request)

    jobs, metrics, _ = _runner(engine, sim, StopDuringRun(), page_size=5)
    jobs.run("orders")
    assert _value(metrics, "korsync_stream_runs_total", stream="orders", status="interrupted") == 1
    systemd.notify("STATUS=end of test")  # datagrams keep their order: all before it are in
    wait_for(lambda: "STATUS=end of test" in notify_socket.messages(), "the last datagram")
    messages = notify_socket.messages()
    assert messages == ["STOPPING=1", "STATUS=stopping", "STATUS=end of test"]
    assert jobs.status_line().startswith("orders interrupted at ")


def test_job_skips_a_stream_another_process_is_running(engine: Engine, sim: Simulator) -> None:
    """A job whose stream's lock another process holds (an advisory lock on PostgreSQL, a file
    lock on SQLite) skips the run and says so; once free, the stream runs."""
    theirs = make_engine(engine.url)
    try:
        jobs, metrics, _ = _runner(engine, sim)
        with stream_lock(theirs, "orders") as held:
            assert held
            jobs.run("orders")
        assert runs(engine, "orders") == []
        assert _value(metrics, "korsync_stream_runs_total", stream="orders", status="skipped") == 1
        assert "another korsync process holds its lock" in jobs.status_line()
        jobs.run("orders")  # the lock is free again
        assert [run.status for run in runs(engine, "orders")] == ["succeeded"]
    finally:
        theirs.dispose()
