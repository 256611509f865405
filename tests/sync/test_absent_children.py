"""Absent is not empty: a child list that an order, reservation, offer or form was sent without
(or sent as ``null``) keeps the stored children; only a list actually sent, ``[]`` included,
replaces them."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import (
    FormField,
    FormFieldChoice,
    OfferTicket,
    OrderItem,
    OrderItemTicket,
    RejectedRecord,
    ReservationItem,
    SyncRun,
)
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.orders import OrdersOptions, sync_orders
from korsync.sync.reservations import sync_reservations
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

OPTIONS = OrdersOptions(safety_margin=dt.timedelta(0))
RESERVATIONS = "/v1/booking/reservations"
CATALOGS = "/v1/ticketing/catalogs"


def _count(sessions: sessionmaker[Session], model: Any, **where: Any) -> int:
    query = select(func.count()).select_from(model).filter_by(**where)
    with sessions() as session:
        return session.scalar(query) or 0


def _runs(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        runs = session.scalars(select(SyncRun).order_by(SyncRun.started_at)).all()
        return [(run.status, run.error or "") for run in runs]


def _sync_orders_twice(
    sessions: sessionmaker[Session], first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> None:
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, first), collection(ORDERS, second))
    with upstream.client() as client:
        sync_orders(client, sessions, OPTIONS)
        sync_orders(client, sessions, OPTIONS)


@pytest.mark.parametrize("absent", ["missing", "null"])
def test_an_order_sent_without_items_keeps_its_items_and_tickets(
    sessions: sessionmaker[Session], absent: str
) -> None:
    """Orders read again without ``items`` (or with ``items: null``): every stored line and
    ticket stays, the order's other fields are updated, ``orders_as_sent`` still shows the
    lines, both runs succeed and nothing is rejected."""
    orders = sample_orders(12)
    lines = sum(len(o["items"]) for o in orders)
    tickets = sum(len(i["tickets"]) for o in orders for i in o["items"])
    bare = copy.deepcopy(orders)
    for order in bare:
        if absent == "missing":
            del order["items"]
        else:
            order["items"] = None
        order["status"] = "cancelled"
    _sync_orders_twice(sessions, orders, bare)
    assert (_count(sessions, OrderItem), _count(sessions, OrderItemTicket)) == (lines, tickets)
    assert _runs(sessions) == [("succeeded", ""), ("succeeded", "")]
    assert _count(sessions, RejectedRecord) == 0
    with sessions() as session:
        rebuilt = session.execute(text("SELECT id, raw FROM orders_as_sent")).all()
    by_id = {str(uuid.UUID(str(row.id))): _json(row.raw) for row in rebuilt}
    for order in orders:
        shown = by_id[order["id"]]
        assert shown["status"] == "cancelled"
        assert [i["id"] for i in shown["items"]] == [i["id"] for i in order["items"]]
        assert shown["items"][0]["tickets"] == order["items"][0]["tickets"]


def test_an_explicit_empty_list_removes_the_children(sessions: sessionmaker[Session]) -> None:
    """``items: []`` is the order saying it has no lines: its lines and tickets go; the
    other orders' stay."""
    orders = sample_orders(4)
    emptied = copy.deepcopy(orders)
    emptied[0]["items"] = []
    _sync_orders_twice(sessions, orders, emptied)
    order_id = uuid.UUID(orders[0]["id"])
    assert _count(sessions, OrderItem, order_id=order_id) == 0
    assert _count(sessions, OrderItemTicket, order_id=order_id) == 0
    assert _count(sessions, OrderItem) == sum(len(o["items"]) for o in orders[1:])


def test_an_item_sent_without_tickets_keeps_them_while_its_siblings_are_replaced(
    sessions: sessionmaker[Session],
) -> None:
    """In one order, an item without ``tickets`` keeps its tickets; a sibling whose ticket list
    was sent shorter loses the ticket it no longer lists."""
    order = next(o for o in sample_orders(12) if len(o["items"]) == 2)
    first, second = order["items"]
    assert len(first["tickets"]) > 1
    changed = copy.deepcopy(order)
    del changed["items"][1]["tickets"]
    changed["items"][0]["tickets"] = changed["items"][0]["tickets"][:1]
    _sync_orders_twice(sessions, [order], [changed])
    assert _count(sessions, OrderItemTicket, order_item_id=uuid.UUID(second["id"])) == len(
        second["tickets"]
    )
    assert _count(sessions, OrderItemTicket, order_item_id=uuid.UUID(first["id"])) == 1


