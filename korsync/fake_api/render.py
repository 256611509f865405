"""Orders, item tickets, documents and reservations as the API's JSON-LD objects.

The functions take a record (as created) and its patch (what changed since) and return the
exact dict the API serves; ``top=True`` adds ``@context`` as on an item response. Ids come
from ``IdCodec`` so every nested id (items, tickets, documents) is found again from the URL.
Key order follows the documented examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from korsync.fake_api import words
from korsync.fake_api.booking import DAY, DocumentRecord, Line, OrderRecord, ReservationRecord
from korsync.fake_api.keys import IdCodec, Kind, genid, mix

ORDERS = "/v1/booking/orders"
RESERVATIONS = "/v1/booking/reservations"


@dataclass
class OrderPatch:
    """Changes to one order after creation (status, tickets, added documents)."""

    status: str | None = None
    cancelled_at: int | None = None
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    documents: list[DocumentRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Names:
    """How one organization's ids and IRIs are made."""

    codec: IdCodec
    org: int
    org_iri: str

    def order_id(self, record: OrderRecord) -> str:
        return self.codec.encode(Kind.ORDER, self.org, record.index, record.unix_ms)

    def item_id(self, record: OrderRecord, line: int) -> str:
        return self.codec.encode(Kind.ORDER_ITEM, self.org, record.index * 8 + line, record.unix_ms)

    def ticket_id(self, record: OrderRecord, line: int, number: int) -> str:
        index = (record.index * 8 + line) * 8 + number
        return self.codec.encode(Kind.ITEM_TICKET, self.org, index, record.unix_ms)

    def document_id(self, record: OrderRecord, document: DocumentRecord) -> str:
        index = record.index * 16 + document.number
        return self.codec.encode(Kind.DOCUMENT, self.org, index, document.unix_ms)

    def reservation_id(self, index: int, unix_ms: int) -> str:
        return self.codec.encode(Kind.RESERVATION, self.org, index, unix_ms)


def documents_of(record: OrderRecord, patch: OrderPatch | None) -> list[DocumentRecord]:
    """The order's documents now: the original ones plus those added later."""
    return record.documents + (patch.documents if patch else [])


def render_order(
    names: Names, record: OrderRecord, patch: OrderPatch | None, top: bool = False
) -> dict[str, Any]:
    """The order as ``GET /v1/booking/orders/{id}`` (``top``) or a collection member."""
    order_id = names.order_id(record)
    order_iri = f"{ORDERS}/{order_id}"
    items, first = [], 0
    for j, line in enumerate(record.booking.lines):
        items.append(_item(names, record, patch, j, order_iri, first))
        first += len(line.tickets)
    cancelled_at = patch.cancelled_at if patch and patch.status else record.cancelled_at
    reservation = names.reservation_id(record.reservation_index, record.reservation_ms)
    incl, excl = _order_totals(record.booking.lines)
    body: dict[str, Any] = {"@context": "/contexts/BookingOrder"} if top else {}
    body.update(
        {
            "@id": order_iri,
            "@type": "BookingOrder",
            "id": order_id,
            "createdAt": words.iso(record.created),
            "organization": names.org_iri,
            "reference": record.reference,
            "externalReference": record.external_reference,
            "connectorReference": record.connector_reference,
            "totalAmountInclTax": incl,
            "totalAmountExclTax": excl,
            "reservation": f"{RESERVATIONS}/{reservation}",
            "customer": _customer(names, record),
            "status": "cancelled" if cancelled_at is not None else "confirmed",
            "cancelledAt": words.iso(cancelled_at) if cancelled_at is not None else None,
            "items": items,
            "documents": [
                f"{order_iri}/documents/{names.document_id(record, d)}"
                for d in documents_of(record, patch)
            ],
        }
    )
    return body


def _order_totals(lines: tuple[Line, ...]) -> tuple[str, str]:
    if len(lines) == 1:
        return lines[0].offer.amounts(lines[0].quantity)
    incl = sum((_totals(line)[0] for line in lines), Decimal())
    excl = sum((_totals(line)[1] for line in lines), Decimal())
    return words.money(incl), words.money(excl)


def _totals(line: Line) -> tuple[Decimal, Decimal]:
    return line.offer.unit_incl * line.quantity, line.offer.unit_excl * line.quantity


def _customer(names: Names, record: OrderRecord) -> dict[str, Any]:
    node = genid(names.org, record.index, 0xC0)
    return {"@type": "OrderCustomer", "@id": node, **record.customer}


def _item(
    names: Names, record: OrderRecord, patch: OrderPatch | None, j: int, order_iri: str, first: int
) -> dict[str, Any]:
    line = record.booking.lines[j]
    unit_incl, unit_excl = line.offer.amounts(1)
    total_incl, total_excl = line.offer.amounts(line.quantity)
    item_id = names.item_id(record, j)
    tickets = [
        render_ticket(names, record, patch, j, k, first + k, ids=(order_iri, item_id))
        for k in range(len(line.tickets))
    ]
    return {
        "@type": "OrderItem",
        "@id": genid(names.org, record.index, j, 0x17),
        "id": item_id,
        "unitAmountInclTax": unit_incl,
        "unitAmountExclTax": unit_excl,
        "quantity": line.quantity,
        "totalAmountInclTax": total_incl,
        "totalAmountExclTax": total_excl,
        "amountInclTax": total_incl,
        "amountExclTax": total_excl,
        "date": line.offer.day,
        "product": line.offer.product_iri,
        "tickets": tickets,
    }


