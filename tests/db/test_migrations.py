"""Migrations: upgrade, no drift, downgrade and upgrade again, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import DateTime, inspect, select, text

from korsync.db.engine import make_engine
from korsync.db.migrate import alembic_config, upgrade_to_head
from korsync.fake_api import SimConfig, Simulator
from korsync.models import OrderItemTicket, metadata
from korsync.models.history import HISTORY_TABLES
from korsync.models.views import VIEWS


def _round_trip(url: str) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    assert set(inspect(engine).get_view_names()) == set(VIEWS)
    with engine.begin() as conn:
        command.check(alembic_config(conn))  # raises on any drift between models and schema
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert not inspect(engine).get_view_names()
    upgrade_to_head(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_upgrade_check_downgrade(tmp_path: Path) -> None:
    """On SQLite the migrations create every table, match the models, and reverse cleanly."""
    _round_trip(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_postgres_upgrade_check_downgrade(scratch_postgres: str) -> None:
    """On PostgreSQL the migrations create every table, match the models, and reverse cleanly."""
    _round_trip(scratch_postgres)


@pytest.mark.postgres
def test_postgres_native_types(scratch_postgres: str) -> None:
    """PostgreSQL stores ids as uuid, raw as jsonb, money as numeric(12,2), times as timestamptz."""
    engine = make_engine(scratch_postgres)
    upgrade_to_head(engine)
    columns = {c["name"]: c["type"] for c in inspect(engine).get_columns("orders")}
    engine.dispose()
    assert str(columns["id"]) == "UUID"
    assert str(columns["raw"]) == "JSONB"
    assert str(columns["total_amount_incl_tax"]) == "NUMERIC(12, 2)"
    created_at = columns["created_at"]
    assert isinstance(created_at, DateTime) and created_at.timezone is True


def test_required_tables_exist() -> None:
    """The models define exactly the table names BI users query, plus the bookkeeping."""
    assert set(metadata.tables) == {
        "catalogs", "events", "sessions", "product_bases", "products", "offers",
        "offer_tickets", "offer_ticket_sessions", "forms", "form_fields", "form_field_choices",
        "reservations", "reservation_items", "orders", "order_items", "order_item_tickets",
        "order_documents", "sync_state", "sync_runs", "rejected_records", "audit_windows",
        "reporting_timezone", "history_tables", "history_context",
        *(f"{table}_history" for table in HISTORY_TABLES),
    }  # fmt: skip


def test_reporting_indexes_exist() -> None:
    """Orders are indexed for reporting and every foreign key column has an index."""
    orders = metadata.tables["orders"]
    indexed = {tuple(c.name for c in ix.columns) for ix in orders.indexes}
    for column in ("created_at", "status", "external_reference", "reference"):
        assert (column,) in indexed
    for table in metadata.tables.values():
        leading = {next(iter(ix.columns)).name for ix in table.indexes}
        for fk in table.foreign_keys:
            assert fk.parent.name in leading, f"{table.name}.{fk.parent.name} has no index"


@pytest.mark.postgres
def test_postgres_every_column_has_a_comment(scratch_postgres: str) -> None:
    """BI tools show a description for every column of every table and for each view."""
    engine = make_engine(scratch_postgres)
    upgrade_to_head(engine)
    inspector = inspect(engine)
    missing = [
        f"{table}.{column['name']}"
        for table in metadata.tables
        for column in inspector.get_columns(table)
        if not column.get("comment")
    ]
    views = {view: inspector.get_table_comment(view)["text"] for view in VIEWS}
    engine.dispose()
    assert not missing
    assert all(views.values())


def _old_order_rows(order: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """An order's rows as revision c41d9e2a7b15 stored them: lists repeated in each raw."""
    order_id = uuid.UUID(order["id"])
    rows: dict[str, list[dict[str, Any]]] = {"orders": [{"id": order_id, "raw": order}]}
    for position, line in enumerate(order["items"]):
        item_id = uuid.UUID(line["id"])
        rows.setdefault("order_items", []).append(
            {"id": item_id, "order_id": order_id, "position": position, "raw": line}
        )
        rows.setdefault("order_item_tickets", []).extend(
            {"id": uuid.UUID(t["id"]), "order_id": order_id, "order_item_id": item_id, "raw": t}
            for t in line["tickets"]
        )
    return rows


