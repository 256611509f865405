"""How an order becomes rows: the order with its customer flattened, its items, their tickets
with the beneficiary flattened, placeholders for the catalogue rows they point at, and
placeholder document rows for the document IRIs listed on the order.

Each object's JSON is stored once: the order's ``raw`` leaves out ``items`` and an item's
leaves out ``tickets``, which are rows of their own with their ``position`` in the list (the
``orders_as_sent`` view puts the order back together).

An order is refused (``MappingError``) only for its own id or ``createdAt``, or a list that is
not a list of objects. A part that cannot be mapped is mapped as far as it can be and noted
(``RowSet.note``), which makes the order a *partial* record: a value its column cannot hold
exactly (an amount with a third decimal, a quantity past 32 bits, a date-time past year 9999)
is stored as NULL, never altered, its value staying in ``raw``; an item or ticket without a
usable id gets a key derived from its parent's id and its position (stable while the list keeps
its order; the stored ``raw`` stays as sent), and a reference that names no UUID (an
organization, reservation, catalog, product or event, or a document given as an absolute URL
such as the docs' ``https://example.com/``) leaves its column NULL, its text staying in ``raw``
(there is no text column for it).

Absent is not empty: an order sent without ``items`` (or with ``"items": null``) keeps its
stored items and their tickets, and an item without ``tickets`` keeps its tickets; only a list
actually sent, ``[]`` included, replaces them. Such an order's ``raw`` is stored as always (less
``items``), so ``orders_as_sent`` shows it with the items last sent (``[]`` if none ever was)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from korsync.api import jsonld
from korsync.pii import HASH_PREFIX
from korsync.sync import values as v
from korsync.sync.fields import ITEM_AMOUNTS
from korsync.sync.rowset import RowSet, child_list

CUSTOMER_FIELDS = ("title", "firstname", "lastname", "email", "phone", "country", "language")
BENEFICIARY_FIELDS = ("title", "firstname", "lastname", "email", "phone", "nationality")
# (column, field) pairs, and the columns of a ticket without a beneficiary (half of them).
# (column, reader, field) triples read by ``_columns``, in the rows' column order.
ORDER_COLUMNS = (
    ("reference", v.key_text, "reference"),
    ("external_reference", v.key_text, "externalReference"),
    ("connector_reference", v.text, "connectorReference"),
    ("status", v.key_text, "status"),
    ("cancelled_at", v.timestamp, "cancelledAt"),
    ("total_amount_incl_tax", v.money, "totalAmountInclTax"),
    ("total_amount_excl_tax", v.money, "totalAmountExclTax"),
    ("notes", v.text, "notes"),
)
CUSTOMER_COLUMNS = (
    *((f"customer_{name}", v.text, name) for name in CUSTOMER_FIELDS),
    ("customer_optin", v.boolean, "optin"),
)
ITEM_COLUMNS = (
    ("date", v.date, "date"),
    ("quantity", v.integer, "quantity"),
    *((v.snake(name), v.money, name) for name in ITEM_AMOUNTS),
)
TICKET_COLUMNS = (
    ("voucher", v.text, "voucher"),
    ("occurs_at", v.timestamp, "occursAt"),
    ("status", v.text, "status"),
)
TICKET_FLAGS = (
    ("beneficiary_designation_deadline", v.timestamp, "beneficiaryDesignationDeadline"),
    ("beneficiary_amendable", v.boolean, "beneficiaryAmendable"),
)
BENEFICIARY_COLUMNS = tuple((f"beneficiary_{name}", v.text, name) for name in BENEFICIARY_FIELDS)
NO_BENEFICIARY = dict.fromkeys(
    [*(column for column, _, _ in BENEFICIARY_COLUMNS), "beneficiary_date_of_birth",
     "beneficiary_place_of_birth"]
)  # fmt: skip


def order_rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
    """Rows for one order; raises ``MappingError`` when it cannot be mirrored faithfully."""
    rows = RowSet()
    order_id = v.item_id(item)
    if v.timestamp(item, "createdAt") is None:
        raise v.MappingError("createdAt: missing (needed to place the order in time)")
    items = child_list(item, "items")
    catalog_id = _ref(rows, item, "catalog") or _catalog_of(items or [])
    rows.placeholder("catalogs", catalog_id)
    rows.add("orders", _order(rows, item, order_id, catalog_id, now))
    if items is None:
        rows.keep_children("order", order_id, "items")
    else:
        rows.replace_children("order_items", "order_id", order_id)
    for position, line in enumerate(items or []):
        if not isinstance(line, Mapping):
            raise v.MappingError(f"items[{position}]: not an object")
        _item(rows, line, position, order_id, now)
    _documents(rows, item, order_id)
    return rows


def _documents(rows: RowSet, item: Mapping[str, Any], order_id: uuid.UUID) -> None:
    """Placeholder rows for the documents the order lists; one naming no id is noted."""
    documents = item.get("documents")
    for position, document in enumerate(documents if isinstance(documents, list) else []):
        iri = document.get("@id") if isinstance(document, Mapping) else document
        document_id = v.jsonld_id(document) if isinstance(document, Mapping) else None
        document_id = document_id or jsonld.iri_id_once(iri)
        if document_id is None:
            rows.note(f"documents[{position}]: names no document id: {iri!r:.80} (kept in raw)")
        rows.placeholder("order_documents", document_id, order_id=order_id)


def _value(
    rows: RowSet, read: Callable[[Mapping[str, Any], str], Any], item: Mapping[str, Any], field: str
) -> Any:
    """``read(item, field)``; a value its column cannot hold exactly is left NULL and noted,
    so the order is stored as a partial record and ``raw`` keeps the value as sent."""
    try:
        return read(item, field)
    except v.MappingError as exc:
        rows.note(f"{exc}; stored as NULL (kept in raw)")
        return None


Reader = Callable[[Mapping[str, Any], str], Any]
Columns = tuple[tuple[str, Reader, str], ...]  # (column, reader, field)


def _columns(rows: RowSet, item: Mapping[str, Any], columns: Columns) -> dict[str, Any]:
    """``{column: read(item, field)}``, each value read as ``_value`` reads it.

    Nearly every value reads cleanly, so all are read in one comprehension (a function call
    per value less, a fifth of the mapping); only when one fails are they read again one by
    one, which notes each failure in the same order as ever (the readers have no side effect).
    """
    try:
        return {column: read(item, field) for column, read, field in columns}
    except v.MappingError:
        return {column: _value(rows, read, item, field) for column, read, field in columns}


def _ref(rows: RowSet, item: Mapping[str, Any], field: str, where: str = "") -> uuid.UUID | None:
    """``values.ref``, but a reference naming no UUID is noted and read as ``None``."""
    try:
        return v.ref(item, field)
    except v.MappingError as exc:
        rows.note(f"{where}{exc} (kept in raw)")
        return None


def _own_id(
    rows: RowSet, item: Mapping[str, Any], parent_id: uuid.UUID, where: str, position: int
) -> uuid.UUID:
    """The child's ``id`` (or the UUID ending its ``@id``, unless that is a blank node's genid);
    lacking a usable one, a key derived from its parent and position (noted)."""
    node = item.get("@id")
    child_id = jsonld.as_uuid(item.get("id"))
    if child_id is None and not (isinstance(node, str) and "/.well-known/genid/" in node):
        child_id = jsonld.iri_id(node)
    if child_id is None:
        child_id = uuid.uuid5(parent_id, f"{where}/{position}")
        sent = item.get("id")
        rows.note(f"{where}[{position}]: no usable id ({sent!r:.60}): stored as {child_id}")
    return child_id


def _beneficiary(rows: RowSet, beneficiary: Any) -> dict[str, Any]:
    """The beneficiary's columns (all ``None`` when there is none)."""
    if not beneficiary or not isinstance(beneficiary, Mapping):
        return NO_BENEFICIARY
    return {
        **_columns(rows, beneficiary, BENEFICIARY_COLUMNS),
        "beneficiary_date_of_birth": _birth_date(rows, beneficiary),
        "beneficiary_place_of_birth": _value(rows, v.text, beneficiary, "placeOfBirth"),
    }


