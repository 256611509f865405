"""What each reporting view answers and what each of its columns means: the one home of this
text. ``korsync db docs`` and ``korsync db dbt-sources`` read it, and it is what PostgreSQL
stores as ``COMMENT ON VIEW``/``COMMENT ON COLUMN`` (Metabase and others show those). The views
themselves are SQL in migrations, and the migration that last (re)created or commented a view
carries a frozen copy of this text; a test compares the live comments with it, so a change here
needs a migration that writes the new text.

A column described as ``None`` means what the tables' column of that name means
(``korsync.models.comments``).
"""

from __future__ import annotations

import dataclasses

from korsync.models.comments import comment_for

LOCAL_DAY = (
    "in KORSYNC_REPORTING_TIMEZONE (default UTC; on SQLite by the zone's UTC offsets stored in "
    "reporting_timezone)"
)
_UNITS = (
    "Units bought (order_items.quantity); one unit can issue several tickets, so count tickets "
    "with the tickets column"
)
_ACTIVITY = (
    "What was sold, one name for both catalogue models: the product base's name (newer model) "
    "or the event's name (older model)"
)
_NOT_CANCELLED = "of orders not cancelled"
# Every view over orders says it: an audit marks orders gone upstream instead of deleting them.
_LIVE = "orders deleted upstream (orders.deleted_at) left out"


@dataclasses.dataclass(frozen=True)
class View:
    """One reporting view: what a row is, and each column in the view's order."""

    comment: str
    columns: dict[str, str | None]

    def column_comment(self, column: str) -> str:
        """The description of ``column`` (its own, or the tables' for the same name)."""
        text = self.columns[column]
        described = text if text is not None else comment_for(column)
        if described is None:
            raise KeyError(f"no description for view column {column}")
        return described


ORDER_LINES = View(
    "One row per order line with its order, customer, product and catalogue names; cancelled "
    f"orders included (is_cancelled); {_LIVE}",
    {
        "order_item_id": "The order line (order_items.id)",
        "order_id": None,
        "order_reference": "KorusTicket's order reference (e.g. KT-ORD-123456)",
        "external_reference": None,
        "order_status": "Status of the order: confirmed or cancelled",
        "is_cancelled": "True when the order was cancelled; filter it out to count sales",
        "order_created_at": "When the order was created (UTC)",
        "order_day": f"Day the order was created, {LOCAL_DAY}",
        "cancelled_at": None,
        "customer_email": None,
        "customer_firstname": None,
        "customer_lastname": None,
        "customer_country": None,
        "catalog_id": None,
        "catalog_name": "Name of the catalog",
        "product_id": None,
        "product_name": "Name of the product (the variant bought, e.g. adult, 3-day entry)",
        "product_base_id": "(newer model) Product base of the product (product_bases.id)",
        "product_base_name": "(newer model) Name of the product base; NULL for older-model "
        "products, use activity_name",
        "event_name": "(older model) Name of the event the line's tickets give access to",
        "activity_name": _ACTIVITY,
        "product_deleted": "True when the product was deleted upstream (its name is kept)",
        "offer_date": "Date the line is valid on (NULL: not dated)",
        "quantity": _UNITS,
        "tickets": "Tickets issued for the line (rows of order_item_tickets)",
        "unit_amount_incl_tax": None,
        "unit_amount_excl_tax": None,
        "total_amount_incl_tax": "Total of the line including tax",
        "total_amount_excl_tax": "Total of the line excluding tax",
    },
)

DAILY_SALES = View(
    "Per day of order creation (in KORSYNC_REPORTING_TIMEZONE, default UTC) and catalog: "
    "orders, tickets and revenue of orders not cancelled; cancelled orders and their amounts "
    f"(refunded_incl_tax) apart; {_LIVE}",
    {
        "day": f"Day the orders were created, {LOCAL_DAY}",
        "catalog_id": None,
        "catalog_name": "Name of the catalog",
        "orders": "Orders created that day, cancelled ones included",
        "confirmed_orders": "Orders created that day and not cancelled",
        "cancelled_orders": "Orders created that day and since cancelled",
        "tickets": f"Tickets issued {_NOT_CANCELLED}",
        "revenue_incl_tax": f"Total including tax {_NOT_CANCELLED}",
        "revenue_excl_tax": f"Total excluding tax {_NOT_CANCELLED}",
        "refunded_incl_tax": "Total including tax of the orders since cancelled, on the day "
        "they were created",
    },
)

