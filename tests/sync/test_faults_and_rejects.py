"""Bad input ends in a correct mirror or a clear error: faults, failed runs, rejected items."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.errors import ApiError
from korsync.fake_api import Faults, Simulator
from korsync.models import Order, RejectedRecord, SyncRun
from korsync.sync import state
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import assert_orders_mirrored, make_client, make_sim

OPTIONS = OrdersOptions()
TRANSIENT = {"429": 0.04, "500": 0.04, "502": 0.03, "503": 0.03, "504": 0.03,
             "truncated": 0.04, "invalid_json": 0.04, "repeat_page": 0.05}  # fmt: skip


def _until_success(attempt: Any, tries: int = 8) -> int:
    """Run ``attempt`` the way the daemon does, again after a failed pass; returns failures."""
    errors: list[str] = []
    for _ in range(tries):
        try:
            attempt()
        except ApiError as exc:  # a clear, recorded failure; the next pass resumes
            errors.append(str(exc))
        else:
            return len(errors)
    raise AssertionError(f"no pass succeeded in {tries}: {errors}")


def test_transient_faults_converge_to_the_exact_source(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """With 429s, 5xx, truncated and invalid bodies and repeated pages, passes end exact."""
    sim = make_sim(orders=400, faults=Faults(rates=dict(TRANSIENT), retry_after=0))
    with make_client(sim, max_attempts=12) as client:
        _until_success(lambda: sync_orders(client, sessions, OPTIONS))
        sim.add_orders(70, created_at=sim.clock.now())
        _until_success(lambda: sync_orders(client, sessions, OPTIONS))
    sim.faults = Faults()
    assert_orders_mirrored(engine, sim)
    with Session(engine) as session:
        failed = session.scalars(select(SyncRun).where(SyncRun.status != "succeeded")).all()
    assert all(run.error for run in failed)


def test_failed_run_is_recorded_and_resumed(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """When the API fails after some pages, those pages stay committed with a watermark no
    higher than their newest order, the run is 'failed' with a clear error, and a new pass
    converges."""
    sim = make_sim(orders=300)
    calls = {"n": 0}

    def after_two_pages(request: httpx.Request) -> httpx.Response | None:
        calls["n"] += 1
        return httpx.Response(503, text="down") if calls["n"] > 2 else None

    gate = _Gate(sim, after_two_pages)
    with (
        make_client(sim, transport=gate, max_attempts=2) as client,
        pytest.raises(ApiError, match="503"),
    ):
        sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        run = session.scalars(select(SyncRun)).one()
        newest = session.scalar(select(func.max(Order.created_at)))
        watermark = state.watermark(session, "orders")
        count = session.scalar(select(func.count()).select_from(Order))
    assert (
        run.status == "failed"
        and run.error
        and "503" in run.error
        and "/v1/booking/orders" in run.error
    )
    assert count == 100 and watermark == newest
    with make_client(sim) as client:
        sync_orders(client, sessions, OPTIONS)
    assert_orders_mirrored(engine, sim)


class _Gate(httpx.BaseTransport):
    """The simulator, except where ``gate`` answers instead (a server-side outage)."""

    def __init__(self, sim: Simulator, gate: Any) -> None:
        self.inner, self.gate = httpx.WSGITransport(app=sim.wsgi), gate

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.gate(request) or self.inner.handle_request(request)


def test_unexpected_enum_and_unknown_fields_are_kept(
    engine: Engine, sim: Simulator, sessions: sessionmaker[Session]
) -> None:
    """An unknown enum value is stored as sent and unknown fields stay in raw."""
    sim.inject("bad_enum", count=1, path_prefix="/v1/booking/orders")
    sim.inject("unknown_field", count=1, path_prefix="/v1/booking/orders")
    with make_client(sim) as client:
        sync_orders(client, sessions, OPTIONS)
    known = {"confirmed", "cancelled"}
    with Session(engine) as session:
        statuses = set(session.scalars(select(Order.status)))
        raws = [o.raw for o in session.scalars(select(Order))]
    expected = {k for o in sim.orders_truth() for k in o}
    assert statuses - known, "the unexpected status was not kept"
    assert any(set(raw or {}) - expected for raw in raws), "the unknown field was dropped"


def test_unmappable_items_become_rejected_records(
    engine: Engine, sim: Simulator, sessions: sessionmaker[Session]
) -> None:
    """An item that cannot be mapped is kept in rejected_records with the reason and payload;
    the others are mirrored, and seeing it again counts instead of duplicating."""
    orders: list[Any] = [o for _, o in zip(range(3), sim.orders_truth(), strict=False)]
    orders[1] = {**orders[1], "createdAt": "yesterday"}
    orders.append("not an object")
    body = {"@id": "/v1/booking/orders", "@type": "Collection", "totalItems": 4, "member": orders}

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"Content-Type": "application/ld+json"})

    for _ in range(2):
        with make_client(sim, transport=httpx.MockTransport(serve)) as client:
            run = sync_orders(client, sessions, OPTIONS)
        assert run.totals.rejects == 2
    with Session(engine) as session:
        rejects = {r.reason: r for r in session.scalars(select(RejectedRecord))}
        mirrored = set(session.scalars(select(Order.id)))
    bad = next(r for reason, r in rejects.items() if "createdAt" in reason)
    assert bad.raw["id"] == orders[1]["id"] and bad.times_seen == 2 and bad.stream == "orders"
    assert any("not an object" in reason for reason in rejects)
    assert mirrored == {uuid.UUID(orders[0]["id"]), uuid.UUID(orders[2]["id"])}
    json.dumps([r.raw for r in rejects.values()])  # payloads are stored as JSON
    assert dt.datetime.now(dt.UTC) >= bad.last_seen_at >= bad.first_seen_at
