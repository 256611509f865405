"""Booking tables: reservations and their items; orders with the customer flattened into
``customer_*`` columns, their items, item tickets (beneficiary flattened into ``beneficiary_*``)
and documents.

An order and everything embedded in it are written together, so those foreign keys cascade.
References to the catalogue point at placeholder rows when the catalogue has not been mirrored
yet. ``reservation_id`` and ``order_id`` between orders and reservations carry no constraint:
reservations are short-lived and may never be listed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from korsync.models.base import Base, MirrorColumns, parent_fk
from korsync.models.types import JSONDoc, Money


class Reservation(MirrorColumns, Base):
    __tablename__ = "reservations"
    __table_args__ = {"comment": "A temporary hold on offers"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    organization_id: Mapped[uuid.UUID | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    expires_at: Mapped[dt.datetime | None]
    expired: Mapped[bool | None]
    total_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    total_amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)
    seats_arrangement: Mapped[str | None]
    releasable: Mapped[bool | None]
    status: Mapped[str | None] = mapped_column(comment="reserved | released (kept as sent)")


class ReservationItem(MirrorColumns, Base):
    __tablename__ = "reservation_items"
    __table_args__ = {"comment": "One offer in a reservation; id derived from reservation+position"}

    reservation_id: Mapped[uuid.UUID | None] = parent_fk("reservations.id", cascade=True)
    position: Mapped[int | None]
    offer_id: Mapped[uuid.UUID | None] = parent_fk("offers.id")
    product_id: Mapped[uuid.UUID | None] = parent_fk("products.id")
    date: Mapped[dt.date | None]
    amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)


class Order(MirrorColumns, Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index(None, "external_reference"),
        Index(None, "reference"),
        {"comment": "A confirmed booking in the issuer's system"},
    )

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    organization_id: Mapped[uuid.UUID | None]
    reservation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    reference: Mapped[str | None]
    external_reference: Mapped[str | None]
    connector_reference: Mapped[str | None]
    status: Mapped[str | None] = mapped_column(index=True, comment="confirmed | cancelled")
    cancelled_at: Mapped[dt.datetime | None]
    total_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    total_amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)
    notes: Mapped[str | None]
    customer_title: Mapped[str | None]
    customer_firstname: Mapped[str | None]
    customer_lastname: Mapped[str | None]
    customer_email: Mapped[str | None]
    customer_phone: Mapped[str | None]
    customer_optin: Mapped[bool | None]
    customer_country: Mapped[str | None]
    customer_language: Mapped[str | None]
    deleted_at: Mapped[dt.datetime | None] = mapped_column(
        sort_order=100,
        comment="Set when an audit's complete re-walk of the order's createdAt window no "
        "longer returned it (deleted upstream); NULL again once a read returns it",
    )
    raw: Mapped[dict[str, Any] | None] = mapped_column(
        JSONDoc,
        comment="The order as the API sent it, less items (rows of order_items); "
        "orders_as_sent has it whole",
    )


class OrderItem(MirrorColumns, Base):
    __tablename__ = "order_items"
    __table_args__ = {"comment": "One line of an order"}

    order_id: Mapped[uuid.UUID | None] = parent_fk("orders.id", cascade=True)
    position: Mapped[int | None]
    product_id: Mapped[uuid.UUID | None] = parent_fk("products.id")
    date: Mapped[dt.date | None]
    quantity: Mapped[int | None]
    unit_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    unit_amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)
    total_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    total_amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)
    amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    amount_excl_tax: Mapped[Decimal | None] = mapped_column(Money)
    raw: Mapped[dict[str, Any] | None] = mapped_column(
        JSONDoc, comment="The line as the API sent it, less tickets (rows of order_item_tickets)"
    )


class OrderItemTicket(MirrorColumns, Base):
    __tablename__ = "order_item_tickets"
    __table_args__ = {"comment": "A ticket issued for an order item"}

    order_id: Mapped[uuid.UUID | None] = parent_fk("orders.id", cascade=True)
    order_item_id: Mapped[uuid.UUID | None] = parent_fk("order_items.id", cascade=True)
    position: Mapped[int | None]
    event_id: Mapped[uuid.UUID | None] = parent_fk("events.id")
    voucher: Mapped[str | None]
    occurs_at: Mapped[dt.datetime | None]
    status: Mapped[str | None] = mapped_column(comment="waiting_beneficiary_data | validated")
    required_beneficiary_fields: Mapped[list[str] | None] = mapped_column(JSONDoc)
    beneficiary_designation_deadline: Mapped[dt.datetime | None]
    beneficiary_amendable: Mapped[bool | None]
    beneficiary_title: Mapped[str | None]
    beneficiary_firstname: Mapped[str | None]
    beneficiary_lastname: Mapped[str | None]
    beneficiary_email: Mapped[str | None]
    beneficiary_phone: Mapped[str | None]
    beneficiary_date_of_birth: Mapped[dt.date | None]
    beneficiary_place_of_birth: Mapped[str | None]
    beneficiary_nationality: Mapped[str | None]


class OrderDocument(MirrorColumns, Base):
    __tablename__ = "order_documents"
    __table_args__ = {"comment": "A file (usually PDF tickets) attached to an order"}

    order_id: Mapped[uuid.UUID | None] = parent_fk("orders.id", cascade=True)
    downloadable_at: Mapped[dt.datetime | None]
    metadata_read_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the document's own endpoint was last read; NULL: only listed on the order"
    )
