"""The documents stream against a scripted upstream: documents that never become downloadable,
orders gone upstream or failing cannot take every run's budget, and every member of a document
list that cannot be mirrored is a rejected record."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.errors import ApiError
from korsync.models import OrderDocument, RejectedRecord, SyncRun
from korsync.sync.documents import sync_documents
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _documents_path(order: dict[str, Any]) -> str:
    return f"{ORDERS}/{order['id']}/documents"


def _document(order: dict[str, Any], downloadable_at: dt.datetime | None) -> dict[str, Any]:
    """The one document the order lists, as its document list returns it."""
    (iri,) = order["documents"]
    return {
        "@id": iri,
        "id": iri.rsplit("/", 1)[1],
        "downloadableAt": downloadable_at.isoformat() if downloadable_at else None,
    }


def _with_orders(count: int) -> tuple[Upstream, list[dict[str, Any]]]:
    """An upstream whose orders (each listing one document) are already mirrored."""
    orders = [o for o in sample_orders(3 * count) if len(o["documents"]) == 1][:count]
    assert len(orders) == count
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, orders))
    return upstream, orders


def _mirror_orders(upstream: Upstream, sessions: sessionmaker[Session]) -> None:
    with upstream.client() as client:
        sync_orders(client, sessions, OrdersOptions(safety_margin=dt.timedelta(0)))
    upstream.requests.clear()


def _read(upstream: Upstream, sessions: sessionmaker[Session], budget: int) -> list[str]:
    """One documents run; the order ids whose document list it asked for."""
    upstream.requests.clear()
    with upstream.client() as client:
        sync_documents(client, sessions, max_requests=budget)
    return [r.url.path.split("/")[-2] for r in upstream.requests]


def _runs(sessions: sessionmaker[Session]) -> list[SyncRun]:
    with sessions() as session:
        query = select(SyncRun).where(SyncRun.stream == "documents").order_by(SyncRun.started_at)
        return list(session.scalars(query))


def test_documents_never_downloadable_take_turns_with_newer_ones(
    sessions: sessionmaker[Session],
) -> None:
    """Four oldest orders whose document never becomes downloadable, one gone upstream (404)
    and one whose document is ready: with a budget of two, three runs read every order once
    (never-attempted first), the ready document is stored, and the fourth run starts again
    with the least recently attempted."""
    upstream, orders = _with_orders(6)
    _mirror_orders(upstream, sessions)
    for order in orders[:4]:
        path = _documents_path(order)
        upstream.serve(path, collection(path, [_document(order, None)]))
    ready = orders[5]
    upstream.serve(_documents_path(ready), collection("/", [_document(ready, NOW)]))
    ids = sorted((o["id"] for o in orders), key=uuid.UUID)
    rounds = [_read(upstream, sessions, budget=2) for _ in range(3)]
    assert rounds == [ids[:2], ids[2:4], ids[4:]]
    with sessions() as session:
        stored = session.get(OrderDocument, uuid.UUID(_document(ready, None)["id"]))
    assert stored is not None and stored.downloadable_at == NOW
    assert _read(upstream, sessions, budget=2) == ids[:2]
    assert [run.status for run in _runs(sessions)] == ["succeeded"] * 4


def test_an_order_whose_documents_fail_does_not_block_the_others(
    sessions: sessionmaker[Session],
) -> None:
    """A document list answering 500 fails its run (recorded with why), but counts as
    attempted: the next run reads the next order instead of failing on the same one."""
    upstream, orders = _with_orders(3)
    _mirror_orders(upstream, sessions)
    first, *others = sorted(orders, key=lambda o: uuid.UUID(o["id"]))
    upstream.serve(_documents_path(first), httpx.Response(500, json={"title": "boom"}))
    for order in others:
        path = _documents_path(order)
        upstream.serve(path, collection(path, [_document(order, NOW)]))
    with upstream.client() as client, pytest.raises(ApiError):
        sync_documents(client, sessions, max_requests=1)
    assert _read(upstream, sessions, budget=1) == [others[0]["id"]]
    assert [run.status for run in _runs(sessions)] == ["failed", "succeeded"]


def test_members_that_cannot_be_mirrored_are_rejected_records(
    sessions: sessionmaker[Session],
) -> None:
    """A document list holding a good document, a member without an id and one with an
    unreadable ``downloadableAt``: the good one is stored, both others are rejected records
    of the documents stream, and the run counts them."""
    upstream, (order,) = _with_orders(1)
    _mirror_orders(upstream, sessions)
    unreadable = {**_document(order, None), "id": str(uuid.uuid4()), "downloadableAt": "soon"}
    members = [_document(order, NOW), {"@type": "Document", "downloadableAt": None}, unreadable]
    path = _documents_path(order)
    upstream.serve(path, collection(path, members))
    _read(upstream, sessions, budget=5)
    with sessions() as session:
        rejects = session.scalars(select(RejectedRecord).order_by(RejectedRecord.reason)).all()
        stored = session.get(OrderDocument, uuid.UUID(members[0]["id"]))
    assert {r.stream for r in rejects} == {"documents"}
    assert ["downloadableAt" in r.reason for r in rejects] == [True, False]
    assert "no id" in rejects[1].reason
    assert stored is not None and stored.downloadable_at == NOW
    (run,) = _runs(sessions)
    assert run.status == "succeeded" and run.rejects == 2
