"""The data coverage ``korsync check --data`` reports (``korsync.coverage``), on SQLite and
PostgreSQL: live mirrored rows only, JSON ``null`` is not filled, and only inferred columns
empty on every row are flagged."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from korsync import coverage
from korsync.api.client import ApiClient
from korsync.models import Order, OrderItemTicket
from korsync.sync.orders import OrdersOptions, sync_orders


def _by_column(engine: Engine) -> dict[str, coverage.ColumnCoverage]:
    return {f"{c.table}.{c.column}": c for c in coverage.collect(engine)}


def test_coverage_of_synced_orders(
    engine: Engine, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Orders fill their documented columns; placeholders (products referenced by items) are
    not rows; an emptied JSON column counts as empty; an empty documented column is not
    flagged, an empty inferred one is."""
    sync_orders(client, sessions, OrdersOptions())
    with engine.begin() as connection:
        connection.execute(update(OrderItemTicket).values(required_beneficiary_fields=None))
        connection.execute(update(Order).values(notes=None, cancelled_at=None))
    found = _by_column(engine)
    with Session(engine) as session:
        orders = session.query(Order).count()
    assert found["orders.reference"].rows == found["orders.reference"].filled == orders > 0
    assert found["products.name"].rows == 0  # only placeholders so far
    assert found["order_item_tickets.required_beneficiary_fields"].filled == 0
    assert not found["orders.cancelled_at"].flagged  # documented: may be empty for good
    assert found["orders.notes"].flagged  # inferred and empty on every row
    status, message = coverage.verdict(list(found.values()))
    assert status == "WARN" and "orders.notes" in message
    table = coverage.render(list(found.values()))
    assert table[0].split()[:3] == ["column", "api", "field"]
    assert not any(line.startswith("products.") for line in table)


def test_an_empty_mirror_asks_for_a_sync(engine: Engine) -> None:
    """No rows anywhere: WARN, run a sync first; no table."""
    found = coverage.collect(engine)
    assert coverage.verdict(found) == (
        "WARN",
        "the mirror holds no rows yet: run 'korsync sync' first",
    )
    assert coverage.render(found) == []
