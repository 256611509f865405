"""The orders stream against a broken or hostile upstream: whatever it serves, the run ends,
is recorded with why, and the watermark covers only orders that were committed."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.errors import ForeignOriginError, PaginationError
from korsync.models import Order, SyncRun
from korsync.sync import state
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders


def _last_run(sessions: sessionmaker[Session]) -> SyncRun:
    with sessions() as session:
        runs = session.scalars(select(SyncRun).order_by(SyncRun.started_at)).all()
    assert len(runs) == 1
    return runs[0]


def _committed(sessions: sessionmaker[Session]) -> tuple[int, dt.datetime | None]:
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(Order)) or 0
        return count, state.watermark(session, "orders")


def test_cycling_pages_end_the_run_as_failed_with_the_first_pages_kept(
    sessions: sessionmaker[Session],
) -> None:
    """Two pages served in turn behind advancing links: the run fails naming why, nothing
    stays ``running``, both real pages are committed and the watermark is their newest."""
    orders = sample_orders(4)
    pages_ab = [orders[:2], orders[2:]]

    def alternate(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        body = collection(
            ORDERS, pages_ab[(number - 1) % 2], next_url=f"{ORDERS}?page={number + 1}", total=100
        )
        return httpx.Response(200, json=body)

    upstream = Upstream()
    upstream.serve(ORDERS, alternate)
    with upstream.client() as client, pytest.raises(PaginationError):
        sync_orders(client, sessions, OrdersOptions(safety_margin=dt.timedelta(0)))
    run = _last_run(sessions)
    assert run.status == "failed" and "brings no new item" in (run.error or "")
    count, watermark = _committed(sessions)
    assert count == 4
    assert watermark == max(dt.datetime.fromisoformat(o["createdAt"]) for o in orders)
    assert len(upstream.requests) == 3


def test_a_foreign_next_link_fails_the_run_and_reaches_no_other_host(
    sessions: sessionmaker[Session],
) -> None:
    """A ``next`` link to another host: the first page commits, the run fails with the refusal,
    and the other host never sees a request (nor the token)."""
    orders = sample_orders(3)
    upstream = Upstream()
    evil = "https://evil.test/v1/booking/orders?page=2"
    upstream.serve(ORDERS, collection(ORDERS, orders[:2], next_url=evil, total=3))
    upstream.serve(evil, collection(ORDERS, orders[2:], total=3, page=2))
    with upstream.client() as client, pytest.raises(ForeignOriginError):
        sync_orders(client, sessions, OrdersOptions(safety_margin=dt.timedelta(0)))
    run = _last_run(sessions)
    assert run.status == "failed" and "ForeignOriginError" in (run.error or "")
    assert _committed(sessions)[0] == 2
    assert upstream.seen("evil.test") == []
