"""Mapping an order document (as the API documents it) to rows, and refusing what cannot map."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from korsync.sync.order_rows import order_rows
from korsync.sync.values import MappingError

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ORDER_ID = "0194cb22-b891-754c-8c4c-777b93f8d072"
CATALOG = "/v1/ticketing/catalogs/0194abdc-3a71-72b0-a9b9-89d4be0cd73e"
PRODUCT = f"{CATALOG}/products/0194ac40-fda7-78c1-8fcb-26fc2df25894"
ITEM_ID = "0194cb23-0000-7000-8000-000000000001"
TICKET = (
    f"/v1/booking/orders/{ORDER_ID}/items/{ITEM_ID}/tickets/0194cb23-0000-7000-8000-000000000002"
)


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "@id": f"/v1/booking/orders/{ORDER_ID}",
        "@type": "BookingOrder",
        "id": ORDER_ID,
        "createdAt": "2025-01-27T15:15:20+00:00",
        "catalog": CATALOG,
        "organization": "/v1/organizations/0194cb23-170e-71f0-b4bb-0a7e644dea34",
        "reference": "KT-ORD-123456",
        "externalReference": None,
        "totalAmountInclTax": "100.00",
        "totalAmountExclTax": "83.33",
        "reservation": "/v1/booking/reservations/0194cb23-f18e-7c8e-9729-a7a65e961639",
        "customer": {
            "@type": "OrderCustomer",
            "firstname": "Zoë",
            "lastname": "Doe",
            "optin": True,
        },
        "status": "confirmed",
        "cancelledAt": None,
        "items": [
            {
                "@id": "/.well-known/genid/132ddf0cb624270e4245",
                "id": ITEM_ID,
                "quantity": 1,
                "unitAmountInclTax": "100.00",
                "product": PRODUCT,
                "tickets": [
                    {
                        "@id": TICKET,
                        "id": "0194cb23-0000-7000-8000-000000000002",
                        "voucher": None,
                        "status": "waiting_beneficiary_data",
                        "beneficiary": {"firstname": "Ann", "dateOfBirth": "2000-01-01"},
                        "requiredBeneficiaryFields": ["firstname", "lastname"],
                    }
                ],
            }
        ],
        "documents": [
            f"/v1/booking/orders/{ORDER_ID}/documents/0194cb24-0d3f-7a55-9f5e-2b8e1f0c4a11"
        ],
    }
    order.update(changes)
    return order


def test_order_maps_to_order_items_tickets_and_placeholders() -> None:
    """An order yields its row (customer flattened), item, ticket, and placeholder parents."""
    rows = order_rows(_order(), NOW)
    (order,) = rows.rows["orders"]
    assert order["id"] == uuid.UUID(ORDER_ID)
    assert order["created_at"] == dt.datetime(2025, 1, 27, 15, 15, 20, tzinfo=dt.UTC)
    assert order["total_amount_excl_tax"] == Decimal("83.33")
    assert (order["customer_firstname"], order["customer_optin"]) == ("Zoë", True)
    assert order["raw"]["customer"]["firstname"] == "Zoë"
    (item,) = rows.rows["order_items"]
    assert item["product_id"] == uuid.UUID(PRODUCT.rsplit("/", 1)[1])
    (ticket,) = rows.rows["order_item_tickets"]
    assert ticket["beneficiary_date_of_birth"] == dt.date(2000, 1, 1)
    assert ticket["order_item_id"] == uuid.UUID(ITEM_ID)
    catalog_id = uuid.UUID(CATALOG.rsplit("/", 1)[1])
    assert {"id": catalog_id} in rows.placeholders["catalogs"]
    assert rows.placeholders["products"] == [{"id": item["product_id"], "catalog_id": catalog_id}]
    assert rows.placeholders["order_documents"][0]["order_id"] == uuid.UUID(ORDER_ID)


def test_each_object_json_is_stored_once_with_list_positions() -> None:
    """The order's raw leaves out items and an item's leaves out tickets; tickets keep their
    place in the list; every other field stays."""
    sent = _order()
    tickets = [
        {**sent["items"][0]["tickets"][0], "id": f"0194cb23-0000-7000-8000-00000000000{n}"}
        for n in (9, 3)
    ]
    sent["items"][0]["tickets"] = tickets
    rows = order_rows(sent, NOW)
    (order,), (item,) = rows.rows["orders"], rows.rows["order_items"]
    assert order["raw"] == {k: v for k, v in sent.items() if k != "items"}
    assert item["raw"] == {k: v for k, v in sent["items"][0].items() if k != "tickets"}
    placed = [(t["id"], t["position"], t["raw"]) for t in rows.rows["order_item_tickets"]]
    assert placed == [(uuid.UUID(t["id"]), n, t) for n, t in enumerate(tickets)]


def test_unexpected_enum_and_unknown_fields_are_kept() -> None:
    """An unknown status is stored as sent and an unknown field stays in raw."""
    rows = order_rows(_order(status="refunded", brandNewField={"x": 1}), NOW)
    (order,) = rows.rows["orders"]
    assert order["status"] == "refunded"
    assert order["raw"]["brandNewField"] == {"x": 1}


def test_nul_characters_are_removed_from_text_columns() -> None:
    """Text columns lose NUL characters (refused by PostgreSQL); raw is cleaned on write."""
    rows = order_rows(_order(reference="KT\x00-1"), NOW)
    (order,) = rows.rows["orders"]
    assert order["reference"] == "KT-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": "not-a-uuid"}, "id: missing or not a UUID"),
        ({"createdAt": None}, "createdAt: missing"),
        ({"createdAt": "yesterday"}, "createdAt: not a date-time"),
        ({"items": "none"}, "items: not a list"),
        ({"items": [{"id": ITEM_ID, "tickets": "none"}]}, r"items\[0\].tickets: not a list"),
    ],
)
def test_unmappable_orders_name_the_field(changes: dict[str, Any], reason: str) -> None:
    """An order that cannot be placed (its id, ``createdAt``) or whose lists are not lists is
    refused with the field that failed."""
    with pytest.raises(MappingError, match=reason):
        order_rows(_order(**changes), NOW)


def test_a_value_its_column_cannot_hold_is_null_and_noted() -> None:
    """An amount that is not one leaves its column NULL and a note naming the field: the order
    is stored as a partial record, the amount as sent kept in raw."""
    rows = order_rows(_order(totalAmountInclTax="ten euros"), NOW)
    (order,) = rows.rows["orders"]
    assert order["total_amount_incl_tax"] is None
    assert order["raw"]["totalAmountInclTax"] == "ten euros"
    assert any("totalAmountInclTax: not an amount" in note for note in rows.notes)


def test_values_that_cannot_be_held_are_noted_in_field_order_and_the_rest_kept() -> None:
    """Several unholdable values in one part: each column of them is NULL, each noted once and
    in the fields' order, and the part's other columns keep their values."""
    order = _order(totalAmountInclTax="ten euros", cancelledAt="soon", status="x" * 501)
    order["customer"]["optin"] = "yes"
    order["items"][0]["quantity"] = 2**40
    order["items"][0]["tickets"][0]["beneficiary"]["lastname"] = {"text": "Doe"}
    rows = order_rows(order, NOW)
    (stored,), (item,), (ticket,) = (
        rows.rows[name] for name in ("orders", "order_items", "order_item_tickets")
    )
    assert [note.split(":")[0] for note in rows.notes] == [
        "status", "cancelledAt", "totalAmountInclTax", "optin", "quantity", "lastname",
    ]  # fmt: skip
    assert (stored["status"], stored["cancelled_at"], stored["total_amount_incl_tax"]) == (
        None, None, None,
    )  # fmt: skip
    assert stored["reference"] == "KT-ORD-123456"
    assert stored["total_amount_excl_tax"] == Decimal("83.33")
    assert (stored["customer_firstname"], stored["customer_optin"]) == ("Zoë", None)
    assert (item["quantity"], item["unit_amount_incl_tax"]) == (None, Decimal("100.00"))
    assert (ticket["beneficiary_lastname"], ticket["beneficiary_firstname"]) == (None, "Ann")
