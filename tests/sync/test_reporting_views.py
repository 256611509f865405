"""The reporting views, checked against numbers computed independently from the source."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import zoneinfo
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.db.reporting_zone import write_reporting_zone
from korsync.db.schema_docs import EXAMPLE_QUERIES, render
from korsync.fake_api import Simulator
from korsync.models import Order, metadata
from korsync.sync.audit import audit_orders
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import make_client, make_sim

CENT = Decimal("0.01")


@pytest.fixture
def mirrored(engine: Engine, sessions: sessionmaker[Session]) -> Simulator:
    """A mirror of a small account in which a few orders were cancelled, and a few others
    deleted upstream after the sync and marked ``deleted_at`` by an audit (the ground truth
    no longer holds them, so every view must leave them out)."""
    sim = make_sim(orders=150, history_days=20)
    orders = list(sim.orders_truth())
    for order in orders[::7]:
        sim.cancel_order(order["id"])
    with make_client(sim) as client:
        sync_catalogue(client, sessions)
        sync_orders(client, sessions, OrdersOptions())
        for order in orders[3:-3:11]:  # some cancelled too; none in the watermark's second
            sim.delete_order(order["id"])
        audit_orders(client, sessions, OrdersOptions())
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Order.deleted_at.is_not(None))) == len(
            orders[3:-3:11]
        )
    return sim


def _catalog(order: dict[str, Any]) -> str:
    product: str = order["items"][0]["product"]
    return product.split("/")[4]


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)))


def test_daily_sales_match_the_source(engine: Engine, mirrored: Simulator) -> None:
    """Per day and catalog: orders, cancellations, tickets, revenue and refunds add up."""
    expected: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    for order in mirrored.orders_truth():
        day = dt.datetime.fromisoformat(order["createdAt"]).astimezone(dt.UTC).date().isoformat()
        row = expected[(day, _catalog(order))]
        row["orders"] += 1
        if order["status"] == "cancelled":
            row["cancelled"] += 1
            row["refunded"] += Decimal(order["totalAmountInclTax"])
        else:
            row["tickets"] += sum(len(item["tickets"]) for item in order["items"])
            row["revenue"] += Decimal(order["totalAmountInclTax"])
            row["revenue_excl"] += Decimal(order["totalAmountExclTax"])
    got = {
        (str(r.day)[:10], str(uuid.UUID(str(r.catalog_id)))): r
        for r in _rows(engine, "SELECT * FROM daily_sales")
    }
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        row = got[key]
        assert (row.orders, row.cancelled_orders, row.tickets) == (
            want["orders"], want["cancelled"], want["tickets"]
        ), key  # fmt: skip
        assert _money(row.revenue_incl_tax) == want["revenue"]
        assert _money(row.revenue_excl_tax) == want["revenue_excl"]
        assert _money(row.refunded_incl_tax) == want["refunded"]
    assert sum(w["cancelled"] for w in expected.values()) > 0


def test_order_lines_have_one_row_per_item_with_names(engine: Engine, mirrored: Simulator) -> None:
    """order_lines has every order line once, with catalog and product names and the
    cancelled flag of its order."""
    names = {
        row["id"]: row.get("name")
        for rows in mirrored.catalogue_truth().values()
        for row in rows
        if "id" in row
    }
    lines = {
        str(uuid.UUID(str(r.order_item_id))): r for r in _rows(engine, "SELECT * FROM order_lines")
    }
    orders = list(mirrored.orders_truth())
    assert len(lines) == sum(len(o["items"]) for o in orders)
    for order in orders:
        for item in order["items"]:
            line = lines[item["id"]]
            assert bool(line.is_cancelled) == (order["status"] == "cancelled")
            assert line.catalog_name == names[_catalog(order)]
            assert line.product_name == names[item["product"].rsplit("/", 1)[1]]
            assert line.tickets == len(item["tickets"])
            assert _money(line.total_amount_incl_tax) == Decimal(item["totalAmountInclTax"])


def test_session_sales_match_the_source(engine: Engine, mirrored: Simulator) -> None:
    """Per offer: tickets sold and revenue of orders not cancelled for its product and date."""
    sold: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for order in mirrored.orders_truth():
        if order["status"] == "cancelled":
            continue
        for item in order["items"]:
            key = (item["product"].rsplit("/", 1)[1], item["date"])
            sold[key][0] += item["quantity"]
            sold[key][1] += Decimal(item["totalAmountInclTax"])
    offers = mirrored.catalogue_truth()["offers"]
    rows = {
        str(uuid.UUID(str(r.offer_id))): r for r in _rows(engine, "SELECT * FROM session_sales")
    }
    assert rows.keys() == {offer["id"] for offer in offers}
    matched = 0
    for offer in offers:
        product = (
            offer["product"]["id"]
            if isinstance(offer["product"], dict)
            else offer["product"].rsplit("/", 1)[1]
        )
        tickets, revenue = sold.get((product, offer["date"]), [Decimal(0), Decimal(0)])
        row = rows[offer["id"]]
        assert (row.tickets_sold, _money(row.revenue_incl_tax)) == (tickets, revenue.quantize(CENT))
        assert row.available_quantity == offer.get("availableQuantity")
        matched += tickets > 0
    assert matched > 0, "no offer had sales: the check proved nothing"


def _id(value: Any) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def _instant(value: Any) -> dt.datetime | None:
    """A timestamp as either database hands it back in raw SQL, as aware UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _last_id(iri: str, parent: str) -> str:
    """The id after ``/parent/`` in an IRI."""
    parts = iri.split("/")
    return parts[parts.index(parent) + 1]


