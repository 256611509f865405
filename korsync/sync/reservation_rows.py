"""How a reservation becomes rows: the reservation, its items (with ids derived from the
reservation and their position), and placeholders for the catalog, offers and products they
point at.

A reservation sent without ``items`` (or with ``"items": null``) keeps its stored items; only
a list actually sent, ``[]`` included, replaces them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from korsync.sync import values as v
from korsync.sync.rowset import RowSet, child_list

ITEM_NAMESPACE = uuid.UUID("9b3c1f0e-55a4-4d0c-9d7e-6c1c2f7a9e10")


def reservation_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    """Rows for one reservation and its items (whose ids derive from reservation + position)."""
    rows = RowSet()
    reservation_id = v.item_id(item)
    catalog_id = v.ref(item, "catalog")
    rows.placeholder("catalogs", catalog_id)
    rows.add(
        "reservations",
        {
            "id": reservation_id,
            "catalog_id": catalog_id,
            "organization_id": v.ref(item, "organization"),
            "order_id": v.ref(item, "order"),
            "created_at": v.timestamp(item, "createdAt"),
            "expires_at": v.timestamp(item, "expiresAt"),
            "expired": v.boolean(item, "expired"),
            "total_amount_incl_tax": v.money(item, "totalAmountInclTax"),
            "total_amount_excl_tax": v.money(item, "totalAmountExclTax"),
            "seats_arrangement": v.text(item, "seatsArrangement"),
            "releasable": v.boolean(item, "releasable"),
            "status": v.text(item, "status"),
            "raw": dict(item),
            "synced_at": now,
        },
    )
    items = child_list(item, "items")
    if items is None:
        rows.keep_children("reservation", reservation_id, "items")
    else:
        rows.replace_children("reservation_items", "reservation_id", reservation_id)
    for position, line in enumerate(items or []):
        if not isinstance(line, Mapping):
            raise v.MappingError(f"items[{position}]: not an object")
        rows.add("reservation_items", _item(rows, line, position, reservation_id, now))
    return rows


def _item(
    rows: RowSet,
    line: Mapping[str, Any],
    position: int,
    reservation_id: uuid.UUID,
    now: dt.datetime,
) -> dict[str, Any]:
    offer_id, product_id = v.ref(line, "offer"), v.ref(line, "product")
    catalog_id = v.ref_parents(line, "offer").get("catalog")
    rows.placeholder("offers", offer_id, catalog_id=catalog_id)
    rows.placeholder("products", product_id, catalog_id=catalog_id)
    return {
        "id": uuid.uuid5(ITEM_NAMESPACE, f"{reservation_id}/{position}"),
        "reservation_id": reservation_id,
        "position": position,
        "offer_id": offer_id,
        "product_id": product_id,
        "date": v.date(line, "date"),
        "amount_incl_tax": v.money(line, "amountInclTax"),
        "amount_excl_tax": v.money(line, "amountExclTax"),
        "raw": dict(line),
        "synced_at": now,
    }