def ticket_state(record: OrderRecord, patch: OrderPatch | None, flat: int) -> dict[str, Any]:
    """The current changeable fields of ticket number ``flat`` of the order."""
    base = record.tickets[flat]
    state: dict[str, Any] = {
        "voucher": base.voucher,
        "beneficiary": base.beneficiary,
        "beneficiaryAmendable": base.amendable,
        "status": base.status,
    }
    if patch and flat in patch.tickets:
        state.update(patch.tickets[flat])
    return state


def render_ticket(
    names: Names,
    record: OrderRecord,
    patch: OrderPatch | None,
    j: int,
    k: int,
    flat: int,
    top: bool = False,
    ids: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Ticket ``k`` of item ``j`` (embedded, or as its own item response when ``top``).

    ``ids`` (order IRI, item id) saves recomputing them when the caller has them.
    """
    line = record.booking.lines[j]
    _, _, occurs = line.tickets[k]
    order_iri, item_id = ids or (f"{ORDERS}/{names.order_id(record)}", names.item_id(record, j))
    ticket_id = names.ticket_id(record, j, k)
    state = ticket_state(record, patch, flat)
    body: dict[str, Any] = {"@context": "/contexts/BookingOrderItemTicket"} if top else {}
    body["@id"] = f"{order_iri}/items/{item_id}/tickets/{ticket_id}"
    body["@type"] = "BookingOrderItemTicket" if top else "OrderItemTicketResource"
    body["id"] = ticket_id
    body["voucher"] = state["voucher"]
    body["occursAt"] = words.iso(occurs) if occurs is not None else None
    if line.offer.event_iri is not None:
        body["event"] = line.offer.event_iri
    required = ["firstname", "lastname"] if line.offer.beneficiary else []
    body["requiredBeneficiaryFields"] = required
    body["beneficiary"] = state["beneficiary"]
    deadline = occurs - 2 * DAY if required and occurs is not None else None
    body["beneficiaryDesignationDeadline"] = words.iso(deadline) if deadline else None
    body["beneficiaryAmendable"] = state["beneficiaryAmendable"]
    body["status"] = state["status"]
    body["seating"] = _seating(record.index * 64 + flat)
    return body


def _seating(key: int) -> dict[str, str] | None:
    draw = mix(key ^ 0x5EA7)
    if draw % 10:
        return None
    return {"area": "Tribune Nord", "row": chr(65 + draw % 20), "seat": str(draw % 40 + 1)}


def render_document(
    names: Names, record: OrderRecord, document: DocumentRecord, top: bool = False
) -> dict[str, Any]:
    """One order document."""
    document_id = names.document_id(record, document)
    body: dict[str, Any] = {"@context": "/contexts/BookingOrderDocument"} if top else {}
    body["@id"] = f"{ORDERS}/{names.order_id(record)}/documents/{document_id}"
    body["@type"] = "BookingOrderDocument"
    body["id"] = document_id
    at = document.downloadable_at
    body["downloadableAt"] = words.iso(at) if at is not None else None
    return body


def render_reservation(
    names: Names, record: ReservationRecord, now: int, top: bool = False
) -> dict[str, Any]:
    """The reservation as ``GET /v1/booking/reservations/{id}`` or a collection member."""
    reservation_id = names.reservation_id(record.index, record.unix_ms)
    lines = record.booking.lines
    incl = sum((_totals(line)[0] for line in lines), Decimal())
    excl_known = all(line.offer.excl_known for line in lines)
    excl = sum((_totals(line)[1] for line in lines), Decimal())
    order = None
    if record.order_index is not None and record.order_ms is not None:
        order_id = names.codec.encode(Kind.ORDER, names.org, record.order_index, record.order_ms)
        order = f"{ORDERS}/{order_id}"
    body: dict[str, Any] = {"@context": "/contexts/BookingReservation"} if top else {}
    body.update(
        {
            "@id": f"{RESERVATIONS}/{reservation_id}",
            "@type": "BookingReservation",
            "id": reservation_id,
            "expired": now >= record.expires,
            "catalog": record.booking.catalog_iri,
            "createdAt": words.iso(record.created),
            "totalAmountInclTax": words.money(incl),
            "totalAmountExclTax": words.money(excl) if excl_known else None,
            "expiresAt": words.iso(record.expires),
            "items": [_reservation_item(names, record, j) for j in range(len(lines))],
            "organization": names.org_iri,
            "order": order,
            "seatsArrangement": record.seats,
            "releasable": order is None and record.status == "reserved",
            "status": record.status,
        }
    )
    return body


def _reservation_item(names: Names, record: ReservationRecord, j: int) -> dict[str, Any]:
    line = record.booking.lines[j]
    incl, excl = _totals(line)
    return {
        "@type": "ReservationItem",
        "@id": genid(names.org, record.index, j, 0x2E5),
        "amountInclTax": words.money(incl),
        "amountExclTax": words.money(excl) if line.offer.excl_known else None,
        "date": line.offer.day,
        "offer": line.offer.offer_iri,
        "product": line.offer.product_iri,
        "offerTickets": [
            {"ticket": ticket, "session": session, "seating": None}
            for ticket, session, _ in line.tickets
        ],
    }