SlotKey = tuple[str, str | None, str | None, dt.datetime | None]


def _slots_truth(sim: Simulator) -> dict[SlotKey, dict[str, Any]]:
    """Per (product, date, event, slot start): orders, tickets and revenue of orders not
    cancelled, each line's total shared by its tickets (a line without tickets whole)."""
    slots: dict[SlotKey, dict[str, Any]] = defaultdict(
        lambda: {"orders": set(), "tickets": 0, "revenue": Decimal(0)}
    )
    for order in sim.orders_truth():
        if order["status"] == "cancelled":
            continue
        for item in order["items"]:
            product, total = item["product"].rsplit("/", 1)[1], Decimal(item["totalAmountInclTax"])
            for ticket in item["tickets"] or [None]:
                event = ticket.get("event") if ticket else None
                starts = _instant(ticket["occursAt"]) if ticket else None
                key = (product, item["date"], event and event.rsplit("/", 1)[1], starts)
                slot = slots[key]
                slot["orders"].add(order["id"])
                slot["tickets"] += ticket is not None
                slot["revenue"] += total / len(item["tickets"]) if ticket else total
    return slots


def _sessions_truth(sim: Simulator) -> tuple[dict[Any, list[str]], dict[Any, list[str]]]:
    """Older-model sessions by (event, start) and newer-model slots by (offer, start)."""
    catalogue = sim.catalogue_truth()
    by_event: dict[Any, list[str]] = defaultdict(list)
    for session in catalogue["sessions"]:
        key = (_last_id(session["@id"], "events"), _instant(session["startsAt"]))
        by_event[key].append(session["id"])
    by_offer: dict[Any, list[str]] = defaultdict(list)
    for slot in catalogue["ticket_sessions"]:
        key = (_last_id(slot["@id"], "offers"), _instant(slot["startsAt"]))
        by_offer[key].append(slot["id"])
    return by_event, by_offer


def _offers_truth(sim: Simulator) -> dict[tuple[str, str | None], str]:
    offers = {}
    for offer in sim.catalogue_truth()["offers"]:
        product = offer["product"]
        product_id = product["id"] if isinstance(product, dict) else product.rsplit("/", 1)[1]
        offers[(product_id, offer["date"])] = offer["id"]
    return offers


def test_slot_sales_match_the_source(engine: Engine, mirrored: Simulator) -> None:
    """Per product, date and time slot, on both catalogue models: orders, tickets and revenue
    of orders not cancelled, the offer, and the session starting then when exactly one does."""
    truth = _slots_truth(mirrored)
    by_event, by_offer = _sessions_truth(mirrored)
    offers = _offers_truth(mirrored)
    rows = {
        (_id(r.product_id), r.offer_date and str(r.offer_date)[:10], _id(r.event_id),
         _instant(r.slot_starts_at)): r
        for r in _rows(engine, "SELECT * FROM slot_sales")
    }  # fmt: skip
    assert rows.keys() == truth.keys()
    for key, want in truth.items():
        row, (product, day, event, starts) = rows[key], key
        assert (row.orders, row.tickets) == (len(want["orders"]), want["tickets"]), key
        assert abs(Decimal(str(row.revenue_incl_tax)) - want["revenue"]) <= CENT, key
        offer = offers.get((product, day))
        assert _id(row.offer_id) == offer
        sessions = by_event.get((event, starts), [])
        assert _id(row.session_id) == (sessions[0] if len(sessions) == 1 else None), key
        slots = by_offer.get((offer, starts), [])
        assert _id(row.offer_ticket_session_id) == (slots[0] if len(slots) == 1 else None), key
    assert any(r.session_id is not None for r in rows.values()), "no older-model session"
    assert any(r.offer_ticket_session_id is not None for r in rows.values()), "no newer slot"


def test_slot_sales_revenue_adds_up_to_the_order_lines(engine: Engine, mirrored: Simulator) -> None:
    """Shared out over slots, revenue still sums to the lines' revenue (none lost or doubled)."""
    (slots,) = _rows(engine, "SELECT SUM(revenue_incl_tax), SUM(tickets) FROM slot_sales")
    (lines,) = _rows(
        engine,
        "SELECT SUM(total_amount_incl_tax), SUM(tickets) FROM order_lines WHERE NOT is_cancelled",
    )
    assert abs(Decimal(str(slots[0])) - Decimal(str(lines[0]))) <= Decimal("0.05")
    assert slots[1] == lines[1] > 0


