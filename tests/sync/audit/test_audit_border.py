"""The audit against a broken or hostile upstream: counts without a usable ``totalItems`` fail
the audit with one line naming the window, a count that lies leaves its window differing (never
marks orders deleted on an incomplete walk), orders served outside their window do not prove
it, and ties served in another order on each request are still mirrored whole."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import AuditWindow, Order, SyncRun
from korsync.sync.audit import AuditError, audit_orders
from korsync.sync.orders import OrdersOptions
from tests.support.upstream import ORDERS, Upstream, filtering, sample_orders, with_id

OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))


def _created(order: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(order["createdAt"])


def _audit(upstream: Upstream, sessions: sessionmaker[Session], **kwargs: Any) -> Any:
    with upstream.client() as client:
        return audit_orders(client, sessions, OPTIONS, **kwargs)


def _mirror(sessions: sessionmaker[Session], orders: Sequence[dict[str, Any]]) -> None:
    """Mirror ``orders`` through an audit of an upstream that serves them faithfully."""
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders))
    assert _audit(upstream, sessions, until=dt.datetime.now(dt.UTC)).clean


def _live(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).select_from(Order).where(Order.deleted_at.is_(None))
        return session.scalar(query) or 0


@pytest.mark.parametrize(
    ("total", "why"),
    [
        (None, "missing"),
        ("many", "not a number"),
        (-3, "negative"),
        (True, "a boolean"),
        (10**15, "past a 32-bit count"),
    ],
)
def test_a_count_without_usable_total_items_fails_the_audit_naming_the_window(
    sessions: sessionmaker[Session], total: Any, why: str
) -> None:
    """A count answered without ``totalItems``, or with one that is not a non-negative
    number, cannot be audited: the audit fails naming the window, and is recorded failed."""
    orders = sample_orders(4)
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders, total=lambda n: total))
    with pytest.raises(AuditError, match=r"orders \[.*\): the API's answer has no usable"):
        _audit(upstream, sessions, until=dt.datetime.now(dt.UTC))
    with sessions() as session:
        run = session.scalars(select(SyncRun).where(SyncRun.stream == "audit")).one()
    assert run.status == "failed" and "totalItems" in (run.error or ""), why


def test_a_count_that_lies_leaves_its_window_differing_and_marks_nothing(
    sessions: sessionmaker[Session],
) -> None:
    """``totalItems`` one above what the API returns wherever it has orders: each of their
    hours is re-walked (three times: the last two find nothing new), nothing is marked
    deleted, and the windows are recorded ``differs``."""
    orders = sample_orders(6)
    _mirror(sessions, orders)
    start, end = _created(orders[0]), _created(orders[-1]) + dt.timedelta(seconds=1)
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders, total=lambda n: n + 1 if n else 0))
    outcome = _audit(upstream, sessions, since=start, until=end)
    hours = {max(start, _created(o).replace(minute=0, second=0)) for o in orders}
    assert sorted(w.start for w in outcome.differing) == sorted(hours)
    assert _live(sessions) == len(orders)
    with sessions() as session:
        differs = session.scalars(select(AuditWindow).where(AuditWindow.status == "differs")).all()
    assert differs and all(w.marked_deleted == 0 for w in differs)


def test_orders_served_outside_their_window_do_not_prove_it(
    sessions: sessionmaker[Session],
) -> None:
    """An API that adds orders of other dates to each page: those are written (they are
    orders), but the window is proven only by its own, so a mirror order missing from it is
    still marked deleted and nothing else is."""
    orders = sample_orders(6)
    _mirror(sessions, orders)
    stranger = with_id(orders[0], created_at=_created(orders[0]) - dt.timedelta(days=400))
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(orders[:5], extra=[stranger]))
    since = _created(orders[0])
    outcome = _audit(upstream, sessions, since=since, until=_created(orders[5]) + dt.timedelta(1))
    assert outcome.clean
    with sessions() as session:
        deleted = session.scalars(select(Order.id).where(Order.deleted_at.is_not(None))).all()
    assert [str(d) for d in deleted] == [orders[5]["id"]]


def test_ties_served_in_another_order_each_time_are_all_mirrored(
    sessions: sessionmaker[Session],
) -> None:
    """120 orders in one second, answered in a new random order on every request: one walk
    may see some twice and miss others, so the window is walked again until every order was
    read; all are inserted and none marked deleted."""
    base = sample_orders(1)[0]
    second = _created(base).replace(microsecond=0)
    ties = [with_id(base, created_at=second) for _ in range(120)]
    upstream = Upstream()
    upstream.serve(ORDERS, filtering(ties, shuffle=random.Random(5)))
    outcome = _audit(upstream, sessions, since=second, until=second + dt.timedelta(hours=1))
    assert outcome.clean
    assert _live(sessions) == 120