def _orders_json_round_trip(url: str) -> None:
    orders = [o for o in Simulator(SimConfig(seed=5, orders=30)).orders_truth() if o["items"]]
    # A ticket list in reverse id order, so positions cannot come from sorting ids.
    orders[0]["items"][0]["tickets"] = orders[0]["items"][0]["tickets"][::-1]
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "c41d9e2a7b15")
        for order in orders:
            for table, rows in _old_order_rows(order).items():
                conn.execute(metadata.tables[table].insert(), rows)
        command.upgrade(alembic_config(conn), "e3d5a9c81f60")
    with engine.connect() as conn:
        raws = conn.execute(text("SELECT raw FROM orders")).scalars().all()
        whole: dict[object, Any] = dict(
            conn.execute(text("SELECT id, raw FROM orders_as_sent")).all()
        )
        tickets = conn.execute(select(OrderItemTicket.id, OrderItemTicket.position)).all()
    assert all("items" not in _json(raw) for raw in raws)
    sent = {o["id"]: o for o in orders}
    assert {str(_json(raw)["id"]): _json(raw) for raw in whole.values()} == sent
    numbered = {
        uuid.UUID(t["id"]): n
        for o in orders
        for i in o["items"]
        for n, t in enumerate(i["tickets"])
    }
    assert dict(tickets) == numbered
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "c41d9e2a7b15")
        restored = conn.execute(text("SELECT raw FROM orders")).scalars().all()
        lines = conn.execute(text("SELECT raw FROM order_items")).scalars().all()
    assert {_json(raw)["id"]: _json(raw) for raw in restored} == sent
    assert all("tickets" in _json(raw) for raw in lines)
    engine.dispose()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_sqlite_orders_json_stored_once(tmp_path: Path) -> None:
    """On SQLite the upgrade numbers tickets and drops the repeated lists; the view and the
    downgrade give every order back exactly as the API sent it."""
    _orders_json_round_trip(f"sqlite:///{tmp_path / 'o.db'}")


@pytest.mark.postgres
def test_postgres_orders_json_stored_once(scratch_postgres: str) -> None:
    """On PostgreSQL the upgrade numbers tickets and drops the repeated lists; the view and
    the downgrade give every order back exactly as the API sent it."""
    _orders_json_round_trip(scratch_postgres)


def _history_round_trip(url: str) -> None:
    order_id = uuid.uuid4()
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "5c1f0e7a9d42")
        conn.execute(
            text("INSERT INTO orders (id, raw, status) VALUES (:id, '{}', 'confirmed')"),
            {"id": order_id.hex if conn.dialect.name == "sqlite" else order_id},
        )
        command.upgrade(alembic_config(conn), "d5e7a3c19b42")
    with engine.connect() as conn:
        seeded = conn.execute(text("SELECT status, valid_to FROM orders_history")).all()
    assert [tuple(row) for row in seeded] == [("confirmed", None)]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "5c1f0e7a9d42")
    names = set(inspect(engine).get_table_names())
    assert not {n for n in names if n.endswith("_history") or n.startswith("history_")}
    with engine.begin() as conn:  # the triggers went with them: writing orders still works
        conn.execute(text("UPDATE orders SET status = 'cancelled'"))
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        again = conn.execute(text("SELECT status FROM orders_history")).scalars().all()
    engine.dispose()
    assert again == ["cancelled"]


def test_sqlite_history_upgrade_seeds_and_downgrade_removes(tmp_path: Path) -> None:
    """On SQLite the history revision gives mirrored rows a first version, and its downgrade
    removes tables and triggers (the mirror stays writable)."""
    _history_round_trip(f"sqlite:///{tmp_path / 'h.db'}")


@pytest.mark.postgres
def test_postgres_history_upgrade_seeds_and_downgrade_removes(scratch_postgres: str) -> None:
    """On PostgreSQL the same, in a schema of its own; btree_gist stays for other schemas."""
    _history_round_trip(scratch_postgres)
    engine = make_engine(scratch_postgres)
    with engine.connect() as conn:
        kept = conn.scalar(text("SELECT COUNT(*) FROM pg_extension WHERE extname = 'btree_gist'"))
    engine.dispose()
    assert kept == 1
