"""The reservations stream: newest first, stopping once a page holds only known reservations
that can no longer change; everything newer than the oldest open one is read again, so
``order``, ``status`` and ``expired`` stay current."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.models import Reservation
from korsync.sync.pages import MappedPage, PageCommits
from korsync.sync.reservation_rows import reservation_rows
from korsync.sync.runner import StreamRun


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
    known: set[uuid.UUID] = set()

    def read_known(session: Session, mapped: MappedPage) -> None:
        """Which of the page's reservations were stored before this page wrote them."""
        ids = [row["id"] for row in mapped.rows.rows.get("reservations", [])]
        known.clear()
        known.update(session.scalars(select(Reservation.id).where(Reservation.id.in_(ids))))

    with StreamRun(sessions, "reservations", "newest-first") as run:
        pages = client.iter_pages("/v1/booking/reservations", {"order[createdAt]": "desc"})
        for mapped in PageCommits(run, pages, reservation_rows, read_known):
            if _settled(mapped.rows.rows.get("reservations", []), known, horizon):
                break
    return run


def _settled(
    rows: list[dict[str, Any]], known: set[uuid.UUID], horizon: dt.datetime | None
) -> bool:
    if not rows or any(row["id"] not in known for row in rows):
        return False
    oldest = min((row["created_at"] for row in rows if row["created_at"]), default=None)
    return horizon is None or (oldest is not None and oldest < horizon)
