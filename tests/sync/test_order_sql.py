"""The orders PostgreSQL writes from the page's JSON (``order_sql``) are the rows ``order_rows``
builds in Python, value for value, history included.

Each case writes the same orders twice into one emptied schema, once through ``order_rows`` and
``rowset.write`` and once through ``order_sql``, and compares every mirrored table and its
history (less validity times) and the counts. ``order_sql`` may leave an order to Python (it
finds it unclean, or the server refuses its page), never store one differently: the variants
put every field of an order, an item, a ticket and a beneficiary through odd values, and each
order ``order_sql`` accepts must be one ``order_rows`` maps whole, into the same rows.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from korsync.db.upsert import UpsertResult
from korsync.models import metadata
from korsync.sync import order_sql
from korsync.sync import rowset as rs
from korsync.sync.mapping import map_each, merged
from korsync.sync.order_rows import order_rows
from tests.support.upstream import sample_orders

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
TABLES = ("catalogs", "products", "events", "orders", "order_items", "order_item_tickets")
MIRRORED = (*TABLES, "order_documents")
HISTORY = tuple(f"{name}_history" for name in TABLES)
NS = uuid.UUID("6f1c2a64-2b0e-4c55-9d8e-0a1b2c3d4e5f")
C, P, E = (str(uuid.uuid5(NS, name)) for name in ("catalog", "product", "event"))
PRODUCT = f"/v1/ticketing/catalogs/{C}/products/{P}"
EVENT = f"/v1/ticketing/catalogs/{C}/events/{E}"
Dump = dict[str, list[tuple[Any, ...]]]


class Refused(Exception):
    """The database refused the rows (the page would go to Python whole)."""


def _empty(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))


def _dump(engine: Engine) -> Dump:
    dump: Dump = {}
    with engine.connect() as connection:
        for name in MIRRORED:
            dump[name] = [tuple(row) for row in connection.execute(text(f"TABLE {name}"))]
        for name in HISTORY:
            table = metadata.tables[name]
            columns = [c.name for c in table.columns if c.name not in ("valid_to", "run_id")]
            columns.remove("valid_from")
            rows = connection.execute(text(f"SELECT {', '.join(columns)} FROM {name}"))
            dump[name] = [tuple(row) for row in rows]
    return {name: sorted(rows, key=repr) for name, rows in dump.items()}


def _in_python(session: Session, orders: Sequence[Any]) -> UpsertResult:
    mapped, rejects = map_each(orders, order_rows, NOW)
    assert rejects == [], "order_sql accepted an order order_rows does not map whole"
    return rs.write(session, merged(mapped))


def _in_sql(session: Session, orders: Sequence[Any]) -> UpsertResult:
    encoded = order_sql.encode(orders)
    assert encoded is not None
    unclean, result = order_sql.write(session, encoded, NOW)
    assert unclean == []
    return result


def _run(engine: Engine, pages: Sequence[Sequence[Any]], write: Any) -> tuple[Dump, list[Any]]:
    """Write ``pages`` one transaction each; the tables after, and each page's counts."""
    _empty(engine)
    counts = []
    for page in pages:
        try:
            with Session(engine) as session, session.begin():
                counts.append(write(session, page))
        except Exception as exc:
            if not order_sql.falls_back(exc):
                raise
            raise Refused(str(exc)) from exc
    return _dump(engine), counts


def _assert_same(engine: Engine, pages: Sequence[Sequence[Any]]) -> None:
    """Both paths store ``pages`` alike."""
    in_sql = _run(engine, pages, _in_sql)
    in_python = _run(engine, pages, _in_python)
    assert in_sql[1] == in_python[1]
    for name in in_python[0]:
        assert in_sql[0][name] == in_python[0][name], name


def _fresh(order: dict[str, Any], n: int) -> dict[str, Any]:
    """``order`` under ids of its own (``n``), so that many can share a page."""
    order = copy.deepcopy(order)
    order["id"] = str(uuid.uuid5(NS, f"order/{n}"))
    for position, line in enumerate(order.get("items") or []):
        line["id"] = str(uuid.uuid5(NS, f"order/{n}/{position}"))
        for index, ticket in enumerate(line.get("tickets") or []):
            ticket["id"] = str(uuid.uuid5(NS, f"order/{n}/{position}/{index}"))
    order["documents"] = [f"/v1/booking/documents/{uuid.uuid5(NS, f'doc/{n}')}"]
    return order


