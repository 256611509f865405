"""The one declared place of the API field names korsync reads into typed columns: per mirror
table, which column comes from which field (``venue.postalCode`` is ``postalCode`` inside the
embedded ``venue``), how it is read, and on what evidence the name rests.

*documented*: the name was read in KorusTicket's documentation — the docs page korsync was
specified from (``seed``) or another published version our reconstruction records
(``../shared/korusticket-api/openapi.yaml``, ``x-seen-in-versions``). *inferred*: nobody saw it
in a response — a camelCase reading of a heading, or a guess where the docs were cut off (a
session's start time, a form field's name and label). After a sync, ``korsync check --data``
counts how many rows each column has filled (``korsync.coverage``): an inferred column empty on
every row is where the real API most likely names the field otherwise.

The catalogue mappers read through ``read``; the booking mappers read the same names written
out, and this table declares them for the coverage report. Columns korsync fills itself (ids
and references, positions, ``raw``, ``*_read_at``, ``synced_at``, ``deleted_at``) are not here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Literal

from korsync.sync import values as v

Evidence = Literal["documented", "inferred"]
Reader = Callable[[Mapping[str, Any], str], Any]


@dataclasses.dataclass(frozen=True)
class Field:
    """One API field read into one column."""

    path: str  # "name", or "venue.postalCode" inside an embedded object
    read: Reader
    evidence: Evidence
    seen: str  # where the name was read, or why it is a guess

    @property
    def name(self) -> str:
        """The field's own name, inside its embedded object if any."""
        return self.path.rpartition(".")[2]

    @property
    def within(self) -> str | None:
        """The embedded object holding the field (``venue``), or ``None``."""
        return self.path.rpartition(".")[0] or None


def _doc(read: Reader, path: str, seen: str) -> Field:
    return Field(path, read, "documented", seen)


def _guess(read: Reader, path: str, why: str) -> Field:
    return Field(path, read, "inferred", why)


_HEADING = "camelCase reading of an attribute heading (newest docs); not seen in a response"
_VENUE_NAMES = [
    "name",
    "line1",
    "line2",
    "postalCode",
    "city",
    "country",
    "phone",
    "website",
    "latitude",
    "longitude",
]
_VENUE = "venue attribute list (newest docs); JSON names not seen in a response"
_CATALOGUE_FIELDS: dict[str, dict[str, Field]] = {
    "catalogs": {
        "name": _doc(v.text, "name", "catalogs collection (dev, 1.0.10, 1.0.19)"),
        "created_at": _doc(v.timestamp, "createdAt", "catalogs collection (dev, 1.0.10)"),
        "last_synced_at": _doc(v.timestamp, "lastSyncedAt", "catalogs collection (1.0.19)"),
    },
    "events": {
        "name": _doc(v.text, "name", "events (dev, older model)"),
        "description": _doc(v.text, "description", "events (dev, older model)"),
    },
    "sessions": {
        "starts_at": _guess(
            v.timestamp, "startsAt", "the docs show no start-time field for a session (older model)"
        ),
        "available_quantity": _doc(v.integer, "availableQuantity", "session availability (dev)"),
    },
    "product_bases": {
        "name": _doc(v.text, "name", "product_bases collection (1.0.29, 1.0.38)"),
        "disabled": _doc(v.boolean, "disabled", "product_bases collection (1.0.29, 1.0.38)"),
        "description": _guess(v.text, "description", _HEADING),
        "short_description": _guess(v.text, "shortDescription", _HEADING),
        "terms_of_use": _guess(v.text, "termsOfUse", _HEADING),
        "use_session": _guess(v.boolean, "useSession", _HEADING),
        "timezone": _guess(v.text, "timezone", _HEADING),
        "recurring": _guess(v.boolean, "recurring", _HEADING),
        "beneficiary_info_may_be_required": _guess(
            v.boolean, "beneficiaryInfoMayBeRequired", _HEADING
        ),
        "instant_document_delivery": _guess(v.boolean, "instantDocumentDelivery", _HEADING),
        "max_amount_per_order": _guess(v.integer, "maxAmountPerOrder", _HEADING),
        "universe": _guess(v.text, "universe", _HEADING),
        **{
            f"venue_{v.snake(name)}": _guess(v.text, f"venue.{name}", _VENUE)
            for name in _VENUE_NAMES
        },
    },
    "products": {
        "name": _doc(v.text, "name", "product embedded in offers (1.0.7)"),
        "description": _doc(v.text, "description", "product embedded in offers (1.0.7)"),
        "disabled": _doc(v.boolean, "disabled", "product embedded in offers (1.0.7)"),
    },
    "offers": {
        "date": _doc(v.date, "date", "offers collection (1.0.7, release)"),
        "availability_check_required": _doc(
            v.boolean, "availabilityCheckRequired", "offers collection (1.0.7)"
        ),
        "realtime_price_required": _doc(
            v.boolean, "realtimePriceRequired", "offers collection (1.0.7)"
        ),
        "price_amount_incl_tax": _doc(v.money, "price.amountInclTax", "offers collection (1.0.7)"),
        "price_original_amount_incl_tax": _doc(
            v.money, "price.originalAmountInclTax", "offers collection (1.0.7)"
        ),
        "price_currency": _doc(v.text, "price.currency", "offers collection (1.0.7)"),
        "available_quantity": _doc(v.integer, "availableQuantity", "offers collection (release)"),
    },
    "offer_tickets": {
        "name": _doc(v.text, "name", "offer ticket (1.0.19, 1.0.38)"),
        "description": _doc(v.text, "description", "offer ticket (1.0.19, 1.0.38)"),
        "date_access": _doc(v.boolean, "dateAccess", "offer ticket (1.0.19, 1.0.38)"),
        "available_quantity": _doc(
            v.integer, "availableQuantity", "availability guide (oldest snapshot)"
        ),
    },
    "offer_ticket_sessions": {
        "starts_at": _guess(
            v.timestamp, "startsAt", "the docs show no start-time field for a ticket session"
        ),
        "available_quantity": _doc(v.integer, "availableQuantity", "offer availability (all)"),
    },
    "forms": {"code": _doc(v.text, "code", "form (dev, 1.0.10)")},
    "form_fields": {
        "type": _doc(v.text, "type", "form field types (dev, 1.0.10)"),
        "required": _doc(v.boolean, "required", "form field (dev, 1.0.10)"),
        "name": _guess(v.text, "name", "the docs name only a field's type, required and choices"),
        "label": _guess(v.text, "label", "the docs name only a field's type, required and choices"),
    },
    "form_field_choices": {
        "value": _guess(v.text, "value", "the docs do not show a choice's shape"),
        "label": _guess(v.text, "label", "the docs do not show a choice's shape"),
    },
}

