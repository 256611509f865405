"""The order documents stream: document metadata for orders whose documents are known only
from the IRIs listed on the order, or not yet downloadable, with a bounded number of requests
per run. Files are not downloaded."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.errors import NotFoundError
from korsync.models import OrderDocument
from korsync.sync.document_rows import document_rows
from korsync.sync.mapping import map_items, utcnow
from korsync.sync.runner import StreamRun


def pending_orders(session: Session, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Orders with a document never read, or one not downloadable yet, oldest first."""
    query = (
        select(OrderDocument.order_id)
        .where(
            OrderDocument.order_id.is_not(None),
            or_(
                OrderDocument.metadata_read_at.is_(None),
                OrderDocument.downloadable_at.is_(None),
                OrderDocument.downloadable_at > now,
            ),
        )
        .group_by(OrderDocument.order_id)
        .order_by(OrderDocument.order_id)
        .limit(limit)
    )
    return [order_id for order_id in session.scalars(query) if order_id is not None]


def sync_documents(
    client: ApiClient, sessions: sessionmaker[Session], max_requests: int = 200
) -> StreamRun:
    """Read the document list of up to ``max_requests`` pending orders."""
    with sessions() as session:
        orders = pending_orders(session, utcnow(), max_requests)
    with StreamRun(sessions, "documents", "pending") as run:
        run.details = {"orders": len(orders), "max_requests": max_requests}
        for order_id in orders:
            try:
                pages = list(client.iter_pages(f"/v1/booking/orders/{order_id}/documents"))
            except NotFoundError:
                continue  # the order is gone upstream; reconcile will tell
            items = [item for page in pages for item in page.items]
            rows, rejects = map_items(items, document_rows(order_id), utcnow())
            with run.transaction() as session:
                run.write(session, rows, rejects)
    return run