def _full() -> dict[str, Any]:
    """An order with every field the mapping reads filled, a beneficiary and an event."""
    order = sample_orders(1)[0]
    order |= {"notes": "n", "catalog": f"/v1/ticketing/catalogs/{C}", "cancelledAt": None}
    line = order["items"][0]
    line["product"] = PRODUCT
    ticket = line["tickets"][0]
    ticket |= {"event": EVENT, "beneficiaryDesignationDeadline": "2024-07-18T18:00:00+00:00"}
    ticket["beneficiary"] = {
        "title": "mr",
        "firstname": "Zoë",
        "lastname": "Smith 🎟",
        "email": "b@example.com",
        "phone": "+33600000000",
        "nationality": "FR",
        "dateOfBirth": "1976-04-12",
        "placeOfBirth": "Lyon",
    }
    return order


UUID_VALUE = "0194cb23-170e-71f0-b4bb-0a7e644dea34"
ODD: list[Any] = [
    *(None, "", " ", "x", 0, 1, -1, 2.0, 2.5, 1e2, True, False, [], {}, ["a"], {"a": 1}),
    *("12.345", "12.340", "12.3", "-0", "0012.50", " 12.5", "1e2", "NaN", "9999999999.99"),
    *("10000000000", "-9999999999.99", "3", 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 10**18),
    *("2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z", "2024-13-01"),
    *("0001-01-01T00:00:00Z", "0002-01-01T00:00:00+23:59", "9998-12-31T23:59:59-23:59"),
    *("9999-12-31T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00.1234567Z"),
    *("2024-01-01T00:00:00.5+02:00", "2024-01-01T00:00:00+16:00", "2024-01-01", "0000-01-01"),
    *("2024-01-01 00:00:00Z", "2024-W01-1", "20240101", "2024-01-01T00:00:00Zjunk"),
    *(UUID_VALUE.upper(), f"{{{UUID_VALUE}}}", f"urn:uuid:{UUID_VALUE}", f" {UUID_VALUE} "),
    *(UUID_VALUE.replace("-", ""), f"/v1/organizations/{UUID_VALUE}", f"/{UUID_VALUE}"),
    *(f"https://example.com/v1/x/{UUID_VALUE}", f"/v1/x/{UUID_VALUE}?a=1", f"//h/{UUID_VALUE}"),
    *(f"/v1/x//{UUID_VALUE}", f"/v1/x y/{UUID_VALUE}", f"/v1/x/{UUID_VALUE}/", PRODUCT, EVENT),
    *(PRODUCT.upper(), f"/v1/ticketing/catalogs/{C}/products/{P}x", {"@id": PRODUCT}),
    *({"id": UUID_VALUE}, "/.well-known/genid/abc", "hmac-sha256:0a1b", "a" * 500, "a" * 501),
    *("é" * 500, "\U0001f39f" * 501, "true", "null", ["firstname"], [{"a": 1}]),
]
GONE = object()  # the field removed
FIELDS: list[tuple[str | int, ...]] = [
    *((name,) for name in ("id", "createdAt", "organization", "reservation", "catalog")),
    *((name,) for name in ("reference", "externalReference", "connectorReference", "status")),
    *((name,) for name in ("cancelledAt", "totalAmountInclTax", "notes", "customer")),
    *(("customer", name) for name in ("firstname", "email", "optin", "country")),
    ("items",),
    ("documents",),
    *(("items", 0, name) for name in ("id", "product", "date", "quantity", "amountInclTax")),
    ("items", 0, "tickets"),
    *(("items", 0, "tickets", 0, name) for name in ("id", "event", "voucher", "occursAt")),
    *(("items", 0, "tickets", 0, name) for name in ("status", "requiredBeneficiaryFields")),
    *(("items", 0, "tickets", 0, name) for name in ("beneficiaryAmendable", "beneficiary")),
    ("items", 0, "tickets", 0, "beneficiaryDesignationDeadline"),
    *(("items", 0, "tickets", 0, "beneficiary", name) for name in ("firstname", "dateOfBirth")),
    ("items", 0, "tickets", 0, "beneficiary", "placeOfBirth"),
]


def _variant(path: tuple[Any, ...], value: Any, n: int) -> dict[str, Any]:
    order = _fresh(_full(), n)
    if path == ("documents",) and value is GONE:
        del order["documents"]
        return order
    parent: Any = order
    for step in path[:-1]:
        parent = parent[step]
    if value is GONE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return order


