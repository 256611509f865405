"""How catalogue items become rows, for both catalogue models. Each ``*_rows`` factory takes
the parent ids the walk knows and returns a mapper for that collection's items.

Absent is not empty: an offer sent without ``tickets``, a form without ``fields`` or a field
without ``choices`` (missing or ``null``) keeps the stored children; only a list actually
sent, ``[]`` included, replaces them (the refresh marks an offer's tickets likewise). An
offer may list its tickets as IRIs instead of objects: each becomes a placeholder row (the
refresh then reads them from the offer's tickets collection); one naming no ticket id is noted,
making the offer a partial record."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from korsync.api import jsonld
from korsync.sync import values as v
from korsync.sync.mapping import Mapper
from korsync.sync.rowset import RowSet, child_list

VENUE_FIELDS = (
    "name",
    "line1",
    "line2",
    "city",
    "country",
    "phone",
    "website",
    "latitude",
    "longitude",
)
BASE_FLAGS = ("useSession", "recurring", "beneficiaryInfoMayBeRequired", "instantDocumentDelivery")


def _common(item: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {"id": v.item_id(item), "raw": dict(item), "synced_at": now, "deleted_at": None}


def _single(table: str, row: dict[str, Any]) -> RowSet:
    rows = RowSet()
    rows.add(table, row)
    return rows


def catalog_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    return _single(
        "catalogs",
        {
            **_common(item, now),
            "name": v.text(item, "name"),
            "created_at": v.timestamp(item, "createdAt"),
            "last_synced_at": v.timestamp(item, "lastSyncedAt"),
        },
    )


def event_rows(catalog_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        row = {"catalog_id": catalog_id, "name": v.text(item, "name")}
        return _single(
            "events", {**_common(item, now), **row, "description": v.text(item, "description")}
        )

    return rows


def session_rows(catalog_id: uuid.UUID, event_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        quantity = v.integer(item, "availableQuantity")
        return _single(
            "sessions",
            {
                **_common(item, now),
                "catalog_id": catalog_id,
                "event_id": event_id,
                "available_quantity": quantity,
                "availability_read_at": now if "availableQuantity" in item else None,
            },
        )

    return rows


def product_base_rows(catalog_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        venue = item.get("venue") if isinstance(item.get("venue"), Mapping) else None
        row = {
            **_common(item, now),
            "catalog_id": catalog_id,
            "name": v.text(item, "name"),
            "disabled": v.boolean(item, "disabled"),
            "description": v.text(item, "description"),
            "short_description": v.text(item, "shortDescription"),
            "terms_of_use": v.text(item, "termsOfUse"),
            "timezone": v.text(item, "timezone"),
            "max_amount_per_order": v.integer(item, "maxAmountPerOrder"),
            "universe": v.text(item, "universe"),
            "venue_postal_code": v.text(venue, "postalCode"),
            **{v.snake(flag): v.boolean(item, flag) for flag in BASE_FLAGS},
            **{f"venue_{name}": v.text(venue, name) for name in VENUE_FIELDS},
        }
        return _single("product_bases", row)

    return rows


def product_rows(
    catalog_id: uuid.UUID,
    product_base_id: uuid.UUID | None = None,
    skip: AbstractSet[uuid.UUID] = frozenset(),
) -> Mapper:
    """Products of a base (or of the catalog); ids in ``skip`` were written already."""

    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        if v.item_id(item) in skip:
            return RowSet()
        row = {
            **_common(item, now),
            "catalog_id": catalog_id,
            "product_base_id": product_base_id,
            "name": v.text(item, "name"),
            "description": v.text(item, "description"),
            "disabled": v.boolean(item, "disabled"),
        }
        return _single("products", row)

    return rows


def offer_rows(catalog_id: uuid.UUID) -> Mapper:
    """The offer with its price and availability snapshot, and its embedded tickets."""

    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        rowset = RowSet()
        offer_id, product_id = v.item_id(item), v.ref(item, "product")
        rowset.placeholder("products", product_id, catalog_id=catalog_id)
        price = item.get("price")
        price = price if isinstance(price, Mapping) else {}
        rowset.add(
            "offers",
            {
                **_common(item, now),
                "catalog_id": catalog_id,
                "product_id": product_id,
                "date": v.date(item, "date"),
                "availability_check_required": v.boolean(item, "availabilityCheckRequired"),
                "realtime_price_required": v.boolean(item, "realtimePriceRequired"),
                "price_amount_incl_tax": v.money(price, "amountInclTax"),
                "price_original_amount_incl_tax": v.money(price, "originalAmountInclTax"),
                "price_currency": v.text(price, "currency"),
                "price_read_at": now if price else None,
                "available_quantity": v.integer(item, "availableQuantity"),
                "availability_read_at": now if "availableQuantity" in item else None,
            },
        )
        for position, ticket in enumerate(child_list(item, "tickets") or []):
            if isinstance(ticket, str):
                _ticket_iri(rowset, ticket, position, catalog_id, offer_id)
                continue
            if not isinstance(ticket, Mapping):
                raise v.MappingError("tickets: not an object")
            rowset.extend(offer_ticket_rows(catalog_id, offer_id)(ticket, now))
        return rowset

    return rows


def _ticket_iri(
    rowset: RowSet, iri: str, position: int, catalog_id: uuid.UUID, offer_id: uuid.UUID
) -> None:
    """A ticket listed by its IRI only: a placeholder row, or a note when it names no id."""
    ticket_id = jsonld.iri_id(iri)
    if ticket_id is None:
        rowset.note(f"tickets[{position}]: names no ticket id: {iri!r:.80} (kept in raw)")
    rowset.placeholder("offer_tickets", ticket_id, catalog_id=catalog_id, offer_id=offer_id)


def offer_ticket_rows(catalog_id: uuid.UUID, offer_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        rowset = RowSet()
        form_id = v.ref(item, "form")
        rowset.placeholder("forms", form_id)
        rowset.add(
            "offer_tickets",
            {
                **_common(item, now),
                "catalog_id": catalog_id,
                "offer_id": offer_id,
                "form_id": form_id,
                "name": v.text(item, "name"),
                "description": v.text(item, "description"),
                "date_access": v.boolean(item, "dateAccess"),
                "available_quantity": v.integer(item, "availableQuantity"),
            },
        )
        return rowset

    return rows


def offer_ticket_session_rows(
    catalog_id: uuid.UUID, offer_id: uuid.UUID, ticket_id: uuid.UUID
) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        return _single(
            "offer_ticket_sessions",
            {
                **_common(item, now),
                "catalog_id": catalog_id,
                "offer_id": offer_id,
                "offer_ticket_id": ticket_id,
                "starts_at": v.timestamp(item, "startsAt"),
                "available_quantity": v.integer(item, "availableQuantity"),
            },
        )

    return rows


def form_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    """The form, its fields and their choices (a choice without an id gets a derived one)."""
    rowset = RowSet()
    form_id = v.item_id(item)
    rowset.add("forms", {**_common(item, now), "code": v.text(item, "code")})
    fields = child_list(item, "fields")
    if fields is None:
        rowset.keep_children("form", form_id, "fields")
    else:
        rowset.replace_children("form_fields", "form_id", form_id)
    for position, field in enumerate(fields or []):
        if not isinstance(field, Mapping):
            raise v.MappingError(f"fields[{position}]: not an object")
        field_id = v.item_id(field)
        rowset.add(
            "form_fields",
            {
                **_common(field, now),
                "form_id": form_id,
                "position": position,
                "type": v.text(field, "type"),
                "required": v.boolean(field, "required"),
                "name": v.text(field, "name"),
                "label": v.text(field, "label"),
            },
        )
        choices = child_list(field, "choices", f"fields[{position}].")
        if choices is not None:
            rowset.replace_children("form_field_choices", "form_field_id", field_id)
        for index, choice in enumerate(choices or []):
            rowset.add("form_field_choices", _choice(choice, field_id, index, now))
    return rowset


def _choice(choice: Any, field_id: uuid.UUID, position: int, now: dt.datetime) -> dict[str, Any]:
    item = choice if isinstance(choice, Mapping) else {"value": choice}
    choice_id = v.jsonld_id(item) or uuid.uuid5(field_id, f"choice/{position}")
    return {
        "id": choice_id,
        "form_field_id": field_id,
        "position": position,
        "value": v.text(item, "value"),
        "label": v.text(item, "label"),
        "raw": choice,
        "synced_at": now,
        "deleted_at": None,
    }
