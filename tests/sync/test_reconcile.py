"""Changes after creation: the reconcile pass and the documents stream."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Order, OrderDocument, OrderItemTicket
from korsync.sync.documents import sync_documents
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders
from tests.support.sync import assert_orders_mirrored, make_sim, open_ticket

OPTIONS = OrdersOptions()


@pytest.fixture
def sim() -> Simulator:
    """Every order inside the 30-day reconcile window."""
    return make_sim(history_days=20)


def test_reconcile_catches_cancellations_and_ticket_changes(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A cancellation and a validated ticket are invisible to the incremental walk but are
    updated in place by the reconcile pass."""
    sync_orders(client, sessions, OPTIONS)
    order_id, ticket_id = open_ticket(sim)
    cancelled = next(
        o["id"] for o in sim.orders_truth() if o["status"] == "confirmed" and o["id"] != order_id
    )
    sim.cancel_order(cancelled)
    sim.validate_ticket(order_id, ticket_id)
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        assert session.get_one(Order, uuid.UUID(cancelled)).status == "confirmed"
    run = reconcile_orders(client, sessions, OPTIONS)
    assert run.totals.rows.updated >= 2
    with Session(engine) as session:
        order = session.get(Order, uuid.UUID(cancelled))
        ticket = session.get(OrderItemTicket, uuid.UUID(ticket_id))
    assert order is not None and order.status == "cancelled" and order.cancelled_at is not None
    assert ticket is not None and ticket.status == "validated" and ticket.voucher
    assert_orders_mirrored(engine, sim)


def test_documents_appearing_later_are_read(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A document added after the order is listed by reconcile and its metadata read by the
    documents stream; a bounded run reads at most its budget of orders."""
    sync_orders(client, sessions, OPTIONS)
    order_id = next(o["id"] for o in sim.orders_truth())
    document = sim.add_document(order_id)
    reconcile_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        pending = session.get(OrderDocument, uuid.UUID(document["id"]))
        assert pending is not None and pending.metadata_read_at is None
        waiting = len(
            set(
                session.scalars(
                    select(OrderDocument.order_id).where(OrderDocument.metadata_read_at.is_(None))
                )
            )
        )
    bounded = sync_documents(client, sessions, max_requests=2)
    assert bounded.details["orders"] == min(2, waiting)
    sync_documents(client, sessions, max_requests=500)
    with Session(engine) as session:
        read = session.get(OrderDocument, uuid.UUID(document["id"]))
    assert read is not None and read.metadata_read_at is not None
    assert read.raw is not None and read.raw["id"] == document["id"]
    assert read.downloadable_at is not None
