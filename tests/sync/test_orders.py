"""The incremental orders stream against the simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Order, Reservation, SyncRun
from korsync.sync import state
from korsync.sync.documents import sync_documents
from korsync.sync.orders import OrdersOptions, sync_orders
from korsync.sync.reservations import sync_reservations
from tests.support.sync import NOW, CountingTransport, assert_orders_mirrored

OPTIONS = OrdersOptions(sweep_interval=dt.timedelta(0))  # every pass sweeps the overlap


def test_first_sync_mirrors_every_order(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """After one pass the mirror equals the source, and the run is recorded as a success."""
    run = sync_orders(client, sessions, OPTIONS)
    assert_orders_mirrored(engine, sim)
    assert run.totals.rows.inserted > sim.order_count()  # orders plus items and tickets
    with Session(engine) as session:
        recorded = session.scalars(select(SyncRun)).one()
        watermark = state.watermark(session, "orders")
    assert (recorded.status, recorded.pages) == ("succeeded", run.totals.pages)
    newest = max(dt.datetime.fromisoformat(o["createdAt"]) for o in sim.orders_truth())
    assert watermark == newest


def test_same_second_orders_after_a_sync_are_caught(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Orders created later in the watermark's own second, and a burst of 80 straddling page
    boundaries, are all mirrored, with no duplicates."""
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        watermark = state.watermark(session, "orders")
    assert watermark is not None
    sim.add_orders(3, created_at=watermark)  # same second as the newest mirrored order
    sim.add_orders(80, created_at=watermark + dt.timedelta(seconds=1))
    sync_orders(client, sessions, OPTIONS)
    assert_orders_mirrored(engine, sim)


def test_orders_arriving_mid_walk_are_not_lost(
    engine: Engine,
    sim: Simulator,
    client: ApiClient,
    transport: CountingTransport,
    sessions: sessionmaker[Session],
) -> None:
    """Orders created while a walk is on page 2 are mirrored by that walk or the next one."""
    transport.before[2] = lambda: sim.add_orders(60, created_at=NOW)
    sync_orders(client, sessions, OPTIONS)
    sync_orders(client, sessions, OPTIONS)
    assert_orders_mirrored(engine, sim)


def test_late_committed_order_within_the_overlap_is_caught(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order that appears upstream with a createdAt earlier than the watermark (a late
    commit) is read again thanks to the overlap."""
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        watermark = state.watermark(session, "orders")
    assert watermark is not None
    (late,) = sim.add_orders(1, created_at=watermark - dt.timedelta(minutes=3))
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        assert session.get(Order, uuid.UUID(late["id"])) is not None
    assert_orders_mirrored(engine, sim)


def test_watermark_never_passes_run_start_minus_margin(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Orders stamped in the future of the local clock do not drag the watermark past
    the run's start minus the safety margin."""
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    sim.add_orders(2, created_at=future)
    started = dt.datetime.now(dt.UTC)
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        watermark = state.watermark(session, "orders")
    assert watermark is not None
    assert watermark <= started - OPTIONS.safety_margin + dt.timedelta(seconds=1)


def test_noop_incremental_sync_costs_one_request(
    engine: Engine,
    client: ApiClient,
    transport: CountingTransport,
    sessions: sessionmaker[Session],
) -> None:
    """With nothing new upstream, a second pass makes one request and changes no row."""
    sync_orders(client, sessions, OPTIONS)
    before = len(transport.requests)
    run = sync_orders(client, sessions, OPTIONS)
    assert len(transport.requests) - before == 1
    assert (run.totals.rows.inserted, run.totals.rows.updated) == (0, 0)
    assert "createdAt[strictly_after]" in run.details["query"]
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() > 0


def test_noop_reservations_and_documents_cost_at_most_two_requests(
    client: ApiClient, transport: CountingTransport, sessions: sessionmaker[Session]
) -> None:
    """Once mirrored, a pass of reservations or documents with nothing new costs at most two
    requests each (reservations stop at the first settled page; documents stay in budget)."""
    sync_orders(client, sessions, OPTIONS)
    sync_reservations(client, sessions)
    for stream in (sync_reservations, lambda c, s: sync_documents(c, s, max_requests=2)):
        before = len(transport.requests)
        stream(client, sessions)
        assert len(transport.requests) - before <= 2


def test_open_reservations_are_read_again(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A reservation still open at the last pass and released since is updated by the next,
    even when newer reservations were made in between."""
    opened = _reserve(sim)
    sync_reservations(client, sessions)
    sim.release_reservation(opened["id"])
    for _ in range(60):
        _reserve(sim)
    sync_reservations(client, sessions)
    with Session(engine) as session:
        stored = session.get(Reservation, uuid.UUID(opened["id"]))
    assert stored is not None and stored.status == "released"


def _reserve(sim: Simulator) -> dict[str, Any]:
    """Reserve one offer through the API's _bulk endpoint, as a distributor would."""
    offers = sim.catalogue_truth()["offers"]
    offer = next(o for o in offers if all(t["dateAccess"] for t in o["tickets"]))
    headers = {"Authorization": f"Bearer {sim.token}", "Content-Type": "application/ld+json"}
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi), base_url="http://k") as http:
        response = http.post(
            "/v1/booking/reservations/_bulk",
            json={"items": [{"offer": offer["@id"], "quantity": 1}]},
            headers=headers,
        )
    response.raise_for_status()
    reservation: dict[str, Any] = response.json()["reservations"][0]
    return reservation
