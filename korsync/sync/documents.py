"""The order documents stream: document metadata for orders whose documents are known only
from the IRIs listed on the order, or not yet downloadable, with a bounded number of requests
per run. Files are not downloaded.

Reads are fair: each attempt stamps the ``synced_at`` of the order's documents still pending
(for those, it is the time of the last attempt to read them, whether it succeeded, found the
order gone or failed), and each run takes orders never attempted first, then the least
recently attempted. Documents that never become downloadable thus take their turn instead of
the whole budget of every run. Every member of a document list that cannot be mirrored is a
rejected record.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.errors import NotFoundError
from korsync.api.pagination import Page
from korsync.models import Order, OrderDocument
from korsync.sync.document_rows import document_rows
from korsync.sync.mapping import Rejection, map_page, utcnow
from korsync.sync.rowset import RowSet
from korsync.sync.runner import StreamRun


def _pending(now: dt.datetime) -> ColumnElement[bool]:
    """A document never read, or not downloadable yet."""
    return or_(
        OrderDocument.metadata_read_at.is_(None),
        OrderDocument.downloadable_at.is_(None),
        OrderDocument.downloadable_at > now,
    )


def pending_orders(session: Session, now: dt.datetime, limit: int) -> list[uuid.UUID]:
    """Live orders (not marked deleted upstream, whose documents would only answer 404) with a
    pending document: those with one never attempted first (oldest order id first), then by
    their least recent attempt."""
    never = func.max(case((OrderDocument.synced_at.is_(None), 1), else_=0))
    query = (
        select(OrderDocument.order_id)
        .join(Order, Order.id == OrderDocument.order_id)
        .where(Order.deleted_at.is_(None), _pending(now))
        .group_by(OrderDocument.order_id)
        .order_by(never.desc(), func.min(OrderDocument.synced_at), OrderDocument.order_id)
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
            _read_order(client, run, order_id)
    return run


def _read_order(client: ApiClient, run: StreamRun, order_id: uuid.UUID) -> None:
    """Read and write one order's document list with its rejected members, and stamp the
    order's pending documents as attempted; a failed read is stamped too, then raised."""
    try:
        pages = list(client.iter_pages(f"/v1/booking/orders/{order_id}/documents"))
    except NotFoundError:
        pages = []  # the order is gone upstream; reconcile will tell
    except Exception:
        with run.transaction() as session:
            _stamp(session, order_id, utcnow())
        raise
    now = utcnow()
    rows, rejects = _mapped(pages, order_id, now)
    with run.transaction() as session:
        run.write(session, rows, rejects, pages=len(pages))
        _stamp(session, order_id, now)


def _mapped(
    pages: list[Page], order_id: uuid.UUID, now: dt.datetime
) -> tuple[RowSet, list[Rejection]]:
    """The rows of every page's documents, and every member that could not be mirrored."""
    rows, rejects = RowSet(), []
    for page in pages:
        page_rows, page_rejects = map_page(page, document_rows(order_id), now)
        rows.extend(page_rows)
        rejects += page_rejects
    return rows, rejects


def _stamp(session: Session, order_id: uuid.UUID, now: dt.datetime) -> None:
    """Record an attempt on the order's documents still pending."""
    session.execute(
        update(OrderDocument)
        .where(OrderDocument.order_id == order_id, _pending(now))
        .values(synced_at=now)
        .execution_options(synchronize_session=False)
    )
