"""One organization's catalogue in memory: rows by id, children by parent, JSON-LD rendering.

The catalogue is small (thousands of rows), so it is built whole at start-up by
``catalogue_data`` and then changed in place by the control API (field updates, removals). A
``Row`` keeps its plain fields and its internal links (product, tickets, sessions of an offer);
``render`` assembles the response shape from the current rows, so a renamed product shows in
the offers that embed it. Removed rows vanish from collections and answer 404.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

CATALOGUE_KINDS = (
    "catalogs",
    "product_bases",
    "options",
    "option_values",
    "products",
    "offers",
    "offer_tickets",
    "ticket_sessions",
    "events",
    "sessions",
    "forms",
)
JSONLD_TYPES = {
    "catalogs": "TicketingCatalog",
    "product_bases": "TicketingProductBase",
    "options": "TicketingProductBaseOption",
    "option_values": "TicketingProductBaseOptionValue",
    "products": "TicketingProduct",
    "offers": "TicketingOffer",
    "offer_tickets": "TicketingOfferTicket",
    "ticket_sessions": "TicketingOfferTicketSession",
    "events": "TicketingEvent",
    "sessions": "TicketingSession",
    "forms": "Form",
}


@dataclass
class Row:
    """One catalogue resource: identity, parent, plain fields and internal links."""

    kind: str
    id: str
    iri: str
    catalog: str
    parent: str
    fields: dict[str, Any]
    links: dict[str, Any] = field(default_factory=dict)
    removed: bool = False


class Catalogue:
    """The rows of one organization (see the module docstring)."""

    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}
        self._children: dict[tuple[str, str], list[str]] = {}
        self.lock = threading.RLock()

    def add(self, row: Row) -> None:
        """Register ``row`` under its parent (and under its catalog when that differs)."""
        self._rows[row.id] = row
        self._children.setdefault((row.kind, row.parent), []).append(row.id)
        if row.catalog and row.catalog != row.parent:
            self._children.setdefault((row.kind, "catalog:" + row.catalog), []).append(row.id)

    def get(self, kind: str, row_id: str, *, removed: bool = False) -> Row | None:
        """The row ``row_id`` of ``kind`` (``None`` if unknown, other kind, or removed)."""
        row = self._rows.get(row_id)
        if row is None or row.kind != kind or (row.removed and not removed):
            return None
        return row

    def find(self, row_id: str) -> Row | None:
        """The row ``row_id`` of any kind, removed or not."""
        return self._rows.get(row_id)

    def children(self, kind: str, parent: str) -> list[Row]:
        """Live rows of ``kind`` under ``parent`` in creation order."""
        ids = self._children.get((kind, parent), [])
        return [row for row in (self._rows[i] for i in ids) if not row.removed]

    def in_catalog(self, kind: str, catalog_id: str) -> list[Row]:
        """Rows of ``kind`` anywhere under catalog ``catalog_id`` that are not removed."""
        direct = self.children(kind, catalog_id)
        return direct + self.children(kind, "catalog:" + catalog_id)

    def live(self, row: Row) -> bool:
        """Whether ``row`` and every row above it (up to its catalog) are not removed."""
        current: Row | None = row
        while current is not None:
            if current.removed:
                return False
            current = self._rows.get(current.parent) if current.parent else None
        return True

    def all(self, kind: str) -> list[Row]:
        """Live rows of ``kind`` in creation order."""
        return [row for row in self._rows.values() if row.kind == kind and not row.removed]

    def render(self, row: Row) -> dict[str, Any]:
        """The JSON-LD object of ``row`` as a collection member (no ``@context``)."""
        body: dict[str, Any] = {"@id": row.iri, "@type": JSONLD_TYPES[row.kind]}
        body.update(self._offer_fields(row) if row.kind == "offers" else row.fields)
        return body

    def render_top(self, row: Row) -> dict[str, Any]:
        """The JSON-LD object of ``row`` as an item response (with ``@context``)."""
        return {"@context": f"/contexts/{JSONLD_TYPES[row.kind]}", **self.render(row)}

    def _offer_fields(self, offer: Row) -> dict[str, Any]:
        product = self._rows.get(offer.links["product"])
        tickets = [self._rows[i] for i in offer.links["tickets"]]
        relations: dict[str, Any] = {
            "product": self.render(product) if product else offer.links["product_iri"],
            "tickets": [self.render(ticket) for ticket in tickets if not ticket.removed],
        }
        return dict(sorted({**offer.fields, **relations}.items(), key=_offer_key))

    def update(self, row_id: str, changes: dict[str, Any]) -> Row:
        """Overwrite plain fields of a row; raises ``KeyError`` for an unknown row or field."""
        with self.lock:
            row = self._rows[row_id]
            unknown = set(changes) - set(row.fields)
            if unknown:
                raise KeyError(f"{row.kind} has no field(s) {', '.join(sorted(unknown))}")
            row.fields.update(changes)
            return row

    def restore(self, row_id: str) -> Row:
        """List a removed row again; raises ``KeyError`` for an unknown row."""
        with self.lock:
            row = self._rows[row_id]
            row.removed = False
            return row

    def remove(self, row_id: str) -> Row:
        """Mark a row removed; raises ``KeyError`` for an unknown row."""
        with self.lock:
            row = self._rows[row_id]
            row.removed = True
            return row


_OFFER_ORDER = (
    "id",
    "date",
    "availabilityCheckRequired",
    "realtimePriceRequired",
    "price",
    "product",
    "tickets",
    "availableQuantity",
)


def _offer_key(item: tuple[str, Any]) -> int:
    key = item[0]
    return _OFFER_ORDER.index(key) if key in _OFFER_ORDER else len(_OFFER_ORDER)
