"""``sync_runs`` stays bounded: idle orders passes share one row, old runs are pruned once an
hour keeping what ``status``, the audit and other tables rely on, and ``status`` still tells
the last success and failure."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Engine, ForeignKey, Integer, MetaData, Table, Uuid, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import AuditWindow, SyncRun
from korsync.status import collect
from korsync.sync import run_records
from korsync.sync.orders import OrdersOptions, sync_orders
from korsync.sync.runner import StreamRun

POLL = OrdersOptions(sweep_interval=dt.timedelta(hours=1))  # the first pass sweeps, then polls
NOW = dt.datetime.now(dt.UTC)
OLD = NOW - run_records.RETENTION - dt.timedelta(days=5)


def _runs(engine: Engine, stream: str = "orders") -> list[SyncRun]:
    with Session(engine) as session:
        query = select(SyncRun).where(SyncRun.stream == stream).order_by(SyncRun.started_at)
        return list(session.scalars(query))


def _add_run(
    engine: Engine, status: str, started: dt.datetime, stream: str = "orders", **values: Any
) -> uuid.UUID:
    with Session(engine) as session:
        finished = None if status == "running" else started + dt.timedelta(seconds=1)
        run = SyncRun(
            stream=stream, status=status, started_at=started, finished_at=finished, **values
        )
        session.add(run)
        session.commit()
        return run.id


def _prune(engine: Engine, stream: str = "orders") -> int:
    with Session(engine) as session, session.begin():
        return run_records.prune(session, stream, NOW - run_records.RETENTION)


def test_idle_polls_share_one_row(
    engine: Engine, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A sweep that stored orders keeps its row; the idle polls after it are one row counting
    them, with the latest poll's start and end, so status reads the latest success."""
    sync_orders(client, sessions, POLL)
    polls = [sync_orders(client, sessions, POLL) for _ in range(3)]
    runs = _runs(engine)
    assert len(runs) == 2
    first, idle = runs
    assert first.rows_inserted > 0 and "idle_runs" not in (first.details or {})
    assert idle.id == polls[-1].run_id and idle.details is not None
    assert idle.details["idle_runs"] == 3 and idle.details["kind"] == "poll"
    assert idle.details["idle_since"] == _runs_start(polls[0])
    report = {s.stream: s for s in collect(engine).streams}["orders"]
    assert report.last_success_at == idle.finished_at
    assert report.last_started_at == idle.started_at and report.last_status == "succeeded"


def _runs_start(run: StreamRun) -> str:
    return run.started_at.isoformat()


