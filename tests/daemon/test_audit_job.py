"""The daemon's ``audit`` job, in-process against the simulator: it heals what the orders
stream missed, and its gauges say how many windows still differ and when the last clean audit
finished; ``status`` shows the same."""

from __future__ import annotations

import datetime as dt
import math
import threading

import httpx
from sqlalchemy import Engine

from korsync import status
from korsync.api.client import ApiClient, ClientOptions
from korsync.daemon.jobs import JobRunner, record_audit
from korsync.daemon.metrics import Metrics
from korsync.daemon.transport import DaemonTransport
from korsync.db.engine import make_session_factory
from korsync.fake_api import Simulator
from korsync.sync.audit import audit_orders
from korsync.sync.orders import OrdersOptions
from korsync.sync.streams import SyncOptions, run_streams
from tests.support.daemon import runs
from tests.support.upstream import ORDERS, Upstream, filtering, sample_orders


def _runner(engine: Engine, sim: Simulator) -> tuple[JobRunner, Metrics]:
    metrics, stopping = Metrics(), threading.Event()
    inner = httpx.WSGITransport(app=sim.wsgi)
    transport = DaemonTransport(metrics, stopping, max_concurrency=4, inner=inner)
    options = ClientOptions(base_url="http://korus.test", token=sim.token, adaptive=False)
    client = ApiClient(options, transport=transport)
    return JobRunner(engine, metrics, stopping, (client, SyncOptions())), metrics


def _gauge(metrics: Metrics, name: str) -> float | None:
    return metrics.registry.get_sample_value(name, {"account": "default"})


def test_the_audit_job_heals_and_sets_its_gauges(engine: Engine, sim: Simulator) -> None:
    """After the orders job, late commits far back are healed by the audit job: a success,
    no window mismatched, and the last clean audit's time set; ``status`` says so."""
    jobs, metrics = _runner(engine, sim)
    jobs.run("orders")
    first = min(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    sim.add_orders(2, created_at=first + dt.timedelta(days=3))
    before = dt.datetime.now(dt.UTC).timestamp()
    jobs.run("audit")
    assert [run.status for run in runs(engine, "audit")] == ["succeeded"]
    assert _gauge(metrics, "korsync_audit_windows_mismatched") == 0
    assert (_gauge(metrics, "korsync_audit_last_clean_timestamp_seconds") or 0) >= before - 1
    report = status.collect(engine)
    assert report.audits.last_clean_at is not None and report.audits.differing == ()
    assert "audit: last clean " in status.render(report)
    assert report.as_dict()["audit"]["differing"] == []


def test_the_gauges_restored_say_none_clean_then_name_differing_windows(
    engine: Engine,
) -> None:
    """Restored from a database without audits: no clean audit (NaN), nothing differing.
    After an audit against an API whose counts stay one too high: one window per order's hour
    is counted as mismatched, no clean audit yet, and ``status`` names each window."""
    metrics = Metrics()
    record_audit(engine, metrics)
    assert math.isnan(_gauge(metrics, "korsync_audit_last_clean_timestamp_seconds") or 0.0)
    assert _gauge(metrics, "korsync_audit_windows_mismatched") == 0
    orders = sample_orders(2)
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders, total=lambda n: n + 1 if n else 0))
    with upstream.client() as client:
        sessions = make_session_factory(engine)
        audit_orders(client, sessions, OrdersOptions(), until=dt.datetime.now(dt.UTC))
    record_audit(engine, metrics)
    assert _gauge(metrics, "korsync_audit_windows_mismatched") == 2
    assert math.isnan(_gauge(metrics, "korsync_audit_last_clean_timestamp_seconds") or 0.0)
    shown = status.render(status.collect(engine))
    assert shown.count("still differs from the API") == 2 and "last clean" not in shown


def test_a_plain_sync_does_not_run_the_audit(engine: Engine, sim: Simulator) -> None:
    """``korsync sync`` without ``--stream`` runs the sync streams, not the audit (its own
    command and daemon job)."""
    jobs, _ = _runner(engine, sim)
    client = jobs._runtime.client
    outcomes = run_streams(client, jobs.sessions, SyncOptions())
    assert "audit" not in [o.name for o in outcomes]
    assert [o.name for o in run_streams(client, jobs.sessions, SyncOptions(), ["audit"])] == [
        "audit"
    ]
