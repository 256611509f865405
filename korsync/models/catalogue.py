"""Catalogue tables, both models: catalogs; events and sessions, forms (older model); product
bases and products (newer model); offers with their tickets and ticket sessions.

Foreign keys point up the hierarchy. A parent that is referenced before its own stream has
mirrored it gets a placeholder row (``raw`` NULL), so no child is ever dropped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy.orm import Mapped, mapped_column

from korsync.models.base import Base, CatalogueColumns, parent_fk
from korsync.models.types import Money


class Catalog(CatalogueColumns, Base):
    __tablename__ = "catalogs"
    __table_args__ = {"comment": "A ticket issuer's catalogue"}

    name: Mapped[str | None]
    created_at: Mapped[dt.datetime | None] = mapped_column(comment="First import (UTC)")
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(
        comment="Last refresh of KorusTicket's cache from the issuer"
    )


class Event(CatalogueColumns, Base):
    __tablename__ = "events"
    __table_args__ = {"comment": "(older model) An activity occurring one or more times"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    name: Mapped[str | None]
    description: Mapped[str | None]


class EventSession(CatalogueColumns, Base):
    __tablename__ = "sessions"
    __table_args__ = {"comment": "(older model) One occurrence of an event"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    event_id: Mapped[uuid.UUID | None] = parent_fk("events.id")
    starts_at: Mapped[dt.datetime | None]
    available_quantity: Mapped[int | None]
    availability_read_at: Mapped[dt.datetime | None]


class ProductBase(CatalogueColumns, Base):
    __tablename__ = "product_bases"
    __table_args__ = {"comment": "Top-level catalogue entry grouping related products"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    name: Mapped[str | None]
    disabled: Mapped[bool | None]
    description: Mapped[str | None]
    short_description: Mapped[str | None]
    terms_of_use: Mapped[str | None]
    use_session: Mapped[bool | None]
    timezone: Mapped[str | None]
    recurring: Mapped[bool | None]
    beneficiary_info_may_be_required: Mapped[bool | None]
    instant_document_delivery: Mapped[bool | None]
    max_amount_per_order: Mapped[int | None]
    universe: Mapped[str | None]
    venue_name: Mapped[str | None]
    venue_line1: Mapped[str | None]
    venue_line2: Mapped[str | None]
    venue_postal_code: Mapped[str | None]
    venue_city: Mapped[str | None]
    venue_country: Mapped[str | None]
    venue_phone: Mapped[str | None]
    venue_website: Mapped[str | None]
    venue_latitude: Mapped[str | None]
    venue_longitude: Mapped[str | None]


class Product(CatalogueColumns, Base):
    __tablename__ = "products"
    __table_args__ = {"comment": "A purchasable variant of a product base"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    product_base_id: Mapped[uuid.UUID | None] = parent_fk("product_bases.id")
    name: Mapped[str | None]
    description: Mapped[str | None]
    disabled: Mapped[bool | None]


class Form(CatalogueColumns, Base):
    __tablename__ = "forms"
    __table_args__ = {"comment": "(older model) Data-collection form attached to offer tickets"}

    code: Mapped[str | None]


class FormField(CatalogueColumns, Base):
    __tablename__ = "form_fields"
    __table_args__ = {"comment": "(older model) One field of a form"}

    form_id: Mapped[uuid.UUID | None] = parent_fk("forms.id", cascade=True)
    position: Mapped[int | None]
    type: Mapped[str | None] = mapped_column(comment="text, bool, integer, decimal, date, ...")
    required: Mapped[bool | None]
    name: Mapped[str | None]
    label: Mapped[str | None]


class FormFieldChoice(CatalogueColumns, Base):
    __tablename__ = "form_field_choices"
    __table_args__ = {
        "comment": "(older model) Predefined value of a choice field; id derived when the API "
        "sends none"
    }

    form_field_id: Mapped[uuid.UUID | None] = parent_fk("form_fields.id", cascade=True)
    position: Mapped[int | None]
    value: Mapped[str | None]
    label: Mapped[str | None]


class Offer(CatalogueColumns, Base):
    __tablename__ = "offers"
    __table_args__ = {"comment": "One product's price and availability on one date"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    product_id: Mapped[uuid.UUID | None] = parent_fk("products.id")
    date: Mapped[dt.date | None] = mapped_column(index=True)
    availability_check_required: Mapped[bool | None]
    realtime_price_required: Mapped[bool | None]
    price_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    price_original_amount_incl_tax: Mapped[Decimal | None] = mapped_column(Money)
    price_currency: Mapped[str | None]
    price_read_at: Mapped[dt.datetime | None] = mapped_column(comment="When the price was read")
    available_quantity: Mapped[int | None] = mapped_column(comment="NULL means unlimited")
    availability_read_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When available_quantity was read"
    )


class OfferTicket(CatalogueColumns, Base):
    __tablename__ = "offer_tickets"
    __table_args__ = {"comment": "A ticket contained in an offer"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    offer_id: Mapped[uuid.UUID | None] = parent_fk("offers.id")
    form_id: Mapped[uuid.UUID | None] = parent_fk("forms.id")
    name: Mapped[str | None]
    description: Mapped[str | None]
    date_access: Mapped[bool | None] = mapped_column(comment="True: valid all day, no session")
    available_quantity: Mapped[int | None]


class OfferTicketSession(CatalogueColumns, Base):
    __tablename__ = "offer_ticket_sessions"
    __table_args__ = {"comment": "A time slot an offer ticket can be booked on"}

    catalog_id: Mapped[uuid.UUID | None] = parent_fk("catalogs.id")
    offer_id: Mapped[uuid.UUID | None] = parent_fk("offers.id")
    offer_ticket_id: Mapped[uuid.UUID | None] = parent_fk("offer_tickets.id")
    starts_at: Mapped[dt.datetime | None]
    available_quantity: Mapped[int | None]
