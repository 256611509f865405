"""Migrations: upgrade, no drift, downgrade and upgrade again, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from korsync.db import alembic_config, make_engine, upgrade_to_head
from korsync.models import metadata

VIEWS = {"order_lines", "daily_sales", "session_sales"}


def _round_trip(url: str) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    assert set(inspect(engine).get_view_names()) == VIEWS
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
    assert columns["created_at"].timezone is True


def test_required_tables_exist() -> None:
    """The models define exactly the table names BI users query, plus the bookkeeping."""
    assert set(metadata.tables) == {
        "catalogs", "events", "sessions", "product_bases", "products", "offers",
        "offer_tickets", "offer_ticket_sessions", "forms", "form_fields", "form_field_choices",
        "reservations", "reservation_items", "orders", "order_items", "order_item_tickets",
        "order_documents", "sync_state", "sync_runs", "rejected_records",
    }  # fmt: skip


def test_reporting_indexes_exist() -> None:
    """Orders are indexed for reporting and every foreign key column has an index."""
    orders = metadata.tables["orders"]
    indexed = {tuple(c.name for c in ix.columns) for ix in orders.indexes}
    for column in ("created_at", "status", "external_reference", "reference"):
        assert (column,) in indexed
    for table in metadata.tables.values():
        indexed = {next(iter(ix.columns)).name for ix in table.indexes}
        for fk in table.foreign_keys:
            assert fk.parent.name in indexed, f"{table.name}.{fk.parent.name} has no index"


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
