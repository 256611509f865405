"""Poison values from the API: an unusable id or ``createdAt`` rejects its order, any other value
its column cannot hold is stored as NULL with the order recorded as partial; either way it lands
in rejected_records (with a storable key, the reason and the payload), never blocks the page it
came in nor any later page, and the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import Order, OrderItem, RejectedRecord, SyncRun, metadata
from korsync.sync import state
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))
Poison = Callable[[dict[str, Any]], None]


def _line(order: dict[str, Any], **fields: Any) -> None:
    order["items"][0].update(fields)


def _ticket(order: dict[str, Any], **fields: Any) -> None:
    order["items"][0]["tickets"][0].update(fields)


REJECTING: dict[str, tuple[Poison, str]] = {
    "createdAt past year 9999 in UTC": (
        lambda o: o.update(createdAt="9999-12-31T23:00:00-05:00"),
        "createdAt",
    ),
    # a date-time of plain form the server refuses: the page goes from SQL to Python (order_sql)
    "createdAt on 30 February": (
        lambda o: o.update(createdAt="2024-02-30T10:00:00+00:00"),
        "createdAt",
    ),
    "id containing NUL": (lambda o: o.update(id=o["id"][:8] + "\x00" + o["id"][8:]), "id"),
    "8000-character id": (lambda o: o.update(id=uuid.uuid4().hex * 250), "id"),
}
# poison -> (spoil, field named, table and column left NULL)
NULLED: dict[str, tuple[Poison, str, str, str]] = {
    "ticket occursAt past year 9999 in UTC": (
        lambda o: _ticket(o, occursAt="9999-12-31T23:00:00-05:00"),
        "occursAt",
        "order_item_tickets",
        "occurs_at",
    ),
    "ticket occursAt on 30 February": (
        lambda o: _ticket(o, occursAt="2024-02-30T10:00:00+00:00"),
        "occursAt",
        "order_item_tickets",
        "occurs_at",
    ),
    "quantity of 2**40": (
        lambda o: _line(o, quantity=2**40),
        "quantity",
        "order_items",
        "quantity",
    ),
    "money overflowing numeric(12,2)": (
        lambda o: o.update(totalAmountInclTax="9999999999.999"),
        "totalAmountInclTax",
        "orders",
        "total_amount_incl_tax",
    ),
    "money with a third decimal": (
        lambda o: _line(o, unitAmountInclTax="12.345"),
        "unitAmount",
        "order_items",
        "unit_amount_incl_tax",
    ),
    "quantity that is not whole": (
        lambda o: _line(o, quantity=3.9),
        "quantity",
        "order_items",
        "quantity",
    ),
    "date with trailing garbage": (
        lambda o: _line(o, date="2024-06-14garbage"),
        "date",
        "order_items",
        "date",
    ),
    "8000-character indexed reference": (
        lambda o: o.update(reference="".join(uuid.uuid4().hex for _ in range(250))),
        "reference",
        "orders",
        "reference",
    ),
    "ticket deadline before year 1 in UTC": (
        lambda o: _ticket(o, beneficiaryDesignationDeadline="0001-01-01T00:00:00+01:00"),
        "beneficiaryDesignationDeadline",
        "order_item_tickets",
        "beneficiary_designation_deadline",
    ),
}


def _serve(orders: list[dict[str, Any]]) -> Upstream:
    upstream = Upstream()
    page2 = f"{ORDERS}?page=2"
    upstream.serve(ORDERS, collection(ORDERS, orders[:3], next_url=page2, total=5))
    upstream.serve(page2, collection(ORDERS, orders[3:], total=5, page=2))
    return upstream


def _created(order: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(order["createdAt"])


@pytest.mark.parametrize("poison", sorted(REJECTING))
def test_an_unusable_id_or_created_at_rejects_its_order_and_every_other_order_commits(
    sessions: sessionmaker[Session], poison: str
) -> None:
    """The poisoned order (second of page 1) is rejected naming its field; the rest of page 1
    and all of page 2 commit, the run succeeds, and the watermark is the newest stored order."""
    orders = sample_orders(5)
    good = [orders[0], orders[2], orders[3], orders[4]]
    spoil, field = REJECTING[poison]
    spoil(orders[1])
    with _serve(orders).client() as client:
        sync_orders(client, sessions, OPTIONS)
    with sessions() as session:
        stored = set(session.scalars(select(Order.id)))
        (run,) = session.scalars(select(SyncRun)).all()
        (reject,) = session.scalars(select(RejectedRecord)).all()
        watermark = state.watermark(session, "orders")
    assert stored == {uuid.UUID(o["id"]) for o in good}
    assert (run.status, run.pages, run.rejects) == ("succeeded", 2, 1)
    assert watermark == max(_created(o) for o in good)
    assert field in reject.reason and reject.stream == "orders"
    assert "\x00" not in reject.record_key and len(reject.record_key) <= 200
    assert reject.raw["createdAt"] == orders[1]["createdAt"]
    assert reject.raw["items"] == orders[1]["items"]
    assert reject.resolved_at is None and reject.kind == "rejected"


@pytest.mark.parametrize("poison", sorted(NULLED))
def test_a_value_its_column_cannot_hold_is_stored_null_and_the_order_is_partial(
    sessions: sessionmaker[Session], poison: str
) -> None:
    """The poisoned order is stored, the value's column NULL (never altered), its JSON as sent;
    a partial record names the field; every order commits and the watermark is the newest."""
    orders = sample_orders(5)
    spoil, field, table, column = NULLED[poison]
    spoil(orders[1])
    with _serve(orders).client() as client:
        run = sync_orders(client, sessions, OPTIONS)
    line = orders[1]["items"][0]
    row_id = {"orders": orders[1], "order_items": line, "order_item_tickets": line["tickets"][0]}
    spoiled = uuid.UUID(row_id[table]["id"])
    with sessions() as session:
        stored = set(session.scalars(select(Order.id)))
        (reject,) = session.scalars(select(RejectedRecord)).all()
        watermark = state.watermark(session, "orders")
        model = metadata.tables[table]
        value = session.scalar(select(model.c[column]).where(model.c.id == spoiled))
        present = session.scalar(select(model.c.id).where(model.c.id == spoiled))
    assert stored == {uuid.UUID(o["id"]) for o in orders}
    assert run.totals.rejects == 0 and run.totals.partial == 1
    assert watermark == max(_created(o) for o in orders)
    assert present == spoiled and value is None
    assert reject.kind == "partial" and field in reject.reason and "NULL" in reject.reason
    assert reject.record_key == orders[1]["id"] and reject.resolved_at is None


def test_values_are_stored_exactly_the_same_on_both_databases(
    sessions: sessionmaker[Session],
) -> None:
    """Amounts with trailing zeros past the cents, whole floats for quantities and date-times
    for dates are exact, so they are kept: the same values come back on both databases."""
    (order,) = sample_orders(1)
    _line(order, unitAmountInclTax="12.340", quantity=3.0, date="2024-06-14T23:30:00-05:00")
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, [order]))
    with upstream.client() as client:
        run = sync_orders(client, sessions, OPTIONS)
    with sessions() as session:
        line = session.scalars(select(OrderItem).where(OrderItem.position == 0)).one()
    assert run.totals.rejects == 0
    assert str(line.unit_amount_incl_tax) == "12.34" and line.quantity == 3
    assert line.date == dt.date(2024, 6, 14)
    assert line.raw is not None and line.raw["unitAmountInclTax"] == "12.340"