def test_order_lines_name_the_activity_on_both_models(engine: Engine, mirrored: Simulator) -> None:
    """activity_name is the product base's name (newer model) or the event's (older model),
    filled on every line of a mirrored product."""
    lines = _rows(engine, "SELECT product_base_name, event_name, activity_name FROM order_lines")
    assert lines
    for line in lines:
        assert line.activity_name == (line.product_base_name or line.event_name)
        assert line.activity_name is not None
    assert {line.product_base_name is None for line in lines} == {True, False}


@pytest.fixture
def long_mirror(engine: Engine, sessions: sessionmaker[Session]) -> Simulator:
    """A mirror of 250 days of orders: every such span crosses a daylight-saving change."""
    sim = make_sim(orders=150, history_days=250)
    for order in list(sim.orders_truth())[::9]:
        sim.cancel_order(order["id"])
    with make_client(sim) as client:
        sync_orders(client, sessions, OrdersOptions())
    return sim


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Kiritimati"])
def test_days_are_counted_in_the_reporting_zone(
    engine: Engine, long_mirror: Simulator, zone: str
) -> None:
    """daily_sales.day and order_lines.order_day are the local day of creation in the zone
    written to the database, daylight-saving changes included, on both databases."""
    assert write_reporting_zone(engine, zone)
    local = zoneinfo.ZoneInfo(zone)
    per_day: dict[str, int] = defaultdict(int)
    order_days, offsets = {}, set()
    for order in long_mirror.orders_truth():
        created = dt.datetime.fromisoformat(order["createdAt"]).astimezone(local)
        per_day[created.date().isoformat()] += 1
        order_days[order["id"]] = created.date().isoformat()
        offsets.add(created.utcoffset())
    got: dict[str, int] = defaultdict(int)
    for row in _rows(engine, "SELECT day, orders FROM daily_sales"):
        got[str(row.day)[:10]] += row.orders
    assert got == per_day
    lines = _rows(engine, "SELECT DISTINCT order_id, order_day FROM order_lines")
    assert {_id(r.order_id): str(r.order_day)[:10] for r in lines} == order_days
    utc_days = {
        o["id"]: dt.datetime.fromisoformat(o["createdAt"]).astimezone(dt.UTC).date().isoformat()
        for o in long_mirror.orders_truth()
    }
    assert utc_days != order_days, "no order changes day: the zone was not tested"
    if zone == "America/New_York":
        assert len(offsets) == 2, "the orders span no daylight-saving change"


def test_writing_the_same_zone_again_changes_nothing(engine: Engine) -> None:
    """The zone's rows are written once; writing the same zone again is a no-op, another
    zone replaces them."""
    assert write_reporting_zone(engine, "Europe/Paris")
    assert not write_reporting_zone(engine, "Europe/Paris")
    (count,) = _rows(engine, "SELECT COUNT(*), MIN(zone), MAX(zone) FROM reporting_timezone")
    assert count[0] > 100 and count[1] == count[2] == "Europe/Paris"
    assert write_reporting_zone(engine, "UTC")
    assert [tuple(r) for r in _rows(engine, "SELECT zone, utc_offset_minutes FROM "
                                    "reporting_timezone")] == [("UTC", 0)]  # fmt: skip


@pytest.mark.parametrize("title", list(EXAMPLE_QUERIES))
def test_documented_example_queries_run(engine: Engine, mirrored: Simulator, title: str) -> None:
    """Every example query in docs/schema.md runs on this dialect and answers something."""
    rows = _rows(engine, EXAMPLE_QUERIES[title])
    if title != "Offers nearly sold out":  # depends on the stock the simulator drew
        assert rows, title


def test_schema_docs_are_current() -> None:
    """docs/schema.md is exactly what ``korsync db docs`` generates from the models."""
    path = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
    assert path.read_text(encoding="utf-8") == render(metadata), "run: korsync db docs"


def test_a_zone_postgres_does_not_know_is_refused_and_nothing_changes(pg_engine: Engine) -> None:
    """PostgreSQL has its own zone database: a name it lacks is a ValueError naming the zone,
    and the views keep the zone they had."""
    assert write_reporting_zone(pg_engine, "Europe/Paris")
    with pytest.raises(ValueError, match="PostgreSQL does not know the time zone 'Mars/Olympus'"):
        write_reporting_zone(pg_engine, "Mars/Olympus")
    (row,) = _rows(pg_engine, "SELECT MIN(zone), MAX(zone) FROM reporting_timezone")
    assert tuple(row) == ("Europe/Paris", "Europe/Paris")


def test_writers_at_once_leave_one_zone(pg_engine: Engine) -> None:
    """Processes starting together (the daemon and a sync) each write their zone without
    failing on the other's rows; the table ends with one zone's rows only."""
    errors: list[BaseException] = []

    def write(zone: str) -> None:
        try:
            write_reporting_zone(pg_engine, zone)
        except BaseException as exc:  # reported below, with the zone that failed
            errors.append(exc)

    for _ in range(5):
        threads = [
            threading.Thread(target=write, args=(z,)) for z in ("Asia/Tokyo", "Europe/Paris")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        (row,) = _rows(pg_engine, "SELECT COUNT(DISTINCT zone) FROM reporting_timezone")
        assert row[0] == 1
    assert not errors