def _birth_date(rows: RowSet, beneficiary: Mapping[str, Any]) -> dt.date | None:
    """The date of birth, or None where the personal-data policy hashed it."""
    if str(beneficiary.get("dateOfBirth")).startswith(HASH_PREFIX):
        return None
    birth: dt.date | None = _value(rows, v.date, beneficiary, "dateOfBirth")
    return birth


def _catalog_of(items: list[Any]) -> uuid.UUID | None:
    """The dev docs' orders carry no ``catalog``; their products' IRIs name it."""
    for line in items:
        if isinstance(line, Mapping):
            catalog_id = v.ref_parent(line, "product", "catalog")
            if catalog_id is not None:
                return catalog_id
    return None


def _order(
    rows: RowSet,
    item: Mapping[str, Any],
    order_id: uuid.UUID,
    catalog_id: uuid.UUID | None,
    now: dt.datetime,
) -> dict[str, Any]:
    customer = item.get("customer")
    customer = customer if isinstance(customer, Mapping) else {}
    return {
        "id": order_id,
        "catalog_id": catalog_id,
        "organization_id": _ref(rows, item, "organization"),
        "reservation_id": _ref(rows, item, "reservation"),
        "created_at": v.timestamp(item, "createdAt"),
        **_columns(rows, item, ORDER_COLUMNS),
        **_columns(rows, customer, CUSTOMER_COLUMNS),
        "raw": _without(item, "items"),
        "synced_at": now,
        "deleted_at": None,  # returned by the API, so live: an order seen again is undeleted
    }


