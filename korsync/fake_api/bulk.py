"""The two ``_bulk`` POSTs, shared by the HTTP routes and by ``Simulator.add_orders``.

A reservations call resolves every offer IRI first (an unknown one rejects the whole call
with 422, the synchronous consistency check) and then makes one reservation per item; a
sold-out offer becomes a ``failedReservations`` entry. An orders call resolves every
reservation IRI (unknown: 422) and confirms each into one order, all created in the same
second; expired, released or already ordered reservations become ``failedOrders`` entries.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from korsync.fake_api.booking import (
    Booking,
    OrderRecord,
    ReservationRecord,
    bookable,
    make_customer,
    make_line,
)
from korsync.fake_api.keys import Rng, digest
from korsync.fake_api.messages import Response
from korsync.fake_api.render import render_order, render_reservation
from korsync.fake_api.routing import Call
from korsync.fake_api.state import OrgState
from korsync.fake_api.validation import (
    ItemRequest,
    OrderRequest,
    Violations,
    order_request,
    reservation_items,
)

if TYPE_CHECKING:
    from korsync.fake_api.simulator import Simulator


def _path(iri: str) -> str:
    return urlsplit(iri).path.rstrip("/")


def create_reservations(
    org: OrgState, items: list[ItemRequest], at: int, seed: int
) -> tuple[list[ReservationRecord], list[dict[str, Any]]]:
    """One reservation per item, created at ``at``; failures for sold-out offers."""
    checks, offers = Violations(), []
    for number, item in enumerate(items):
        row = org.catalogue.get("offers", _path(item.offer).rsplit("/", 1)[-1])
        if row is None or row.iri != _path(item.offer):
            checks.add(f"items[{number}].offer", "Item not found for the given IRI.")
        offers.append(row)
    checks.raise_any()
    created, failed = [], []
    for item, row in zip(items, offers, strict=True):
        assert row is not None
        offer = bookable(org.catalogue, row)
        if offer.sold_out:
            failed.append(
                {
                    "@type": "FailedReservation",
                    "offer": row.iri,
                    "quantity": item.quantity,
                    "reason": "sold_out",
                }
            )
            continue
        rng = Rng(digest(seed, org.org, 0xB0, org.reservation_count()))
        booking = Booking(offer.catalog_iri, (make_line(rng, offer, item.quantity, item.sessions),))
        created.append(org.new_reservation(booking, at))
    return created, failed


def create_orders(
    org: OrgState, request: OrderRequest, at: int
) -> tuple[list[OrderRecord], list[dict[str, Any]]]:
    """One order per reservation, all created at ``at``; failures for unusable reservations."""
    checks, found = Violations(), []
    for number, iri in enumerate(request.reservations):
        record = org.find_reservation(_path(iri).rsplit("/", 1)[-1])
        if record is None:
            checks.add(f"reservations[{number}]", "Item not found for the given IRI.")
        found.append((iri, record))
    checks.raise_any()
    orders, failed = [], []
    with org.lock:
        for iri, record in found:
            assert record is not None
            problem = _unusable(record, at)
            if problem:
                failed.append({"@type": "FailedOrder", "reservation": iri, "reason": problem})
                continue
            orders.append(org.new_order(record, request.customer, request.external_reference, at))
    return orders, failed


def _unusable(record: ReservationRecord, at: int) -> str | None:
    if record.order_index is not None:
        return "already_ordered"
    if record.status == "released":
        return "released"
    if at >= record.expires:
        return "expired"
    return None


def post_reservations(call: Call) -> Response:
    """``POST /v1/booking/reservations/_bulk``."""
    items = reservation_items(call.request.json())
    now = call.sim.clock.timestamp()
    created, failed = create_reservations(call.org, items, now, call.sim.config.seed)
    body = {
        "@context": "/contexts/BookingReservation",
        "@id": "/v1/booking/reservations/_bulk",
        "@type": "BookingReservationBulkResult",
        "reservations": [render_reservation(call.org.names, r, now) for r in created],
        "failedReservations": failed,
    }
    return Response(201, body)


def post_orders(call: Call) -> Response:
    """``POST /v1/booking/orders/_bulk``."""
    request = order_request(call.request.json())
    created, failed = create_orders(call.org, request, call.sim.clock.timestamp())
    body = {
        "@context": "/contexts/BookingOrder",
        "@id": "/v1/booking/orders/_bulk",
        "@type": "BookingOrderBulkResult",
        "orders": [render_order(call.org.names, o, None) for o in created],
        "failedOrders": failed,
    }
    return Response(201, body)


def _available_offer(rng: random.Random, org: OrgState, at: int) -> str:
    """The IRI of a live, not sold-out offer, seeded (raises ``LookupError`` when none is)."""
    for _ in range(50):
        offer = rng.choice(org.generator.pools).pick(rng, at)
        row = org.catalogue.get("offers", offer.offer_iri.rsplit("/", 1)[-1])
        if row is not None and row.fields["availableQuantity"] != 0:
            return row.iri
    for row in org.catalogue.all("offers"):
        if row.fields["availableQuantity"] != 0 and org.catalogue.get("catalogs", row.catalog):
            return row.iri
    raise LookupError("no offer is available for new orders")


def generate_orders(sim: Simulator, org: OrgState, count: int, at: int) -> list[OrderRecord]:
    """``count`` seeded orders created at ``at`` through the ``_bulk`` path."""
    if count <= 0 or not org.generator.pools:
        return []
    rng = Rng(digest(sim.config.seed, org.org, 0xADD, org.order_count()))
    items = [
        ItemRequest(_available_offer(rng, org, at), rng.choice((1, 1, 2, 3)), {})
        for _ in range(count)
    ]
    reservations: list[ReservationRecord] = []
    for item in items:
        made, _ = create_reservations(org, [item], at - 240, sim.config.seed)
        reservations.extend(made)
    iris = [
        f"/v1/booking/reservations/{org.names.reservation_id(r.index, r.unix_ms)}"
        for r in reservations
    ]
    orders: list[OrderRecord] = []
    for iri in iris:
        customer = make_customer(rng)
        request = OrderRequest([iri], customer, f"SIM-{org.order_count():07d}")
        orders.extend(create_orders(org, request, at)[0])
    return orders
