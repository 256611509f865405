"""Opt-in response shapes the API's own documentation shows, which the generated data does not:
each rewrites a successful JSON body just before it is sent (off unless ``SimConfig.shapes``
names it).

- ``docs-orders``: orders as the docs' response example of ``GET /v1/booking/orders/{id}`` has
  them (``../shared/korusticket-api/seed-dev-docs.txt``): items without an ``id`` (their blank
  node ``@id`` stays) and documents listed as absolute URLs that name no document id
  (``https://example.com/documents/<id>.pdf``), in collections and single reads alike. The
  documents sub-collection still serves each document with its id.
- ``iri-tickets``: offers list their tickets as IRIs instead of embedded objects; the tickets
  themselves are served by the offer's ``/tickets`` collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SHAPES = ("docs-orders", "iri-tickets")
DOCUMENTS_HOST = "https://example.com"


def apply(shapes: Iterable[str], payload: Any) -> None:
    """Rewrite ``payload`` (a JSON body, changed in place) into each of ``shapes``."""
    chosen = set(shapes)
    for item in _objects(payload):
        if "docs-orders" in chosen and item.get("@type") == "BookingOrder":
            _docs_order(item)
        if "iri-tickets" in chosen and item.get("@type") == "TicketingOffer":
            _iri_tickets(item)


def _objects(payload: Any) -> list[dict[str, Any]]:
    """The body itself, or its collection members."""
    if not isinstance(payload, dict):
        return []
    members = payload.get("member")
    if isinstance(members, list):
        return [member for member in members if isinstance(member, dict)]
    return [payload]


def _docs_order(order: dict[str, Any]) -> None:
    items = order.get("items")
    if isinstance(items, list):
        order["items"] = [
            {k: v for k, v in item.items() if k != "id"} if isinstance(item, dict) else item
            for item in items
        ]
    documents = order.get("documents")
    if isinstance(documents, list):
        order["documents"] = [_document_url(document) for document in documents]


def _document_url(document: Any) -> Any:
    """``/v1/booking/orders/{o}/documents/{d}`` as a file URL on another host, naming no id."""
    if not isinstance(document, str):
        return document
    return f"{DOCUMENTS_HOST}/documents/{document.rstrip('/').rsplit('/', 1)[-1]}.pdf"


def _iri_tickets(offer: dict[str, Any]) -> None:
    tickets = offer.get("tickets")
    if isinstance(tickets, list):
        offer["tickets"] = [
            ticket.get("@id") if isinstance(ticket, dict) else ticket for ticket in tickets
        ]