def _without(item: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``item`` less the embedded list ``key``, whose members are stored as rows of their own."""
    kept = dict(item)  # copied in C, then one key dropped: the order of the others is kept
    kept.pop(key, None)
    return kept


def _item(
    rows: RowSet, line: Mapping[str, Any], position: int, order_id: uuid.UUID, now: dt.datetime
) -> None:
    item_id = _own_id(rows, line, order_id, "items", position)
    product_id = _ref(rows, line, "product", f"items[{position}].")
    parents = v.ref_parents(line, "product")
    rows.placeholder("catalogs", parents.get("catalog"))
    rows.placeholder("products", product_id, catalog_id=parents.get("catalog"))
    rows.add(
        "order_items",
        {
            "id": item_id,
            "order_id": order_id,
            "position": position,
            "product_id": product_id,
            **_columns(rows, line, ITEM_COLUMNS),
            "raw": _without(line, "tickets"),
            "synced_at": now,
        },
    )
    tickets = child_list(line, "tickets", f"items[{position}].")
    if tickets is None:
        rows.keep_children("order item", item_id, "tickets")
    else:
        rows.replace_children("order_item_tickets", "order_item_id", item_id)
    for index, ticket in enumerate(tickets or []):
        if not isinstance(ticket, Mapping):
            raise v.MappingError(f"items[{position}].tickets[{index}]: not an object")
        ticket_id = _own_id(rows, ticket, item_id, f"items[{position}].tickets", index)
        ids = (order_id, item_id, ticket_id)
        rows.add("order_item_tickets", _ticket(rows, ticket, ids, index, now))


def _ticket(
    rows: RowSet,
    ticket: Mapping[str, Any],
    ids: tuple[uuid.UUID, uuid.UUID, uuid.UUID],
    position: int,
    now: dt.datetime,
) -> dict[str, Any]:
    order_id, item_id, ticket_id = ids
    event_id = _ref(rows, ticket, "event", f"tickets[{position}].")
    rows.placeholder("events", event_id, catalog_id=v.ref_parent(ticket, "event", "catalog"))
    required = ticket.get("requiredBeneficiaryFields")
    return {
        "id": ticket_id,
        "order_id": order_id,
        "order_item_id": item_id,
        "position": position,
        "event_id": event_id,
        **_columns(rows, ticket, TICKET_COLUMNS),
        "required_beneficiary_fields": required if isinstance(required, list) else None,
        **_columns(rows, ticket, TICKET_FLAGS),
        **_beneficiary(rows, ticket.get("beneficiary")),
        "raw": dict(ticket),
        "synced_at": now,
    }