def test_a_child_list_that_is_not_a_list_is_rejected_and_deletes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    """``items: "oops"`` is neither absent nor a list: the order is rejected with why and its
    stored lines stay."""
    orders = sample_orders(2)
    broken = copy.deepcopy(orders)
    broken[0]["items"] = "oops"
    _sync_orders_twice(sessions, orders, broken)
    assert _count(sessions, OrderItem) == sum(len(o["items"]) for o in orders)
    with sessions() as session:
        reject = session.scalars(select(RejectedRecord)).one()
    assert reject.record_key == orders[0]["id"] and "items: not a list" in reject.reason


def _reservation(items: Any) -> dict[str, Any]:
    reservation_id = str(uuid.uuid4())
    body: dict[str, Any] = {
        "@id": f"{RESERVATIONS}/{reservation_id}",
        "id": reservation_id,
        "createdAt": "2025-01-02T10:00:00+00:00",
        "expired": True,
        "status": "released",
    }
    if items is not ...:
        body["items"] = items
    return body


def test_a_reservation_sent_without_items_keeps_them(sessions: sessionmaker[Session]) -> None:
    """A reservation read again without ``items`` keeps its stored items; one read with
    ``items: []`` loses them."""
    lines = [{"date": "2025-02-01", "amountInclTax": "10.00"}] * 2
    kept, emptied = _reservation(lines), _reservation(lines)
    again = [{**kept}, {**emptied, "items": []}]
    del again[0]["items"]
    upstream = Upstream()
    upstream.serve(
        RESERVATIONS,
        collection(RESERVATIONS, [kept, emptied]),
        collection(RESERVATIONS, again),
    )
    with upstream.client() as client:
        sync_reservations(client, sessions)
        sync_reservations(client, sessions)
    assert _count(sessions, ReservationItem, reservation_id=uuid.UUID(kept["id"])) == 2
    assert _count(sessions, ReservationItem, reservation_id=uuid.UUID(emptied["id"])) == 0


def _catalogue(offer_tickets: Any, form_fields: Any) -> Upstream:
    """A one-catalog account on the newer model's offers: one offer whose tickets (and the
    form its ticket refers to) are as given; ``...`` leaves the list out."""
    catalog_id, offer_id, ticket_id, form_id = (str(uuid.UUID(int=n)) for n in (1, 2, 3, 4))
    offer: dict[str, Any] = {"id": offer_id, "date": "2025-03-01"}
    if offer_tickets is not ...:
        offer["tickets"] = [
            {"id": ticket_id, "dateAccess": True, "form": f"/v1/forms/{form_id}"}
        ] * offer_tickets
    form: dict[str, Any] = {"id": form_id, "code": "F"}
    if form_fields is not ...:
        form["fields"] = [
            {"id": str(uuid.UUID(int=5)), "type": "choice", "choices": ["a", "b"]}
        ] * form_fields
    upstream = Upstream()
    upstream.serve(CATALOGS, collection(CATALOGS, [{"id": catalog_id, "name": "C"}]))
    offers = f"{CATALOGS}/{catalog_id}/offers"
    upstream.serve(offers, collection(offers, [offer]))
    upstream.serve(f"/v1/forms/{form_id}", form)
    return upstream


def _refresh(sessions: sessionmaker[Session], upstream: Upstream) -> None:
    with upstream.client() as client:
        sync_catalogue(client, sessions)


def test_an_offer_without_tickets_and_a_form_without_fields_keep_their_children(
    sessions: sessionmaker[Session],
) -> None:
    """A complete refresh whose offer comes without ``tickets`` marks none of its tickets
    deleted, and a form read without ``fields`` keeps its fields and their choices."""
    _refresh(sessions, _catalogue(offer_tickets=1, form_fields=1))
    assert _count(sessions, FormFieldChoice) == 2
    _refresh(sessions, _catalogue(offer_tickets=..., form_fields=...))
    with sessions() as session:
        ticket = session.scalars(select(OfferTicket)).one()
    assert ticket.deleted_at is None
    assert (_count(sessions, FormField), _count(sessions, FormFieldChoice)) == (1, 2)
    assert [status for status, _ in _runs(sessions)] == ["succeeded", "succeeded"]


def test_empty_ticket_and_field_lists_remove_the_children(
    sessions: sessionmaker[Session],
) -> None:
    """``fields: []`` removes a form's fields, and ``tickets: []`` on a complete refresh says
    the offer's tickets are gone upstream."""
    _refresh(sessions, _catalogue(offer_tickets=1, form_fields=1))
    _refresh(sessions, _catalogue(offer_tickets=1, form_fields=0))
    assert (_count(sessions, FormField), _count(sessions, FormFieldChoice)) == (0, 0)
    _refresh(sessions, _catalogue(offer_tickets=0, form_fields=0))
    with sessions() as session:
        ticket = session.scalars(select(OfferTicket)).one()
    assert ticket.deleted_at is not None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
