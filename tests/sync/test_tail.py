"""Tail mode of the orders stream: polls between sweeps read from the newest order on (one
request when nothing is new), sweeps re-read the overlap and catch late commits; the tail kept
in ``sync_state.cursor`` is distrusted when it is missing, malformed or points elsewhere."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Order, SyncRun
from korsync.sync import state, tail
from korsync.sync.orders import ORDERS_PATH, OrdersOptions, sync_orders
from tests.support.sync import NOW, CountingTransport, assert_orders_mirrored, make_client, make_sim

POLL = OrdersOptions(sweep_interval=dt.timedelta(hours=1))  # the first pass sweeps, then polls
SWEEP = OrdersOptions(sweep_interval=dt.timedelta(0))


def _order_requests(transport: CountingTransport) -> int:
    return sum(1 for r in transport.requests if r.url.path == ORDERS_PATH)


def _mirrored(engine: Engine, order: dict[str, Any]) -> bool:
    with Session(engine) as session:
        return session.get(Order, uuid.UUID(order["id"])) is not None


def test_idle_poll_costs_one_request(
    engine: Engine,
    client: ApiClient,
    transport: CountingTransport,
    sessions: sessionmaker[Session],
) -> None:
    """After the first pass (a sweep), a pass with nothing new is a poll of one request from
    the newest order on, writing no row."""
    first = sync_orders(client, sessions, POLL)
    assert first.details["kind"] == "sweep"
    before = _order_requests(transport)
    run = sync_orders(client, sessions, POLL)
    assert _order_requests(transport) - before == 1
    assert run.details["kind"] == "poll"
    assert "createdAt[after]" in run.details["query"]
    assert (run.totals.rows.inserted, run.totals.rows.updated) == (0, 0)


def test_new_orders_arrive_after_one_poll(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Orders created after the last pass — in the newest order's own second and later — are
    mirrored by the next poll."""
    sync_orders(client, sessions, POLL)
    newest = max(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    same_second = sim.add_orders(2, created_at=newest)
    later = sim.add_orders(3, created_at=newest + dt.timedelta(seconds=5))
    run = sync_orders(client, sessions, POLL)
    assert run.details["kind"] == "poll"
    assert all(_mirrored(engine, o) for o in [*same_second, *later])
    assert_orders_mirrored(engine, sim)


def test_late_commit_inside_the_overlap_is_caught_by_the_sweep(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order appearing with a createdAt before the tail is not read by polls, but the next
    sweep — from the last sweep's watermark minus the overlap — mirrors it, even after polls
    moved the watermark on."""
    sync_orders(client, sessions, POLL)
    newest = max(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    sim.add_orders(4, created_at=newest + dt.timedelta(minutes=2))
    sync_orders(client, sessions, POLL)  # the polls move the tail and watermark on
    (late,) = sim.add_orders(1, created_at=newest - dt.timedelta(minutes=3))
    assert sync_orders(client, sessions, POLL).details["kind"] == "poll"
    assert not _mirrored(engine, late)
    run = sync_orders(client, sessions, SWEEP)
    assert run.details["kind"] == "sweep"
    assert _mirrored(engine, late)
    assert_orders_mirrored(engine, sim)


def test_sweep_is_due_by_its_interval() -> None:
    """A sweep is due without a tail or a sweep, once the interval has passed since the last
    one, when the last sweep is in the future (the clock moved back), and always with 0."""
    now = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    every = dt.timedelta(minutes=5)
    swept = tail.Tail(tail=now, swept_at=now - dt.timedelta(minutes=1), swept_to=now)
    assert not swept.sweep_due(now, every)
    assert swept.sweep_due(now + dt.timedelta(minutes=4), every)
    assert swept.sweep_due(now - dt.timedelta(minutes=2), every)
    assert swept.sweep_due(now, dt.timedelta(0))
    assert tail.Tail().sweep_due(now, every)
    assert tail.Tail(tail=now).sweep_due(now, every)


@pytest.mark.parametrize(
    "cursor",
    [None, {}, {"tail": 17, "swept_at": ["x"]}, {"tail": "soon", "swept_at": "yesterday"},
     {"tail": "2026-01-01T00:00:00", "swept_at": "2026-01-01T00:00:00"},  # no zone
     {"tail": "x" * 100_000, "swept_at": "9" * 5000}],
)  # fmt: skip
def test_missing_or_malformed_cursor_makes_the_pass_sweep(
    engine: Engine,
    sim: Simulator,
    client: ApiClient,
    sessions: sessionmaker[Session],
    cursor: dict[str, Any] | None,
) -> None:
    """A tail that is absent, not text, not a date-time, without a zone or huge is not trusted:
    the pass sweeps, and the mirror stays exact."""
    sync_orders(client, sessions, POLL)
    with sessions.begin() as session:
        state.save(session, "orders", cursor={"replaced": True})
        saved = state.load(session, "orders")
        assert saved is not None
        saved.cursor = cursor
    run = sync_orders(client, sessions, POLL)
    assert run.details["kind"] == "sweep"
    assert_orders_mirrored(engine, sim)


def test_tail_in_the_future_still_sees_new_orders(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order stamped a year ahead does not push the tail past the pass's start: the polls
    after it still read orders created now."""
    sync_orders(client, sessions, POLL)
    sim.add_orders(1, created_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=365))
    sync_orders(client, sessions, POLL)
    with Session(engine) as session:
        kept = tail.load(session).tail
    assert kept is not None and kept <= dt.datetime.now(dt.UTC)
    fresh = sim.add_orders(2, created_at=dt.datetime.now(dt.UTC))
    sync_orders(client, sessions, POLL)
    assert all(_mirrored(engine, o) for o in fresh)


def test_date_only_filters_send_nothing_between_sweeps(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """When the API takes only dates, a poll would re-read the whole day: once that is known,
    passes between sweeps send no request, and the next sweep mirrors what arrived."""
    sim = make_sim(created_filters="date")
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        sync_orders(client, sessions, POLL)  # first pass: a sweep, unfiltered
        sync_orders(client, sessions, POLL)  # a time filter refused: probed, read by day
        before = len(transport.requests)
        quiet = sync_orders(client, sessions, POLL)
        assert len(transport.requests) == before
        assert quiet.details["kind"] == "none"
        sim.add_orders(2, created_at=NOW)
        assert sync_orders(client, sessions, SWEEP).details["kind"] == "sweep"
    assert_orders_mirrored(engine, sim)
    with Session(engine) as session:
        runs = session.execute(
            select(SyncRun.status, SyncRun.details).where(SyncRun.stream == "orders")
        ).all()
    # Idle passes share a row (``run_records``), which counts them.
    assert {status for status, _ in runs} == {"succeeded"}
    assert sum((details or {}).get("idle_runs", 1) for _, details in runs) == 4
