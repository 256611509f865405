"""The response example of ``GET /v1/booking/orders/{id}`` from the API docs page, fed to
korsync verbatim, on SQLite and PostgreSQL: the order is mirrored, its item without an id under
a derived key, its document URL (which names no document id) kept in ``raw``, and the order is
recorded as a *partial* record, shown by ``status`` and counted by the run."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync import status as status_report
from korsync.models import Order, OrderDocument, OrderItem, RejectedRecord
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection

# Copied verbatim from ../shared/korusticket-api/seed-dev-docs.txt (line 203: the "Response"
# example of "Retrieves a BookingOrder resource."), the docs page korsync was specified from.
DOCS_EXAMPLE_ORDER = '{ "@context": "string", "@id": "string", "@type": "string", "id": "0194cb22-b891-754c-8c4c-777b93f8d072", "createdAt": "2025-01-27T15:15:20+00:00", "organization": "/v1/organizations/0194cb23-170e-71f0-b4bb-0a7e644dea34", "reference": "KT-ORD-123456", "externalReference": "YOUR-CUSTOM-REFERENCE", "connectorReference": "string", "totalAmountInclTax": "100.00", "totalAmountExclTax": "100.00", "reservation": "/v1/booking/reservations/0194cb23-f18e-7c8e-9729-a7a65e961639", "customer": { "@context": "string", "@id": "string", "@type": "string", "firstname": "john", "lastname": "doe", "email": "[email protected]", "phone": "+33610203040", "country": "FR", "language": "fr" }, "status": "confirmed", "cancelledAt": "2025-02-27T15:15:20+00:00", "items": [ {} ], "documents": [ "https://example.com/" ] }'  # noqa: E501, RUF001  (one line, no-break space and all, as on the page)
ORDER_ID = uuid.UUID("0194cb22-b891-754c-8c4c-777b93f8d072")
OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))


def _example() -> dict[str, Any]:
    example: dict[str, Any] = json.loads(DOCS_EXAMPLE_ORDER)
    return example


def _sync(sessions: sessionmaker[Session]) -> Any:
    """One orders run against an upstream listing only the docs' example order."""
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, [_example()]))
    with upstream.client() as client:
        return sync_orders(client, sessions, OPTIONS)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_the_docs_example_order_is_mirrored_and_recorded_as_partial(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Every column the example fills is stored; its item (``{}``) is a row under a key derived
    from the order and position; its document URL names no id, so no document row; the order
    is one open *partial* record naming both, and the run counts it (no rejected item)."""
    run = _sync(sessions)
    assert (run.totals.rejects, run.totals.partial) == (0, 1)
    with Session(engine) as session:
        order = session.get(Order, ORDER_ID)
        items = session.scalars(select(OrderItem)).all()
        documents = session.scalars(select(OrderDocument)).all()
        (record,) = session.scalars(select(RejectedRecord)).all()
    assert order is not None
    assert order.created_at == dt.datetime(2025, 1, 27, 15, 15, 20, tzinfo=dt.UTC)
    assert order.organization_id == uuid.UUID("0194cb23-170e-71f0-b4bb-0a7e644dea34")
    assert order.reservation_id == uuid.UUID("0194cb23-f18e-7c8e-9729-a7a65e961639")
    assert (order.reference, order.external_reference, order.connector_reference) == (
        "KT-ORD-123456",
        "YOUR-CUSTOM-REFERENCE",
        "string",
    )
    assert order.total_amount_incl_tax == order.total_amount_excl_tax == Decimal("100.00")
    assert (order.status, order.cancelled_at) == (
        "confirmed",
        dt.datetime(2025, 2, 27, 15, 15, 20, tzinfo=dt.UTC),
    )
    assert (order.customer_firstname, order.customer_lastname, order.customer_country) == (
        "john",
        "doe",
        "FR",
    )
    assert order.catalog_id is None  # the example names no catalog, nor a product to take it from
    assert order.raw == {k: v for k, v in _example().items() if k != "items"}
    assert order.raw["documents"] == ["https://example.com/"]  # kept as sent: no text column
    (item,) = items
    assert (item.id, item.order_id, item.position, item.raw) == (
        uuid.uuid5(ORDER_ID, "items/0"),
        ORDER_ID,
        0,
        {},
    )
    assert documents == []
    assert (record.stream, record.kind, record.record_key) == ("orders", "partial", str(ORDER_ID))
    assert record.resolved_at is None and record.raw == _example()
    assert "items[0]: no usable id" in record.reason
    assert "documents[0]: names no document id: 'https://example.com/'" in record.reason


def test_the_docs_example_order_round_trips_through_orders_as_sent(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """``orders_as_sent`` rebuilds the example from its rows: the derived key never enters the
    item's JSON, which comes back as sent, with the view's ``tickets: []`` for a list never
    sent (as for any item without tickets)."""
    _sync(sessions)
    with Session(engine) as session:
        rebuilt = _json(session.execute(text("SELECT raw FROM orders_as_sent")).scalar_one())
    assert rebuilt == {**_example(), "items": [{"tickets": []}]}


def test_syncing_the_example_again_keeps_one_item_and_one_open_partial_record(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The derived key is stable: a second run updates the same item row, and the partial
    record is counted again, still open; ``status`` reports it apart from rejected records."""
    _sync(sessions)
    _sync(sessions)
    with Session(engine) as session:
        items = session.scalars(select(OrderItem.id)).all()
        (record,) = session.scalars(select(RejectedRecord)).all()
    assert items == [uuid.uuid5(ORDER_ID, "items/0")]
    assert (record.kind, record.times_seen, record.resolved_at) == ("partial", 2, None)
    report = status_report.collect(engine)
    assert (report.rejected, report.partial) == (0, 1)
    assert report.as_dict()["partial_records"] == 1
    assert "partial records: 1" in status_report.render(report)
