"""The reporting views, checked against numbers computed independently from the source."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.db.schema_docs import EXAMPLE_QUERIES, render
from korsync.fake_api import Simulator
from korsync.models import metadata
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import make_client, make_sim

CENT = Decimal("0.01")


@pytest.fixture
def mirrored(engine: Engine, sessions: sessionmaker[Session]) -> Simulator:
    """A mirror of a small account in which a few orders were cancelled."""
    sim = make_sim(orders=150, history_days=20)
    for order in list(sim.orders_truth())[::7]:
        sim.cancel_order(order["id"])
    with make_client(sim) as client:
        sync_catalogue(client, sessions)
        sync_orders(client, sessions, OrdersOptions())
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