def _variants(path: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The full order with ``path`` removed, then set to each odd value, under ids of its own."""
    first = FIELDS.index(path) * 1000
    return [_variant(path, value, first + n) for n, value in enumerate([GONE, *ODD])]


def _clean(engine: Engine, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The orders ``order_sql`` finds plain (those it writes; nothing is kept). Where the server
    refuses the page, each order is tried alone, and one it refuses is left out too."""
    encoded = order_sql.encode(orders)
    assert encoded is not None
    with Session(engine) as session, session.begin():
        try:
            with session.begin_nested():
                skip = set(order_sql.write(session, encoded, NOW)[0])
        except Exception as exc:
            if not order_sql.falls_back(exc) or len(orders) == 1:
                raise
            return [order for order in orders if _takes(engine, order)]
        session.rollback()
    return [order for index, order in enumerate(orders) if index not in skip]


def _takes(engine: Engine, order: dict[str, Any]) -> bool:
    try:
        return _clean(engine, [order]) == [order]
    except Exception as exc:
        if not order_sql.falls_back(exc):
            raise
        return False


def test_the_simulators_orders_are_all_written_in_sql_as_in_python(pg_engine: Engine) -> None:
    """Every order of the simulator is plain (``order_sql`` writes them all), and the rows are
    the same; written again, all are unchanged."""
    orders = sample_orders(120)
    pages = [orders[:60], orders[60:], orders[:60]]
    assert _clean(pg_engine, orders) == orders
    _assert_same(pg_engine, pages)
    _, counts = _run(pg_engine, pages, _in_sql)
    assert counts[2].unchanged == counts[0].inserted > 0
    assert (counts[2].inserted, counts[2].updated) == (0, 0)


def test_an_order_with_every_field_filled_is_written_alike(pg_engine: Engine) -> None:
    orders = [_fresh(_full(), n) for n in range(3)]
    assert _clean(pg_engine, orders) == orders
    _assert_same(pg_engine, [orders])


def test_every_odd_value_is_left_to_python_or_written_alike(pg_engine: Engine) -> None:
    """Over every field of ``FIELDS`` and each odd value: what ``order_sql`` takes, it stores as
    ``order_rows`` does; it takes the plain forms at least (the full order's own values)."""
    _empty(pg_engine)
    accepted = [order for path in FIELDS for order in _clean(pg_engine, _variants(path))]
    assert 0.1 * len(FIELDS) * len(ODD) < len(accepted) < len(FIELDS) * len(ODD)
    for start in range(0, len(accepted), 250):
        _assert_same(pg_engine, [accepted[start : start + 250]])


def _changed(order: dict[str, Any]) -> dict[str, Any]:
    order = copy.deepcopy(order)
    order["status"] = "cancelled"
    order["cancelledAt"] = "2024-07-01T10:00:00+02:00"
    return order


def test_updates_prunes_and_absent_lists_are_written_alike(pg_engine: Engine) -> None:
    """A second page changes orders, drops an item or a ticket, sends an empty list, leaves a
    list out (its children kept), or repeats an order unchanged: the same rows and counts."""
    first = [_fresh(_full(), n) for n in range(6)]
    for order in first:  # one more item, with its tickets
        order["items"].append(copy.deepcopy(order["items"][0]))
        order["items"][-1]["id"] = str(uuid.uuid5(NS, order["id"] + "/second"))
        for index, ticket in enumerate(order["items"][-1]["tickets"]):
            ticket["id"] = str(uuid.uuid5(NS, f"{order['id']}/second/{index}"))
    second = copy.deepcopy(first)
    second[0] = _changed(second[0])
    second[1]["items"].pop(0)
    second[2]["items"][0]["tickets"] = []
    second[3]["items"] = []
    del second[4]["items"]
    del second[5]["items"][1]["tickets"]
    second[5]["items"][0]["quantity"] = 7
    assert _clean(pg_engine, first) == first
    assert _clean(pg_engine, second) == second
    _assert_same(pg_engine, [first, second, second])
    tables, counts = _run(pg_engine, [first, second, second], _in_sql)
    assert counts[1].updated > 0 and (counts[2].inserted, counts[2].updated) == (0, 0)
    sent = sum(len(order["items"]) for order in second if "items" in order)
    assert len(tables["order_items"]) == sent + len(first[4]["items"])  # an absent list: kept


def test_an_order_twice_in_a_page_falls_back_to_python(pg_engine: Engine) -> None:
    """Two versions of one order in a page cannot be upserted in one statement: the server's
    refusal sends the page to Python (which keeps the last), and nothing is half written."""
    order = _fresh(_full(), 1)
    with pytest.raises(Refused):
        _run(pg_engine, [[order, _changed(order)]], _in_sql)
    assert all(rows == [] for rows in _dump(pg_engine).values())


def test_json_order_sql_cannot_send_is_left_to_python() -> None:
    """NUL characters (stripped in Python, refused by jsonb) and integers orjson cannot write
    send the whole page to Python."""
    order = _fresh(_full(), 1)
    assert order_sql.encode([order]) is not None
    assert order_sql.encode([order | {"notes": "a\x00b"}]) is None
    assert order_sql.encode([order | {"notes": 2**70}]) is None
