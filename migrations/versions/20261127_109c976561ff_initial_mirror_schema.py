"""Initial mirror schema: catalogue (both models), booking, and sync bookkeeping tables.

Revision ID: 109c976561ff
Revises:
Create Date: 2026-11-27 20:50:48.225264
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "109c976561ff"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=True, comment="First import (UTC)"
        ),
        sa.Column(
            "last_synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Last refresh of KorusTicket's cache from the issuer",
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogs")),
        comment="A ticket issuer's catalogue",
    )
    op.create_table(
        "forms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        comment="(older model) Data-collection form attached to offer tickets",
    )
    op.create_table(
        "rejected_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column(
            "record_key",
            sa.String(),
            nullable=False,
            comment="The item's id, or a hash of its payload",
        ),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_records")),
        sa.UniqueConstraint(
            "stream", "record_key", name=op.f("uq_rejected_records_stream_record_key")
        ),
        comment="API items korsync could not map, kept with the reason",
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column(
            "mode", sa.String(), nullable=True, comment="incremental, reconcile, full, backfill"
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.String(),
            nullable=False,
            comment="running | succeeded | failed | interrupted",
        ),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_deleted", sa.Integer(), nullable=False),
        sa.Column("rejects", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="What the run covered (window, watermark before/after, ...)",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
        comment="One run of one stream",
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_runs_started_at"), ["started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_runs_stream"), ["stream"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(), nullable=False),
        sa.Column("scope", sa.String(), nullable=False, comment="'' for the stream as a whole"),
        sa.Column(
            "watermark",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Highest createdAt committed (incremental streams)",
        ),
        sa.Column(
            "cursor",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Stream-specific",
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
        sa.UniqueConstraint("stream", "scope", name=op.f("uq_sync_state_stream_scope")),
        comment="Where each stream (and scope, e.g. a backfill slice) has got to",
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_events_catalog_id_catalogs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        comment="(older model) An activity occurring one or more times",
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_catalog_id"), ["catalog_id"], unique=False)

    op.create_table(
        "form_fields",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("form_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column(
            "type", sa.String(), nullable=True, comment="text, bool, integer, decimal, date, ..."
        ),
        sa.Column("required", sa.Boolean(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_form_fields_form_id_forms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_fields")),
        comment="(older model) One field of a form",
    )
    with op.batch_alter_table("form_fields", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_fields_form_id"), ["form_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("external_reference", sa.String(), nullable=True),
        sa.Column("connector_reference", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=True, comment="confirmed | cancelled"),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("customer_title", sa.String(), nullable=True),
        sa.Column("customer_firstname", sa.String(), nullable=True),
        sa.Column("customer_lastname", sa.String(), nullable=True),
        sa.Column("customer_email", sa.String(), nullable=True),
        sa.Column("customer_phone", sa.String(), nullable=True),
        sa.Column("customer_optin", sa.Boolean(), nullable=True),
        sa.Column("customer_country", sa.String(), nullable=True),
        sa.Column("customer_language", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_orders_catalog_id_catalogs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        comment="A confirmed booking in the issuer's system",
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_catalog_id"), ["catalog_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_external_reference"), ["external_reference"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_reference"), ["reference"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_reservation_id"), ["reservation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)

    op.create_table(
        "product_bases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("short_description", sa.String(), nullable=True),
        sa.Column("terms_of_use", sa.String(), nullable=True),
        sa.Column("use_session", sa.Boolean(), nullable=True),
        sa.Column("timezone", sa.String(), nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=True),
        sa.Column("beneficiary_info_may_be_required", sa.Boolean(), nullable=True),
        sa.Column("instant_document_delivery", sa.Boolean(), nullable=True),
        sa.Column("max_amount_per_order", sa.Integer(), nullable=True),
        sa.Column("universe", sa.String(), nullable=True),
        sa.Column("venue_name", sa.String(), nullable=True),
        sa.Column("venue_line1", sa.String(), nullable=True),
        sa.Column("venue_line2", sa.String(), nullable=True),
        sa.Column("venue_postal_code", sa.String(), nullable=True),
        sa.Column("venue_city", sa.String(), nullable=True),
        sa.Column("venue_country", sa.String(), nullable=True),
        sa.Column("venue_phone", sa.String(), nullable=True),
        sa.Column("venue_website", sa.String(), nullable=True),
        sa.Column("venue_latitude", sa.String(), nullable=True),
        sa.Column("venue_longitude", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_product_bases_catalog_id_catalogs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_bases")),
        comment="Top-level catalogue entry grouping related products",
    )
    with op.batch_alter_table("product_bases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_bases_catalog_id"), ["catalog_id"], unique=False
        )

    op.create_table(
        "reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired", sa.Boolean(), nullable=True),
        sa.Column("total_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("seats_arrangement", sa.String(), nullable=True),
        sa.Column("releasable", sa.Boolean(), nullable=True),
        sa.Column(
            "status", sa.String(), nullable=True, comment="reserved | released (kept as sent)"
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_reservations_catalog_id_catalogs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        comment="A temporary hold on offers",
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservations_catalog_id"), ["catalog_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reservations_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reservations_order_id"), ["order_id"], unique=False)

    op.create_table(
        "form_field_choices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("form_field_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("value", sa.String(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["form_field_id"],
            ["form_fields.id"],
            name=op.f("fk_form_field_choices_form_field_id_form_fields"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_field_choices")),
        comment="(older model) Predefined value of a choice field; id derived when the API sends none",
    )
    with op.batch_alter_table("form_field_choices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_field_choices_form_field_id"), ["form_field_id"], unique=False
        )

    op.create_table(
        "order_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("downloadable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "metadata_read_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the document's own endpoint was last read; NULL: only listed on the order",
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_documents_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_documents")),
        comment="A file (usually PDF tickets) attached to an order",
    )
    with op.batch_alter_table("order_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_documents_order_id"), ["order_id"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("product_base_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_products_catalog_id_catalogs")
        ),
        sa.ForeignKeyConstraint(
            ["product_base_id"],
            ["product_bases.id"],
            name=op.f("fk_products_product_base_id_product_bases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        comment="A purchasable variant of a product base",
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_catalog_id"), ["catalog_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_products_product_base_id"), ["product_base_id"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("available_quantity", sa.Integer(), nullable=True),
        sa.Column("availability_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_sessions_catalog_id_catalogs")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_sessions_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        comment="(older model) One occurrence of an event",
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_catalog_id"), ["catalog_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_event_id"), ["event_id"], unique=False)

    op.create_table(
        "offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("availability_check_required", sa.Boolean(), nullable=True),
        sa.Column("realtime_price_required", sa.Boolean(), nullable=True),
        sa.Column("price_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "price_original_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True
        ),
        sa.Column("price_currency", sa.String(), nullable=True),
        sa.Column(
            "price_read_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When the price was read",
        ),
        sa.Column(
            "available_quantity", sa.Integer(), nullable=True, comment="NULL means unlimited"
        ),
        sa.Column(
            "availability_read_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When available_quantity was read",
        ),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_offers_catalog_id_catalogs")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_offers_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        comment="One product's price and availability on one date",
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_catalog_id"), ["catalog_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_product_id"), ["product_id"], unique=False)

    op.create_table(
        "order_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("unit_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("unit_amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("total_amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_items_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_order_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_items")),
        comment="One line of an order",
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_items_product_id"), ["product_id"], unique=False)

    op.create_table(
        "offer_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("form_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column(
            "date_access", sa.Boolean(), nullable=True, comment="True: valid all day, no session"
        ),
        sa.Column("available_quantity", sa.Integer(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_offer_tickets_catalog_id_catalogs")
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_offer_tickets_form_id_forms")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_tickets_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_tickets")),
        comment="A ticket contained in an offer",
    )
    with op.batch_alter_table("offer_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_tickets_catalog_id"), ["catalog_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_offer_tickets_form_id"), ["form_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offer_tickets_offer_id"), ["offer_id"], unique=False)

    op.create_table(
        "order_item_tickets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("order_item_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("voucher", sa.String(), nullable=True),
        sa.Column("occurs_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status", sa.String(), nullable=True, comment="waiting_beneficiary_data | validated"
        ),
        sa.Column(
            "required_beneficiary_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("beneficiary_designation_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("beneficiary_amendable", sa.Boolean(), nullable=True),
        sa.Column("beneficiary_title", sa.String(), nullable=True),
        sa.Column("beneficiary_firstname", sa.String(), nullable=True),
        sa.Column("beneficiary_lastname", sa.String(), nullable=True),
        sa.Column("beneficiary_email", sa.String(), nullable=True),
        sa.Column("beneficiary_phone", sa.String(), nullable=True),
        sa.Column("beneficiary_date_of_birth", sa.Date(), nullable=True),
        sa.Column("beneficiary_place_of_birth", sa.String(), nullable=True),
        sa.Column("beneficiary_nationality", sa.String(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_order_item_tickets_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_item_tickets_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_order_item_tickets_order_item_id_order_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_item_tickets")),
        comment="A ticket issued for an order item",
    )
    with op.batch_alter_table("order_item_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_item_tickets_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_item_tickets_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_order_item_tickets_order_item_id"), ["order_item_id"], unique=False
        )

    op.create_table(
        "reservation_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("amount_incl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("amount_excl_tax", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_reservation_items_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_reservation_items_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_items_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation_items")),
        comment="One offer in a reservation; id derived from reservation+position",
    )
    with op.batch_alter_table("reservation_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservation_items_offer_id"), ["offer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reservation_items_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reservation_items_reservation_id"), ["reservation_id"], unique=False
        )

    op.create_table(
        "offer_ticket_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalog_id", sa.Uuid(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("offer_ticket_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("available_quantity", sa.Integer(), nullable=True),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="The item as the API sent it",
        ),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="Set when a complete refresh no longer returned the row",
        ),
        sa.Column(
            "synced_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="When korsync last wrote this row's content (UTC)",
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalogs.id"],
            name=op.f("fk_offer_ticket_sessions_catalog_id_catalogs"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_ticket_sessions_offer_id_offers")
        ),
        sa.ForeignKeyConstraint(
            ["offer_ticket_id"],
            ["offer_tickets.id"],
            name=op.f("fk_offer_ticket_sessions_offer_ticket_id_offer_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_ticket_sessions")),
        comment="A time slot an offer ticket can be booked on",
    )
    with op.batch_alter_table("offer_ticket_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_ticket_sessions_catalog_id"), ["catalog_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offer_ticket_sessions_offer_id"), ["offer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offer_ticket_sessions_offer_ticket_id"),
            ["offer_ticket_id"],
            unique=False,
        )



def downgrade() -> None:
    with op.batch_alter_table("offer_ticket_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_ticket_sessions_offer_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_offer_ticket_sessions_offer_id"))
        batch_op.drop_index(batch_op.f("ix_offer_ticket_sessions_catalog_id"))

    op.drop_table("offer_ticket_sessions")
    with op.batch_alter_table("reservation_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservation_items_reservation_id"))
        batch_op.drop_index(batch_op.f("ix_reservation_items_product_id"))
        batch_op.drop_index(batch_op.f("ix_reservation_items_offer_id"))

    op.drop_table("reservation_items")
    with op.batch_alter_table("order_item_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_item_tickets_order_item_id"))
        batch_op.drop_index(batch_op.f("ix_order_item_tickets_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_item_tickets_event_id"))

    op.drop_table("order_item_tickets")
    with op.batch_alter_table("offer_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_tickets_offer_id"))
        batch_op.drop_index(batch_op.f("ix_offer_tickets_form_id"))
        batch_op.drop_index(batch_op.f("ix_offer_tickets_catalog_id"))

    op.drop_table("offer_tickets")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))

    op.drop_table("order_items")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_product_id"))
        batch_op.drop_index(batch_op.f("ix_offers_date"))
        batch_op.drop_index(batch_op.f("ix_offers_catalog_id"))

    op.drop_table("offers")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_event_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_catalog_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_product_base_id"))
        batch_op.drop_index(batch_op.f("ix_products_catalog_id"))

    op.drop_table("products")
    with op.batch_alter_table("order_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_documents_order_id"))

    op.drop_table("order_documents")
    with op.batch_alter_table("form_field_choices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_field_choices_form_field_id"))

    op.drop_table("form_field_choices")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservations_order_id"))
        batch_op.drop_index(batch_op.f("ix_reservations_created_at"))
        batch_op.drop_index(batch_op.f("ix_reservations_catalog_id"))

    op.drop_table("reservations")
    with op.batch_alter_table("product_bases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_bases_catalog_id"))

    op.drop_table("product_bases")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_reservation_id"))
        batch_op.drop_index(batch_op.f("ix_orders_reference"))
        batch_op.drop_index(batch_op.f("ix_orders_external_reference"))
        batch_op.drop_index(batch_op.f("ix_orders_created_at"))
        batch_op.drop_index(batch_op.f("ix_orders_catalog_id"))

    op.drop_table("orders")
    with op.batch_alter_table("form_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_fields_form_id"))

    op.drop_table("form_fields")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_catalog_id"))

    op.drop_table("events")
    op.drop_table("sync_state")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_runs_stream"))
        batch_op.drop_index(batch_op.f("ix_sync_runs_started_at"))

    op.drop_table("sync_runs")
    op.drop_table("rejected_records")
    op.drop_table("forms")
    op.drop_table("catalogs")
