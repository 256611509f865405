"""The orders audit against the simulator, on SQLite and PostgreSQL: a clean mirror costs one
request per month, and each divergence (late commits far behind the watermark, orders gone
upstream, orders marked deleted that come back, ties served in a new order on each request)
is healed to the simulator's ground truth, with its evidence in ``audit_windows``."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import AuditWindow, Order, SyncRun
from korsync.sync.audit import audit_orders
from korsync.sync.audit.windows import months
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import CountingTransport, assert_orders_mirrored, make_client, make_sim

OPTIONS = OrdersOptions()


def _evidence(engine: Engine) -> list[AuditWindow]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditWindow).order_by(AuditWindow.checked_at)))


def _live_ids(engine: Engine) -> set[str]:
    with Session(engine) as session:
        query = select(Order.id).where(Order.deleted_at.is_(None))
        return {str(order_id) for order_id in session.scalars(query)}


def _truth_ids(sim: Simulator) -> set[str]:
    return {order["id"] for order in sim.orders_truth()}


def test_a_clean_mirror_costs_one_request_per_month(
    engine: Engine,
    sim: Simulator,
    client: ApiClient,
    transport: CountingTransport,
    sessions: sessionmaker[Session],
) -> None:
    """After a sync, the audit counts each month once (plus one request for the first order),
    finds every one equal, writes nothing but its evidence, and is recorded clean."""
    sync_orders(client, sessions, OPTIONS)
    before = len(transport.requests)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean and outcome.since is not None and outcome.until is not None
    expected = len(months(outcome.since, outcome.until))
    assert len(transport.requests) - before == 1 + expected
    rows = _evidence(engine)
    assert [r.status for r in rows] == ["match"] * expected
    created = [dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth()]
    assert outcome.until == max(created)  # the watermark: its own second is still open
    assert sum(r.api_count for r in rows) == sum(c < outcome.until for c in created)
    assert (rows[0].window_start, rows[-1].window_end) == (outcome.since, outcome.until)
    assert outcome.run.totals.pages == 0
    with Session(engine) as session:
        run = session.scalars(select(SyncRun).where(SyncRun.stream == "audit")).one()
    assert (run.status, (run.details or {}).get("differing")) == ("succeeded", [])


def test_late_commits_far_behind_the_watermark_are_inserted(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Orders committed upstream with a createdAt months behind the watermark (beyond any
    overlap or reconcile window) are found by the counts, narrowed to their hour, inserted,
    and the window recorded healed."""
    sync_orders(client, sessions, OPTIONS)
    old = min(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    late_at = old + dt.timedelta(days=40, minutes=7)
    late = sim.add_orders(3, created_at=late_at)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean and len(outcome.healed) == 1
    assert_orders_mirrored(engine, sim)
    (healed,) = [r for r in _evidence(engine) if r.status == "healed"]
    assert healed.window_start <= late_at < healed.window_end
    assert healed.granularity == "hour"
    assert (healed.api_count - healed.mirror_count, healed.inserted) == (3, 3)
    assert healed.healed_api_count == healed.healed_mirror_count
    assert {o["id"] for o in late} <= _live_ids(engine)
    split = [r for r in _evidence(engine) if r.status == "split"]
    assert [r.granularity for r in split] == ["month", "day"]


def test_an_order_gone_upstream_is_marked_deleted_not_removed(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order the mirror holds that the API no longer returns in its window gets
    ``deleted_at``; the row stays, and the mirror's live orders equal the ground truth."""
    sync_orders(client, sessions, OPTIONS)
    with sessions.begin() as session:
        template = session.scalars(select(Order).order_by(Order.created_at).limit(1)).one()
        assert template.created_at is not None
        ghost_at = template.created_at + dt.timedelta(days=3)
        ghost = Order(id=uuid.uuid4(), created_at=ghost_at, raw={}, synced_at=ghost_at)
        session.add(ghost)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean
    assert _live_ids(engine) == _truth_ids(sim)
    with Session(engine) as session:
        kept = session.get(Order, ghost.id)
    assert kept is not None and kept.deleted_at is not None
    (healed,) = [r for r in _evidence(engine) if r.status == "healed"]
    assert (healed.api_count, healed.mirror_count - healed.api_count) == (healed.api_count, 1)
    assert healed.marked_deleted == 1 and healed.inserted == 0
    assert outcome.run.totals.deleted == 1


def test_an_order_marked_deleted_that_comes_back_is_live_again(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order marked deleted that the API returns again (a sync or the audit's re-walk
    reads it) has ``deleted_at`` cleared."""
    sync_orders(client, sessions, OPTIONS)
    some = next(iter(_truth_ids(sim)))
    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session, session.begin():
        session.execute(update(Order).where(Order.id == uuid.UUID(some)).values(deleted_at=now))
    assert some not in _live_ids(engine)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean and len(outcome.healed) == 1
    assert _live_ids(engine) == _truth_ids(sim)
    with Session(engine) as session:
        marked = session.scalar(select(func.count()).where(Order.deleted_at.is_not(None)))
    assert marked == 0


def test_orders_deleted_upstream_are_marked_deleted(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Two old orders deleted upstream after the sync: the audit marks exactly those, the
    mirror's live orders equal the ground truth, and each window says what it marked."""
    sync_orders(client, sessions, OPTIONS)
    truth = list(sim.orders_truth())
    gone = {truth[5]["id"], truth[90]["id"]}
    for order_id in gone:
        sim.delete_order(order_id)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean and len(outcome.healed) == 2
    assert _live_ids(engine) == _truth_ids(sim)
    with Session(engine) as session:
        marked = session.scalars(select(Order.id).where(Order.deleted_at.is_not(None))).all()
    assert {str(m) for m in marked} == gone
    healed = [r for r in _evidence(engine) if r.status == "healed"]
    assert [(r.marked_deleted, r.mirror_count - r.api_count) for r in healed] == [(1, 1)] * 2


def test_late_ties_served_in_a_new_order_each_request_are_all_inserted(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """120 orders committed late into one old second, while the API serves ties in a new order
    on every request: the re-walk of their hour is repeated until all were read; the mirror
    equals the ground truth and nothing is marked deleted."""
    sync_orders(client, sessions, OPTIONS)
    old = min(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    sim.add_orders(120, created_at=old + dt.timedelta(days=20))
    sim.ties = random.Random(11)
    outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean
    assert_orders_mirrored(engine, sim)
    (healed,) = [r for r in _evidence(engine) if r.status == "healed"]
    assert (healed.inserted, healed.marked_deleted) == (120, 0)


def test_with_date_only_filters_windows_are_whole_days(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """An API whose createdAt filters take only dates: the audit counts whole days (the range
    cut at midnights), heals a late commit at day granularity, and ends exact."""
    sim = make_sim(created_filters="date")
    with make_client(sim) as client:
        sync_orders(client, sessions, OPTIONS)
        old = min(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
        sim.add_orders(2, created_at=old + dt.timedelta(days=30, hours=5))
        outcome = audit_orders(client, sessions, OPTIONS)
    assert outcome.clean and len(outcome.healed) == 1
    assert_orders_mirrored(engine, sim)
    rows = _evidence(engine)
    assert {r.granularity for r in rows if r.status == "healed"} == {"day"}
    assert all(r.window_start.time() == dt.time() for r in rows)
