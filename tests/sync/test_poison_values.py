"""Poison values from the API: each one rejects only its own order (kept in rejected_records
with a storable key, the reason and the payload), never the page it came in nor any later page,
and the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import Order, OrderItem, RejectedRecord, SyncRun
from korsync.sync import state
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))
Poison = Callable[[dict[str, Any]], None]


def _line(order: dict[str, Any], **fields: Any) -> None:
    order["items"][0].update(fields)


def _ticket(order: dict[str, Any], **fields: Any) -> None:
    order["items"][0]["tickets"][0].update(fields)


POISONS: dict[str, tuple[Poison, str]] = {
    "createdAt past year 9999 in UTC": (
        lambda o: o.update(createdAt="9999-12-31T23:00:00-05:00"),
        "createdAt",
    ),
    "ticket occursAt past year 9999 in UTC": (
        lambda o: _ticket(o, occursAt="9999-12-31T23:00:00-05:00"),
        "occursAt",
    ),
    "quantity of 2**40": (lambda o: _line(o, quantity=2**40), "quantity"),
    "id containing NUL": (lambda o: o.update(id=o["id"][:8] + "\x00" + o["id"][8:]), "id"),
    "8000-character id": (lambda o: o.update(id=uuid.uuid4().hex * 250), "id"),
    "money overflowing numeric(12,2)": (
        lambda o: o.update(totalAmountInclTax="9999999999.999"),
        "totalAmountInclTax",
    ),
    "money with a third decimal": (lambda o: _line(o, unitAmountInclTax="12.345"), "unitAmount"),
    "quantity that is not whole": (lambda o: _line(o, quantity=3.9), "quantity"),
    "date with trailing garbage": (lambda o: _line(o, date="2024-06-14garbage"), "date"),
    "8000-character indexed reference": (
        lambda o: o.update(reference="".join(uuid.uuid4().hex for _ in range(250))),
        "reference",
    ),
    "ticket deadline before year 1 in UTC": (
        lambda o: _ticket(o, beneficiaryDesignationDeadline="0001-01-01T00:00:00+01:00"),
        "beneficiaryDesignationDeadline",
    ),
}


def _created(order: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(order["createdAt"])


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_poison_value_rejects_its_order_and_every_other_order_commits(
    sessions: sessionmaker[Session], poison: str
) -> None:
    """The poisoned order (second of page 1) is rejected naming its field; the rest of page 1
    and all of page 2 commit, the run succeeds, and the watermark is the newest stored order."""
    orders = sample_orders(5)
    good = [orders[0], orders[2], orders[3], orders[4]]
    spoil, field = POISONS[poison]
    spoil(orders[1])
    upstream = Upstream()
    page2 = f"{ORDERS}?page=2"
    upstream.serve(ORDERS, collection(ORDERS, orders[:3], next_url=page2, total=5))
    upstream.serve(page2, collection(ORDERS, orders[3:], total=5, page=2))
    with upstream.client() as client:
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
