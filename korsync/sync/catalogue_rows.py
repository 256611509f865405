"""How catalogue items become rows, for both catalogue models. Each ``*_rows`` factory takes
the parent ids the walk knows and returns a mapper for that collection's items.

Absent is not empty: an offer sent without ``tickets``, a form without ``fields`` or a field
without ``choices`` (missing or ``null``) keeps the stored children; only a list actually
sent, ``[]`` included, replaces them (the refresh marks an offer's tickets likewise). An
offer may list its tickets as IRIs instead of objects: each becomes a placeholder row (the
refresh then reads them from the offer's tickets collection); one naming no ticket id is noted,
making the offer a partial record.

API field names are read through ``korsync.sync.fields``, where each is declared documented or
inferred; this module adds the ids, references and children around them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from korsync.api import jsonld
from korsync.sync import values as v
from korsync.sync.fields import read
from korsync.sync.mapping import Mapper
from korsync.sync.rowset import RowSet, child_list


def _common(item: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    return {"id": v.item_id(item), "raw": dict(item), "synced_at": now, "deleted_at": None}


def _single(table: str, row: dict[str, Any]) -> RowSet:
    rows = RowSet()
    rows.add(table, row)
    return rows


def catalog_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    return _single("catalogs", {**_common(item, now), **read("catalogs", item)})


def event_rows(catalog_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        row = {**_common(item, now), "catalog_id": catalog_id, **read("events", item)}
        return _single("events", row)

    return rows


def session_rows(catalog_id: uuid.UUID, event_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        return _single(
            "sessions",
            {
                **_common(item, now),
                "catalog_id": catalog_id,
                "event_id": event_id,
                **read("sessions", item),
                "availability_read_at": now if "availableQuantity" in item else None,
            },
        )

    return rows


def product_base_rows(catalog_id: uuid.UUID) -> Mapper:
    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        row = {**_common(item, now), "catalog_id": catalog_id, **read("product_bases", item)}
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
            **read("products", item),
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
                **read("offers", item),
                "price_read_at": now if price else None,
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
                **read("offer_tickets", item),
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
                **read("offer_ticket_sessions", item),
            },
        )

    return rows


def form_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    """The form, its fields and their choices (a choice without an id gets a derived one)."""
    rowset = RowSet()
    form_id = v.item_id(item)
    rowset.add("forms", {**_common(item, now), **read("forms", item)})
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
                **read("form_fields", field),
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
        **read("form_field_choices", item),
        "raw": choice,
        "synced_at": now,
        "deleted_at": None,
    }