ITEM_AMOUNTS = (  # an order item's amounts, each read into the column of its snake_case name
    "unitAmountInclTax",
    "unitAmountExclTax",
    "totalAmountInclTax",
    "totalAmountExclTax",
    "amountInclTax",
    "amountExclTax",
)
_BENEFICIARY_TEXT = [
    "title",
    "firstname",
    "lastname",
    "email",
    "phone",
    "placeOfBirth",
    "nationality",
]
_SEED = "the docs page korsync was specified from (seed)"
_ORDER_1_0_7 = "order (1.0.7); the seed shows items only as [{}]"
_TICKET = "order item ticket (1.0.4 - 1.0.38)"
_RESERVATION = "reservation (1.0.7, 1.0.10)"
_BOOKING_FIELDS: dict[str, dict[str, Field]] = {
    "orders": {
        "created_at": _doc(v.timestamp, "createdAt", _SEED),
        "reference": _doc(v.key_text, "reference", _SEED),
        "external_reference": _doc(v.key_text, "externalReference", _SEED),
        "connector_reference": _doc(v.text, "connectorReference", _SEED),
        "status": _doc(v.key_text, "status", _SEED),
        "cancelled_at": _doc(v.timestamp, "cancelledAt", _SEED),
        "total_amount_incl_tax": _doc(v.money, "totalAmountInclTax", _SEED),
        "total_amount_excl_tax": _doc(v.money, "totalAmountExclTax", _SEED),
        "notes": _guess(v.text, "notes", "seen only in the bulk request body (release)"),
        **{
            f"customer_{name}": _doc(v.text, f"customer.{name}", _SEED)
            for name in ("firstname", "lastname", "email", "phone", "country", "language")
        },
        "customer_title": _doc(v.text, "customer.title", "order customer (1.0.7)"),
        "customer_optin": _doc(v.boolean, "customer.optin", "order customer (1.0.7)"),
    },
    "order_items": {
        "date": _doc(v.date, "date", _ORDER_1_0_7),
        "quantity": _doc(v.integer, "quantity", _ORDER_1_0_7),
        **{v.snake(name): _doc(v.money, name, _ORDER_1_0_7) for name in ITEM_AMOUNTS},
    },
    "order_item_tickets": {
        "voucher": _doc(v.text, "voucher", _TICKET),
        "occurs_at": _doc(v.timestamp, "occursAt", _TICKET),
        "status": _doc(v.text, "status", _TICKET),
        "required_beneficiary_fields": _doc(
            lambda item, name: item.get(name), "requiredBeneficiaryFields", _TICKET
        ),
        "beneficiary_designation_deadline": _doc(
            v.timestamp, "beneficiaryDesignationDeadline", _TICKET
        ),
        "beneficiary_amendable": _doc(v.boolean, "beneficiaryAmendable", _TICKET),
        **{
            f"beneficiary_{v.snake(name)}": _doc(v.text, f"beneficiary.{name}", _TICKET)
            for name in _BENEFICIARY_TEXT
        },
        "beneficiary_date_of_birth": _doc(v.date, "beneficiary.dateOfBirth", _TICKET),
    },
    "order_documents": {
        "downloadable_at": _doc(v.timestamp, "downloadableAt", "order documents (1.0.19, 1.0.38)"),
    },
    "reservations": {
        "created_at": _doc(v.timestamp, "createdAt", _RESERVATION),
        "expires_at": _doc(v.timestamp, "expiresAt", _RESERVATION),
        "expired": _doc(v.boolean, "expired", _RESERVATION),
        "total_amount_incl_tax": _doc(v.money, "totalAmountInclTax", _RESERVATION),
        "total_amount_excl_tax": _doc(v.money, "totalAmountExclTax", _RESERVATION),
        "seats_arrangement": _doc(v.text, "seatsArrangement", _RESERVATION),
        "releasable": _doc(v.boolean, "releasable", _RESERVATION),
        "status": _doc(v.text, "status", _RESERVATION),
    },
    "reservation_items": {
        "date": _doc(v.date, "date", _RESERVATION),
        "amount_incl_tax": _doc(v.money, "amountInclTax", _RESERVATION),
        "amount_excl_tax": _doc(v.money, "amountExclTax", _RESERVATION),
    },
}

FIELDS: dict[str, dict[str, Field]] = {**_CATALOGUE_FIELDS, **_BOOKING_FIELDS}


def read(table: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared column of ``table`` read from ``item`` (an embedded object that is absent
    or not an object reads as empty); ``values.MappingError`` names a field that is present but
    unreadable."""
    row: dict[str, Any] = {}
    for column, field in FIELDS[table].items():
        holder: Any = item if field.within is None else item.get(field.within)
        row[column] = field.read(holder if isinstance(holder, Mapping) else {}, field.name)
    return row