SESSION_SALES = View(
    "Per offer (product and date): tickets sold and revenue of orders not cancelled, and the "
    f"last availability read; {_LIVE}",
    {
        "offer_id": None,
        "catalog_id": None,
        "catalog_name": "Name of the catalog",
        "product_id": None,
        "product_name": "Name of the product",
        "offer_date": "Date of the offer (NULL: not dated)",
        "offer_deleted": "True when the offer was deleted upstream",
        "available_quantity": None,
        "availability_read_at": None,
        "orders": f"Orders with a line for this offer, {_NOT_CANCELLED}",
        "tickets_sold": "Units sold (sum of order_items.quantity), not tickets: an offer whose "
        "unit holds several tickets issues more; slot_sales.tickets counts tickets",
        "revenue_incl_tax": f"Total including tax of the offer's lines, {_NOT_CANCELLED}",
    },
)

ORDERS_AS_SENT = View(
    "Each order as the API sent it, items and their tickets put back in place",
    {
        "id": "The order (orders.id)",
        "raw": "The order's JSON with its items, each with its tickets, in list order",
    },
)

SLOT_SALES = View(
    "Per time slot (when the tickets occur) of each product and date: tickets and revenue of "
    "orders not cancelled, with the offer and the session the slot belongs to where the mirror "
    f"can tell; {_LIVE}",
    {
        "catalog_id": None,
        "catalog_name": "Name of the catalog",
        "product_id": None,
        "product_name": "Name of the product",
        "activity_name": _ACTIVITY,
        "event_id": None,
        "offer_date": "Date the lines are valid on (NULL: not dated)",
        "offer_id": "The offer of this product and date (offers.id); NULL when not mirrored",
        "slot_starts_at": "When the tickets occur (order_item_tickets.occurs_at, UTC); NULL "
        "for tickets without a time and lines without tickets",
        "slot_day": f"Day of slot_starts_at, {LOCAL_DAY}",
        "session_id": "(older model) The event's session starting at slot_starts_at "
        "(sessions.id); NULL when none or several match",
        "offer_ticket_session_id": "(newer model) The offer's time slot starting at "
        "slot_starts_at (offer_ticket_sessions.id); NULL when none or several (one per ticket "
        "of the offer) match",
        "orders": f"Orders with tickets in this slot, {_NOT_CANCELLED}",
        "tickets": f"Tickets in this slot, {_NOT_CANCELLED}",
        "revenue_incl_tax": "Total including tax of the lines, each shared out over its "
        "tickets' slots by ticket count (a line with no tickets counts whole)",
    },
)

# What a history view's observed_at means: korsync's observation, not the API's event time.
_OBSERVED = (
    "When korsync observed the change (UTC; at most one reconcile or refresh interval after it "
    "happened upstream; the first version of an order: its createdAt)"
)

ORDER_STATUS_CHANGES = View(
    "Each status an order took, in the order korsync observed them (orders_history); the "
    "first row of an order is its status when first read (from_status NULL)",
    {
        "order_id": "The order (orders.id)",
        "from_status": "Status before the change; NULL for the order's first version (or the "
        "first kept, once older versions were pruned by KORSYNC_HISTORY_DAYS)",
        "to_status": "Status from observed_at on",
        "observed_at": _OBSERVED,
        "run_id": "The run that saw the change (sync_runs.id)",
    },
)

OFFER_PRICE_AVAILABILITY = View(
    "Each version of each offer's price and availability (offers_history), with the period it "
    "held; a row per observed change of the offer",
    {
        "offer_id": "The offer (offers.id)",
        "product_id": None,
        "offer_date": "Date of the offer (NULL: not dated)",
        "price_amount_incl_tax": None,
        "price_original_amount_incl_tax": None,
        "price_currency": None,
        "available_quantity": None,
        "offer_deleted": "True while the offer was deleted upstream",
        "valid_from": _OBSERVED,
        "valid_to": "Until when it held (UTC), exclusive; NULL: it still holds",
    },
)

TICKET_CHANGES = View(
    "Each observed change of an order ticket's voucher, status or beneficiary "
    "(order_item_tickets_history); the first row of a ticket is how it was first read",
    {
        "ticket_id": "The ticket (order_item_tickets.id)",
        "order_id": None,
        "from_voucher": "Voucher before the change (NULL: none yet, or the first version)",
        "to_voucher": "Voucher from observed_at on",
        "from_status": "Ticket status before the change (NULL: the first version)",
        "to_status": "Ticket status from observed_at on",
        "beneficiary_changed": "True when any beneficiary field changed (or was first given)",
        "beneficiary_firstname": None,
        "beneficiary_lastname": None,
        "beneficiary_email": None,
        "observed_at": _OBSERVED,
        "run_id": "The run that saw the change (sync_runs.id)",
    },
)

VIEWS: dict[str, View] = {
    "order_lines": ORDER_LINES,
    "daily_sales": DAILY_SALES,
    "session_sales": SESSION_SALES,
    "slot_sales": SLOT_SALES,
    "orders_as_sent": ORDERS_AS_SENT,
    "order_status_changes": ORDER_STATUS_CHANGES,
    "offer_price_availability": OFFER_PRICE_AVAILABILITY,
    "ticket_changes": TICKET_CHANGES,
}
