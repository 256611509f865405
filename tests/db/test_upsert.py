"""The database layer: bulk upsert, placeholders for early children, and type round trips."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from korsync.db.upsert import ensure_rows, upsert_rejects, upsert_rows
from korsync.ids import uuid7
from korsync.models import Catalog, Order, OrderItem, Product, RejectedRecord, metadata

# The tables as ``Table`` (a model's ``__table__`` is typed as any ``FromClause``).
ORDERS = metadata.tables[Order.__tablename__]
ORDER_ITEMS = metadata.tables[OrderItem.__tablename__]
CATALOGS = metadata.tables[Catalog.__tablename__]
PRODUCTS = metadata.tables[Product.__tablename__]
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _order(order_id: uuid.UUID, status: str = "confirmed", **extra: object) -> dict[str, object]:
    raw = {"id": str(order_id), "status": status, "unknownUpstreamField": {"nested": [1, 2]}}
    return {"id": order_id, "status": status, "raw": raw, "synced_at": NOW, **extra}


@pytest.mark.parametrize("ids", [True, False])
def test_upsert_inserts_then_updates_and_keeps_raw(engine: Engine, ids: bool) -> None:
    """A new row is inserted, an unchanged one is left alone, a changed one is updated; the
    counts are the same whether or not the inserted ids are asked for."""
    first, second = uuid7(), uuid7()
    with Session(engine) as session:
        result = upsert_rows(session, ORDERS, [_order(first), _order(second)], ids=ids)
        session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (2, 0, 0)
    if ids:
        assert result.inserted_ids == {first, second}
    later = NOW + dt.timedelta(hours=1)
    with Session(engine) as session:
        rows = [_order(first, synced_at=later), _order(second, "cancelled", synced_at=later)]
        result = upsert_rows(session, ORDERS, rows, ids=ids)
        session.commit()
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    with Session(engine) as session:
        stored = {o.id: o for o in session.scalars(select(Order))}
    assert stored[second].status == "cancelled"
    assert stored[second].raw == {
        "id": str(second), "status": "cancelled", "unknownUpstreamField": {"nested": [1, 2]}
    }  # fmt: skip
    assert stored[first].synced_at == NOW  # unchanged rows are not rewritten


def test_json_loses_nul_characters_but_keeps_escaped_backslashes(engine: Engine) -> None:
    """NUL leaves JSON strings and keys (jsonb refuses it); a literal backslash-u0000 stays."""
    order_id = uuid7()
    raw = {"id": str(order_id), "note": "a\x00b", "k\x00ey": ["\x00"], "path": "C:\\u0000"}
    with Session(engine) as session:
        upsert_rows(session, ORDERS, [{"id": order_id, "raw": raw, "synced_at": NOW}])
        upsert_rejects(session, "orders", [("bad", "why", {"x": "\x00y"})])
        session.commit()
        stored = session.get(Order, order_id)
        reject = session.scalars(select(RejectedRecord)).one()
    assert stored is not None
    assert stored.raw == {"id": str(order_id), "note": "ab", "key": [""], "path": "C:\\u0000"}
    assert reject.raw == {"x": "y"}


def test_raw_keeps_integers_beyond_64_bits(engine: Engine) -> None:
    """An integer too large for 64 bits in an item's JSON is stored exactly."""
    order_id = uuid7()
    raw = {"id": str(order_id), "loyaltyPoints": 2**70}
    with Session(engine) as session:
        upsert_rows(session, ORDERS, [{"id": order_id, "raw": raw, "synced_at": NOW}])
        session.commit()
        stored = session.get(Order, order_id)
    assert stored is not None and stored.raw == raw


def test_upsert_of_a_row_without_a_column_sets_it_null(engine: Engine) -> None:
    """A column missing from the new row (a field gone upstream) becomes NULL, not stale."""
    order_id = uuid7()
    with Session(engine) as session:
        upsert_rows(session, ORDERS, [_order(order_id, reference="KT-1", notes="gift")])
        result = upsert_rows(session, ORDERS, [_order(order_id, reference="KT-1")])
        session.commit()
        stored = session.get(Order, order_id)
    assert result.updated == 1
    assert stored is not None and stored.reference == "KT-1" and stored.notes is None


