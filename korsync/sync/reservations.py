"""The reservations stream: newest first, stopping once a page holds only known reservations
that can no longer change; everything newer than the oldest open one is read again, so
``order``, ``status`` and ``expired`` stay current."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.models import Reservation
from korsync.sync import values as v
from korsync.sync.rowset import RowSet
from korsync.sync.runner import StreamRun, map_page, utcnow

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
    rows.replace_children("reservation_items", "reservation_id", reservation_id)
    for position, line in enumerate(item.get("items") or []):
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


def _open_horizon(session: Session) -> dt.datetime | None:
    """createdAt of the oldest reservation that may still change (not expired, not ordered)."""
    query = select(func.min(Reservation.created_at)).where(
        Reservation.order_id.is_(None),
        Reservation.expired.is_not(True),
        or_(Reservation.status.is_(None), Reservation.status != "released"),
    )
    return session.scalar(query)


def sync_reservations(client: ApiClient, sessions: sessionmaker[Session]) -> StreamRun:
    """Walk reservations newest first until only settled, known ones remain."""
    with sessions() as session:
        horizon = _open_horizon(session)
    with StreamRun(sessions, "reservations", "newest-first") as run:
        for page in client.iter_pages("/v1/booking/reservations", {"order[createdAt]": "desc"}):
            rows, rejects = map_page(page, reservation_rows, utcnow())
            seen = rows.rows.get("reservations", [])
            with run.transaction() as session:
                ids = [row["id"] for row in seen]
                known = set(session.scalars(select(Reservation.id).where(Reservation.id.in_(ids))))
                run.write(session, rows, rejects)
            if _settled(seen, known, horizon):
                break
    return run


def _settled(
    rows: list[dict[str, Any]], known: set[uuid.UUID], horizon: dt.datetime | None
) -> bool:
    if not rows or any(row["id"] not in known for row in rows):
        return False
    oldest = min((row["created_at"] for row in rows if row["created_at"]), default=None)
    return horizon is None or (oldest is not None and oldest < horizon)
