"""Items mirrored in part, on SQLite and PostgreSQL: what cannot be mapped of an order (a
reference naming no UUID, a child without an id) or of an offer (tickets listed by IRI) is
mapped as far as it can be and recorded as a *partial* record, which a later whole copy
resolves; offers listing tickets by IRI get them from the offer's tickets collection."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import Order, OrderItemTicket, RejectedRecord
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.catalogue_rows import offer_rows
from korsync.sync.order_rows import order_rows
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import make_client, make_sim
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders
from tests.sync.test_catalogue import assert_catalogue_mirrored

NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))


def test_unparseable_references_leave_their_column_empty_and_are_noted() -> None:
    """An organization given as an absolute URL without a UUID, and a catalog that is no
    reference at all, are NULL columns and notes; the order still maps, raw as sent. An
    absolute URL that does end in a UUID is read as any IRI."""
    (order,) = copy.deepcopy(sample_orders(1))
    order["organization"] = "https://example.com/"
    order["catalog"] = 42
    order["reservation"] = f"https://api.korusticket.com{order['reservation']}"
    rows = order_rows(order, NOW)
    (row,) = rows.rows["orders"]
    assert row["organization_id"] is None and row["catalog_id"] is not None  # from its products
    assert row["reservation_id"] is not None
    assert row["raw"]["organization"] == "https://example.com/"
    assert [note.split(":")[0] for note in rows.notes] == ["catalog", "organization"]


def test_a_ticket_without_an_id_gets_a_key_derived_from_its_item() -> None:
    """A ticket with neither ``id`` nor an IRI ``@id`` is keyed by its item and position and
    noted; its ``raw`` stays as sent."""
    (order,) = copy.deepcopy(sample_orders(1))
    item = order["items"][0]
    ticket = item["tickets"][0]
    del ticket["id"], ticket["@id"]
    rows = order_rows(order, NOW)
    first = rows.rows["order_item_tickets"][0]
    assert first["id"] == uuid.uuid5(uuid.UUID(item["id"]), "items[0].tickets/0")
    assert first["raw"] == ticket and first["position"] == 0
    assert rows.notes == [f"items[0].tickets[0]: no usable id (None): stored as {first['id']}"]


def test_an_offer_ticket_iri_naming_no_id_makes_the_offer_partial() -> None:
    """An offer listing tickets by IRI: those with an id become placeholder rows, one without
    is noted."""
    catalog, offer = uuid.uuid4(), uuid.uuid4()
    ticket = uuid.uuid4()
    base = f"/v1/ticketing/catalogs/{catalog}/offers/{offer}/tickets"
    item: dict[str, Any] = {"id": str(offer), "tickets": [f"{base}/{ticket}", "https://x.test/"]}
    rows = offer_rows(catalog)(item, NOW)
    assert rows.placeholders["offer_tickets"] == [
        {"id": ticket, "catalog_id": catalog, "offer_id": offer}
    ]
    assert rows.notes == ["tickets[1]: names no ticket id: 'https://x.test/' (kept in raw)"]


def test_a_partial_order_sent_whole_later_resolves_its_record(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """First sent with an organization naming no UUID (stored, partial), then whole: the
    record is resolved and the column filled."""
    (whole,) = copy.deepcopy(sample_orders(1))
    broken = {**copy.deepcopy(whole), "organization": "urn:org:acme"}
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, [broken]), collection(ORDERS, [whole]))
    with upstream.client() as client:
        first = sync_orders(client, sessions, OPTIONS)
        second = sync_orders(client, sessions, OrdersOptions(safety_margin=dt.timedelta(days=1)))
    assert (first.totals.partial, second.totals.partial) == (1, 0)
    with Session(engine) as session:
        record = session.scalars(select(RejectedRecord)).one()
        order = session.scalars(select(Order)).one()
        tickets = session.scalars(select(OrderItemTicket)).all()
    assert record.kind == "partial" and "organization: not a reference" in record.reason
    assert record.resolved_at is not None
    assert order.organization_id is not None and tickets


def test_offers_listing_tickets_by_iri_are_mirrored_from_the_tickets_collection(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """With the simulator's ``iri-tickets`` shape every offer lists its tickets by IRI: the
    refresh reads each offer's tickets collection, so the mirror is the same as with embedded
    tickets (sessions included), and nothing is partial."""
    sim = make_sim(shapes=("iri-tickets",), orders=0)
    with make_client(sim) as client:
        run = sync_catalogue(client, sessions)
    assert_catalogue_mirrored(engine, sim)
    assert (run.totals.rejects, run.totals.partial) == (0, 0)
