"""Rejected items: an order the database refuses at write time is isolated (rejected alone, the
rest of its page and every later page commit, the watermark covering only stored orders); a
reject whose order later maps is marked resolved, and seen again it is open again; a rejected
key is logged shortened."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync import status
from korsync.models import Order, RejectedRecord, SyncRun
from korsync.sync import state
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))
REFUSED = "REFUSED"  # the reference the trigger below makes the database refuse

PG_REFUSE = [
    """CREATE FUNCTION refuse_marked_order() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.reference = 'REFUSED' THEN
            RAISE EXCEPTION 'value out of range' USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER refuse_marked_order BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION refuse_marked_order()""",
]
PG_ALLOW = [
    "DROP TRIGGER IF EXISTS refuse_marked_order ON orders",
    "DROP FUNCTION IF EXISTS refuse_marked_order()",
]
SQLITE_REFUSE = [
    """CREATE TRIGGER refuse_marked_order BEFORE INSERT ON orders
    WHEN NEW.reference = 'REFUSED' BEGIN SELECT RAISE(ABORT, 'value out of range'); END"""
]
SQLITE_ALLOW = ["DROP TRIGGER IF EXISTS refuse_marked_order"]


@pytest.fixture
def refusing(engine: Engine) -> Iterator[None]:
    """The database refuses any order whose reference is ``REFUSED``: a stand-in for a value
    that maps fine and that the column still cannot hold (what no mapping check foresaw)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for statement in PG_REFUSE if postgres else SQLITE_REFUSE:
            conn.execute(text(statement))
    yield
    with engine.begin() as conn:
        for statement in PG_ALLOW if postgres else SQLITE_ALLOW:
            conn.execute(text(statement))


def _serve_pages(upstream: Upstream, *pages: list[dict[str, Any]]) -> None:
    total = sum(map(len, pages))
    for number, members in enumerate(pages, start=1):
        url = ORDERS if number == 1 else f"{ORDERS}?page={number}"
        next_url = f"{ORDERS}?page={number + 1}" if number < len(pages) else None
        page = collection(ORDERS, members, next_url=next_url, total=total, page=number)
        upstream.serve(url, page)


def _sync(*pages: list[dict[str, Any]], sessions: sessionmaker[Session]) -> None:
    upstream = Upstream()
    _serve_pages(upstream, *pages)
    with upstream.client() as client:
        sync_orders(client, sessions, OPTIONS)


def _rejects(sessions: sessionmaker[Session]) -> dict[str, RejectedRecord]:
    with sessions() as session:
        return {r.record_key: r for r in session.scalars(select(RejectedRecord))}


def _created(order: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(order["createdAt"])


@pytest.mark.usefixtures("refusing")
def test_an_order_the_database_refuses_is_rejected_alone(
    sessions: sessionmaker[Session],
) -> None:
    """The database refuses two orders (one mid-page, one the newest of the last page): each
    lands in rejected_records with the server's first line only, every other order of both
    pages commits, the run succeeds, and the watermark is the newest order actually stored."""
    orders = sample_orders(6)
    orders[1]["reference"] = orders[5]["reference"] = REFUSED
    _sync(orders[:3], orders[3:], sessions=sessions)
    good = [orders[0], orders[2], orders[3], orders[4]]
    with sessions() as session:
        stored = set(session.scalars(select(Order.id)))
        (run,) = session.scalars(select(SyncRun)).all()
        watermark = state.watermark(session, "orders")
    rejects = _rejects(sessions)
    assert stored == {uuid.UUID(o["id"]) for o in good}
    assert (run.status, run.pages, run.rejects) == ("succeeded", 2, 2)
    assert run.rows_inserted > 0 and run.error is None
    assert watermark == max(_created(o) for o in good)
    assert set(rejects) == {orders[1]["id"], orders[5]["id"]}
    for reject in rejects.values():
        assert reject.raw["reference"] == REFUSED and reject.reason.startswith("refused by")
        assert "value out of range" in reject.reason
        assert orders[1]["customer"]["email"] not in reject.reason  # no statement parameters


@pytest.mark.usefixtures("refusing")
def test_a_refused_order_never_blocks_later_runs(sessions: sessionmaker[Session]) -> None:
    """Run after run the refused order is counted again in its one reject row, and the newer
    orders each run brings are stored."""
    orders = sample_orders(4)
    orders[0]["reference"] = REFUSED
    _sync(orders[:2], sessions=sessions)
    _sync(orders[:4], sessions=sessions)
    with sessions() as session:
        stored = set(session.scalars(select(Order.id)))
        runs = session.scalars(select(SyncRun).order_by(SyncRun.started_at)).all()
    assert stored == {uuid.UUID(o["id"]) for o in orders[1:]}
    assert [run.status for run in runs] == ["succeeded", "succeeded"]
    assert _rejects(sessions)[orders[0]["id"]].times_seen == 2


def test_a_reject_is_resolved_once_its_order_is_stored_and_reopened_if_seen_again(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """An order rejected by one run and mapped by a later one (here reconcile's) gets
    ``resolved_at``; ``status`` counts only unresolved rejects; rejected once more, the same
    row is open again."""
    orders = sample_orders(3)
    broken = {**orders[1], "createdAt": "yesterday"}
    _sync([orders[0], broken, orders[2]], sessions=sessions)
    assert status.collect(engine).rejected == 1

    upstream = Upstream()
    _serve_pages(upstream, orders)
    with upstream.client() as client:
        reconcile_orders(client, sessions, OPTIONS, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    reject = _rejects(sessions)[orders[1]["id"]]
    assert reject.resolved_at is not None and reject.times_seen == 1
    assert status.collect(engine).rejected == 0

    _sync([orders[0], broken, orders[2]], sessions=sessions)
    reject = _rejects(sessions)[orders[1]["id"]]
    assert reject.resolved_at is None and reject.times_seen == 2
    assert status.collect(engine).rejected == 1


def test_a_rejected_key_is_logged_shortened(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A key thousands of characters long is logged as its first 40 characters and an
    ellipsis; the reject row holds a bounded key that still tells such items apart."""
    orders = sample_orders(2)
    long_ids = ["a" * 5000 + "1", "a" * 5000 + "2"]
    bad = [{**orders[0], "id": long_ids[0]}, {**orders[1], "id": long_ids[1]}]
    with caplog.at_level(logging.WARNING, logger="korsync.sync"):
        _sync(bad, sessions=sessions)
    lines = [r.getMessage() for r in caplog.records if "rejected item" in r.getMessage()]
    assert len(lines) == 2
    assert all(line.startswith(f"orders: rejected item {'a' * 40}…: id:") for line in lines)
    keys = set(_rejects(sessions))
    assert len(keys) == 2 and all(len(key) <= 200 for key in keys)