def test_a_poll_that_stores_orders_ends_the_streak(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A poll that inserts orders has a row of its own; the next idle poll starts a new
    streak instead of folding into the one before the new orders."""
    sync_orders(client, sessions, POLL)
    sync_orders(client, sessions, POLL)
    sync_orders(client, sessions, POLL)
    newest = max(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    sim.add_orders(2, created_at=newest + dt.timedelta(seconds=1))
    busy = sync_orders(client, sessions, POLL)
    sync_orders(client, sessions, POLL)
    runs = _runs(engine)
    assert [(r.details or {}).get("idle_runs") for r in runs] == [None, 2, None, 1]
    assert runs[2].id == busy.run_id and runs[2].rows_inserted > 0


def test_failed_runs_are_never_folded(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """A failure keeps its row, and an idle run after it starts a new streak."""
    with StreamRun(sessions, "orders", "incremental", fold_idle=True):
        pass
    with (
        pytest.raises(RuntimeError),
        StreamRun(sessions, "orders", "incremental", fold_idle=True),
    ):
        raise RuntimeError("the API went away")
    with StreamRun(sessions, "orders", "incremental", fold_idle=True):
        pass
    runs = _runs(engine)
    assert [r.status for r in runs] == ["succeeded", "failed", "succeeded"]
    assert [(r.details or {}).get("idle_runs") for r in runs] == [1, None, 1]
    report = {s.stream: s for s in collect(engine).streams}["orders"]
    assert report.last_error == "RuntimeError: the API went away"


def test_streams_without_folding_keep_a_row_per_run(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Only streams opened with ``fold_idle`` fold (the audit's runs are its evidence)."""
    for _ in range(2):
        with StreamRun(sessions, "catalogue", "full"):
            pass
    assert len(_runs(engine, "catalogue")) == 2


@pytest.mark.parametrize(
    "details",
    [
        None,
        {"idle_runs": "3"},
        {"idle_runs": 0},
        {"idle_runs": -2},
        {"idle_runs": True},
        {"idle_runs": 10**12},
        ["idle_runs"],
    ],
    ids=["missing", "text", "zero", "negative", "boolean", "huge", "not-an-object"],
)
def test_a_previous_row_not_marked_idle_is_left_alone(
    engine: Engine, sessions: sessionmaker[Session], details: Any
) -> None:
    """A previous run whose details do not say it was idle (missing, malformed, out of range)
    keeps its row; the new idle run starts its own streak."""
    earlier = _add_run(engine, "succeeded", NOW - dt.timedelta(seconds=30), details=details)
    with StreamRun(sessions, "orders", "incremental", fold_idle=True):
        pass
    runs = _runs(engine)
    assert runs[0].id == earlier
    assert runs[1].details == {"idle_runs": 1}


@pytest.fixture
def history_table(engine: Engine) -> Iterator[Table]:
    """A table another migration could add: rows naming a run by a foreign key (under a name
    other than ``run_id``)."""
    history = Table(
        "orders_history_test",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("changed_by", Uuid, ForeignKey(SyncRun.__table__.c.id)),
    )
    history.create(engine)
    yield history
    history.drop(engine)


def test_prune_keeps_what_is_relied_on(engine: Engine, history_table: Table) -> None:
    """Old runs go, except the stream's latest, last success and last failure, runs still
    running, and runs whose ids audit_windows or another table holds; recent runs stay."""
    gone = [
        _add_run(engine, s, OLD + dt.timedelta(minutes=i))
        for i, s in enumerate(("succeeded", "failed", "interrupted", "succeeded"))
    ]
    running = _add_run(engine, "running", OLD)
    in_audit = _add_run(engine, "succeeded", OLD - dt.timedelta(days=1))
    in_history = _add_run(engine, "succeeded", OLD - dt.timedelta(days=2))
    last_failure = _add_run(engine, "failed", OLD + dt.timedelta(hours=1))
    last_success = _add_run(engine, "succeeded", NOW - dt.timedelta(minutes=1), rows_inserted=1)
    latest = _add_run(engine, "interrupted", NOW)
    with Session(engine) as session, session.begin():
        session.add(
            AuditWindow(
                run_id=in_audit,
                collection="orders",
                granularity="day",
                window_start=OLD,
                window_end=OLD + dt.timedelta(days=1),
                api_count=1,
                mirror_count=1,
                status="match",
                checked_at=OLD,
            )
        )
        session.execute(history_table.insert().values(id=1, changed_by=in_history))
    assert _prune(engine) == len(gone)
    kept = {r.id for r in _runs(engine)}
    assert kept == {running, in_audit, in_history, last_failure, last_success, latest}
    report = {s.stream: s for s in collect(engine).streams}["orders"]
    assert report.last_error_at is not None and report.last_status == "interrupted"


def test_prune_is_per_stream_and_spares_the_audit(engine: Engine) -> None:
    """Pruning one stream leaves the others' runs; the audit's runs are never pruned."""
    other = _add_run(engine, "succeeded", OLD, stream="catalogue")
    _add_run(engine, "succeeded", NOW, stream="catalogue")
    audits = [_add_run(engine, "succeeded", OLD + dt.timedelta(hours=i), "audit") for i in (1, 2)]
    _add_run(engine, "succeeded", OLD)
    _add_run(engine, "succeeded", NOW)
    assert _prune(engine) == 1
    assert _prune(engine, "audit") == 0
    assert other in {r.id for r in _runs(engine, "catalogue")}
    assert [r.id for r in _runs(engine, "audit")] == audits


def test_closing_a_run_prunes_once_an_hour(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """The first run of a stream in an hour prunes its old runs; a second in the same hour
    does not look again."""
    old = _add_run(engine, "succeeded", OLD)
    with StreamRun(sessions, "catalogue", "full"):
        pass
    with StreamRun(sessions, "orders", "incremental"):
        pass
    assert old not in {r.id for r in _runs(engine)}
    again = _add_run(engine, "succeeded", OLD)
    with StreamRun(sessions, "orders", "incremental"):
        pass
    assert again in {r.id for r in _runs(engine)}


def test_prune_due_when_the_hour_changes() -> None:
    """Due for a stream's first run, and when the run before started in another hour."""
    hour = dt.datetime(2026, 12, 2, 7, tzinfo=dt.UTC)
    before = hour + dt.timedelta(minutes=59)
    assert run_records.prune_due(None, hour)
    assert not run_records.prune_due(before, hour + dt.timedelta(minutes=59, seconds=30))
    assert run_records.prune_due(before, hour + dt.timedelta(hours=1))


@pytest.mark.postgres
def test_last_failure_is_found_by_an_index(pg_engine: Engine) -> None:
    """``status``'s lookup of a stream's last failure is an index scan, not a read of every
    later run of the stream (seq scans turned off so the tiny table does not hide it)."""
    with pg_engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        plan = conn.execute(
            text(
                "EXPLAIN SELECT * FROM sync_runs WHERE stream = 'orders' AND status = 'failed'"
                " ORDER BY started_at DESC LIMIT 1"
            )
        ).scalars()
        shown = "\n".join(plan)
    assert "ix_sync_runs_stream_status_started_at" in shown and "Sort" not in shown