def test_upsert_duplicate_ids_in_one_page_keep_last(engine: Engine) -> None:
    """The same id twice in one batch is written once, with the later content."""
    order_id = uuid7()
    with Session(engine) as session:
        result = upsert_rows(session, ORDERS, [_order(order_id), _order(order_id, "cancelled")])
        session.commit()
        assert session.get_one(Order, order_id).status == "cancelled"
    assert result.inserted == 1


def test_upsert_large_batch_is_chunked(engine: Engine) -> None:
    """A batch larger than one statement's parameter limit is written completely."""
    rows = [_order(uuid7()) for _ in range(2500)]
    with Session(engine) as session:
        result = upsert_rows(session, ORDERS, rows)
        session.commit()
        assert session.query(Order).count() == 2500
    assert result.inserted == 2500


def test_upsert_rejects_unknown_columns(engine: Engine) -> None:
    """A mapping bug (a column the table lacks) fails loudly instead of being dropped."""
    with Session(engine) as session, pytest.raises(KeyError, match="no_such_column"):
        upsert_rows(session, ORDERS, [{"id": uuid7(), "no_such_column": 1}])


def test_child_before_parent_gets_placeholder(engine: Engine) -> None:
    """An order item whose product and catalog are not mirrored yet is kept via placeholders,
    and the later real rows fill those placeholders in."""
    catalog_id, product_id, order_id = uuid7(), uuid7(), uuid7()
    with Session(engine) as session:
        assert ensure_rows(session, CATALOGS, [{"id": catalog_id}]) == 1
        ensure_rows(session, PRODUCTS, [{"id": product_id, "catalog_id": catalog_id}])
        upsert_rows(session, ORDERS, [_order(order_id, catalog_id=catalog_id)])
        item = {"id": uuid7(), "order_id": order_id, "product_id": product_id, "quantity": 2}
        upsert_rows(session, ORDER_ITEMS, [item])
        session.commit()
    with Session(engine) as session:
        assert ensure_rows(session, CATALOGS, [{"id": catalog_id}]) == 0
        real = {"id": catalog_id, "name": "Puy du Fou", "raw": {"name": "Puy du Fou"}}
        upsert_rows(session, CATALOGS, [real])
        session.commit()
        catalog = session.get(Catalog, catalog_id)
        product = session.get(Product, product_id)
    assert catalog is not None and catalog.name == "Puy du Fou"
    assert product is not None and product.raw is None and product.catalog_id == catalog_id


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    """An item pointing at a product that has no row at all is refused, on both dialects."""
    with Session(engine) as session:
        upsert_rows(session, ORDERS, [_order(order_id := uuid7())])
        item = {"id": uuid7(), "order_id": order_id, "product_id": uuid7()}
        with pytest.raises(IntegrityError):
            upsert_rows(session, ORDER_ITEMS, [item])
            session.flush()


def test_money_and_timezones_round_trip(engine: Engine) -> None:
    """Money keeps exact cents as Decimal; datetimes come back aware in UTC."""
    order_id = uuid7()
    paris = dt.timezone(dt.timedelta(hours=1))
    created = dt.datetime(2025, 1, 27, 16, 15, 20, tzinfo=paris)
    row = _order(order_id, total_amount_incl_tax=Decimal("1234567890.10"), created_at=created)
    row["total_amount_excl_tax"] = "0.07"
    with Session(engine) as session:
        upsert_rows(session, ORDERS, [row])
        session.commit()
    with Session(engine) as session:
        order = session.get(Order, order_id)
    assert order is not None
    assert order.total_amount_incl_tax == Decimal("1234567890.10")
    assert order.total_amount_excl_tax == Decimal("0.07")
    assert str(order.total_amount_excl_tax) == "0.07"
    assert order.created_at == created
    assert order.created_at is not None and order.created_at.utcoffset() == dt.timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    """A naive datetime is a bug upstream of the database and is refused, not guessed."""
    with Session(engine) as session, pytest.raises(Exception, match="naive datetime"):
        upsert_rows(session, ORDERS, [_order(uuid7(), created_at=dt.datetime(2025, 1, 1))])
