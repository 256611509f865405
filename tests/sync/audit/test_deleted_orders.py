"""Orders marked deleted upstream, as the rest of korsync treats them: any read that returns
the order again (reconcile, the incremental walk) makes it live again, and the documents
stream no longer asks for the documents of an order the API no longer has."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Order, OrderDocument
from korsync.sync.documents import pending_orders
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders

OPTIONS = OrdersOptions()


def _mark_deleted(engine: Engine, order_id: uuid.UUID) -> None:
    with Session(engine) as session, session.begin():
        now = dt.datetime.now(dt.UTC)
        session.execute(update(Order).where(Order.id == order_id).values(deleted_at=now))


def test_reconcile_reading_a_deleted_order_again_undeletes_it(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A recent order marked deleted that the reconcile pass reads again is live again."""
    sync_orders(client, sessions, OPTIONS)
    newest = max(sim.orders_truth(), key=lambda o: o["createdAt"])
    order_id = uuid.UUID(newest["id"])
    _mark_deleted(engine, order_id)
    run = reconcile_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        order = session.get(Order, order_id)
    assert order is not None and order.deleted_at is None
    assert run.totals.rows.updated >= 1


def test_documents_of_a_deleted_order_are_not_asked_for(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An order marked deleted leaves the documents stream's queue; live ones stay in it."""
    sync_orders(client, sessions, OPTIONS)
    with Session(engine) as session:
        listed = session.scalars(
            select(OrderDocument.order_id).where(OrderDocument.order_id.is_not(None)).distinct()
        ).all()
    assert len(listed) >= 2
    gone, kept = listed[0], listed[1]
    assert gone is not None
    _mark_deleted(engine, gone)
    with Session(engine) as session:
        queued = pending_orders(session, dt.datetime.now(dt.UTC), limit=10_000)
    assert gone not in queued and kept in queued
