"""Reporting for BI tools: local days, sales per time slot, every view column commented.

``reporting_timezone`` holds the zone whose days ``order_lines.order_day``, ``daily_sales.day``
and ``slot_sales.slot_day`` count (``KORSYNC_REPORTING_TIMEZONE``, written by korsync; UTC
until then): PostgreSQL converts by its name, SQLite adds the offset in force, one row per
offset period. ``slot_sales`` is new: tickets and revenue per time slot (the tickets'
``occurs_at``) of each product and date, with its offer and session where one matches.
``order_lines`` gains ``order_day`` and ``activity_name`` (base or event name, both models).
``sessions.starts_at`` keeps an older-model session's start time. Bookkeeping ids stop
claiming to be API ids. Every sales view (``session_sales`` recreated for it) leaves out orders
marked ``deleted_at``. On PostgreSQL every view column gets a comment; the texts are a copy
of ``korsync.models.views`` at this revision.

Revision ID: b8f4c2d17a93
Revises: ee46031d25b9
Create Date: 2026-12-02 04:30:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8f4c2d17a93"
down_revision: str | Sequence[str] | None = "ee46031d25b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The local day of a UTC timestamp column ``{ts}``. PostgreSQL: by the zone's name. SQLite:
# by the offset in force at that instant (both sides are the same sortable UTC text).
DAY = {
    "postgresql": "CAST({ts} AT TIME ZONE COALESCE((SELECT MIN(zone) FROM reporting_timezone), "
    "'UTC') AS DATE)",
    "sqlite": "DATE({ts}, COALESCE((SELECT printf('%+d minutes', r.utc_offset_minutes) "
    "FROM reporting_timezone r WHERE r.starts_at <= {ts} ORDER BY r.starts_at DESC LIMIT 1), "
    "'+0 minutes'))",
}

EVENT_NAME = """(SELECT MIN(e.name) FROM order_item_tickets t JOIN events e ON e.id = t.event_id
         WHERE t.order_item_id = oi.id)"""

ORDER_LINES = f"""
CREATE VIEW order_lines AS
SELECT oi.id AS order_item_id,
       o.id AS order_id,
       o.reference AS order_reference,
       o.external_reference,
       o.status AS order_status,
       o.status = 'cancelled' AS is_cancelled,
       o.created_at AS order_created_at,
       {{order_day}} AS order_day,
       o.cancelled_at,
       o.customer_email,
       o.customer_firstname,
       o.customer_lastname,
       o.customer_country,
       o.catalog_id,
       c.name AS catalog_name,
       oi.product_id,
       p.name AS product_name,
       p.product_base_id,
       pb.name AS product_base_name,
       {EVENT_NAME} AS event_name,
       COALESCE(pb.name, {EVENT_NAME}) AS activity_name,
       p.deleted_at IS NOT NULL AS product_deleted,
       oi.date AS offer_date,
       oi.quantity,
       (SELECT COUNT(*) FROM order_item_tickets t WHERE t.order_item_id = oi.id) AS tickets,
       oi.unit_amount_incl_tax,
       oi.unit_amount_excl_tax,
       oi.total_amount_incl_tax,
       oi.total_amount_excl_tax
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
LEFT JOIN catalogs c ON c.id = o.catalog_id
LEFT JOIN products p ON p.id = oi.product_id
LEFT JOIN product_bases pb ON pb.id = p.product_base_id
WHERE o.deleted_at IS NULL
"""

# Each order's local day is computed once, in the subquery over orders.
DAILY_SALES = """
CREATE VIEW daily_sales AS
SELECT d.day,
       d.catalog_id,
       c.name AS catalog_name,
       COUNT(*) AS orders,
       SUM(CASE WHEN d.cancelled THEN 0 ELSE 1 END) AS confirmed_orders,
       SUM(CASE WHEN d.cancelled THEN 1 ELSE 0 END) AS cancelled_orders,
       SUM(CASE WHEN d.cancelled THEN 0 ELSE d.tickets END) AS tickets,
       ROUND(SUM(CASE WHEN d.cancelled THEN 0 ELSE d.total_amount_incl_tax END), 2)
         AS revenue_incl_tax,
       ROUND(SUM(CASE WHEN d.cancelled THEN 0 ELSE d.total_amount_excl_tax END), 2)
         AS revenue_excl_tax,
       ROUND(SUM(CASE WHEN d.cancelled THEN d.total_amount_incl_tax ELSE 0 END), 2)
         AS refunded_incl_tax
FROM (
    SELECT {order_day} AS day,
           o.catalog_id,
           COALESCE(o.status = 'cancelled', FALSE) AS cancelled,
           (SELECT COUNT(*) FROM order_item_tickets t WHERE t.order_id = o.id) AS tickets,
           o.total_amount_incl_tax,
           o.total_amount_excl_tax
    FROM orders o
    WHERE o.created_at IS NOT NULL AND o.deleted_at IS NULL
) d
LEFT JOIN catalogs c ON c.id = d.catalog_id
GROUP BY d.day, d.catalog_id, c.name
"""

# session_sales as before, without orders deleted upstream.
SESSION_SALES = """
CREATE VIEW session_sales AS
SELECT f.id AS offer_id,
       f.catalog_id,
       c.name AS catalog_name,
       f.product_id,
       p.name AS product_name,
       f.date AS offer_date,
       f.deleted_at IS NOT NULL AS offer_deleted,
       f.available_quantity,
       f.availability_read_at,
       COALESCE(s.orders, 0) AS orders,
       COALESCE(s.tickets_sold, 0) AS tickets_sold,
       COALESCE(s.revenue_incl_tax, 0) AS revenue_incl_tax
FROM offers f
LEFT JOIN (
    SELECT oi.product_id,
           oi.date,
           COUNT(DISTINCT oi.order_id) AS orders,
           SUM(oi.quantity) AS tickets_sold,
           ROUND(SUM(oi.total_amount_incl_tax), 2) AS revenue_incl_tax
    FROM order_items oi
    JOIN orders o ON o.id = oi.order_id
    WHERE o.status <> 'cancelled' AND o.deleted_at IS NULL
    GROUP BY oi.product_id, oi.date
) s ON s.product_id = f.product_id
     AND (s.date = f.date OR (s.date IS NULL AND f.date IS NULL))
LEFT JOIN catalogs c ON c.id = f.catalog_id
LEFT JOIN products p ON p.id = f.product_id
WHERE f.raw IS NOT NULL
"""

# Sessions whose start is the slot: the older model's by event, the newer model's by offer.
EVENT_SESSIONS = """FROM sessions es
            WHERE es.event_id = g.event_id AND es.starts_at = g.slot_starts_at"""
OFFER_SLOTS = """FROM offer_ticket_sessions ts JOIN offers f ON f.id = ts.offer_id
            WHERE f.product_id = g.product_id AND f.date = g.offer_date
              AND ts.starts_at = g.slot_starts_at"""

# One row per (product, date, event, slot). Lines are split over their tickets' slots; a line's
# amount is shared out by ticket count (a window over the line's ticket rows, read once), and a
# line without tickets counts whole (slot NULL).
SLOT_SALES = f"""
CREATE VIEW slot_sales AS
SELECT g.catalog_id,
       c.name AS catalog_name,
       g.product_id,
       p.name AS product_name,
       COALESCE(pb.name, e.name) AS activity_name,
       g.event_id,
       g.offer_date,
       (SELECT f.id FROM offers f
         WHERE f.product_id = g.product_id
           AND (f.date = g.offer_date OR (f.date IS NULL AND g.offer_date IS NULL))
         ORDER BY f.id LIMIT 1) AS offer_id,
       g.slot_starts_at,
       {{slot_day}} AS slot_day,
       CASE WHEN (SELECT COUNT(*) {EVENT_SESSIONS}) = 1
            THEN (SELECT es.id {EVENT_SESSIONS}) END AS session_id,
       CASE WHEN (SELECT COUNT(*) {OFFER_SLOTS}) = 1
            THEN (SELECT ts.id {OFFER_SLOTS}) END AS offer_ticket_session_id,
       g.orders,
       g.tickets,
       ROUND(g.revenue_incl_tax, 2) AS revenue_incl_tax
FROM (
    SELECT l.catalog_id,
           l.product_id,
           l.date AS offer_date,
           l.event_id,
           l.occurs_at AS slot_starts_at,
           COUNT(DISTINCT l.order_id) AS orders,
           COUNT(l.ticket_id) AS tickets,
           SUM(CASE WHEN l.line_tickets = 0 THEN l.total_amount_incl_tax
                    ELSE l.total_amount_incl_tax * 1.0 / l.line_tickets END) AS revenue_incl_tax
    FROM (
        SELECT oi.order_id, o.catalog_id, oi.product_id, oi.date, oi.total_amount_incl_tax,
               t.id AS ticket_id, t.event_id, t.occurs_at,
               COUNT(t.id) OVER (PARTITION BY oi.id) AS line_tickets
        FROM order_items oi
        JOIN orders o ON o.id = oi.order_id
        LEFT JOIN order_item_tickets t ON t.order_item_id = oi.id
        WHERE COALESCE(o.status, '') <> 'cancelled' AND o.deleted_at IS NULL
    ) l
    GROUP BY l.catalog_id, l.product_id, l.date, l.event_id, l.occurs_at
) g
LEFT JOIN catalogs c ON c.id = g.catalog_id
LEFT JOIN products p ON p.id = g.product_id
LEFT JOIN product_bases pb ON pb.id = p.product_base_id
LEFT JOIN events e ON e.id = g.event_id
"""

# The views as revision a7c3e1f0b2d4 made them, for the downgrade.
OLD_ORDER_LINES = """
CREATE VIEW order_lines AS
SELECT oi.id AS order_item_id,
       o.id AS order_id,
       o.reference AS order_reference,
       o.external_reference,
       o.status AS order_status,
       o.status = 'cancelled' AS is_cancelled,
       o.created_at AS order_created_at,
       o.cancelled_at,
       o.customer_email,
       o.customer_firstname,
       o.customer_lastname,
       o.customer_country,
       o.catalog_id,
       c.name AS catalog_name,
       oi.product_id,
       p.name AS product_name,
       p.product_base_id,
       pb.name AS product_base_name,
       (SELECT MIN(e.name) FROM order_item_tickets t JOIN events e ON e.id = t.event_id
         WHERE t.order_item_id = oi.id) AS event_name,
       p.deleted_at IS NOT NULL AS product_deleted,
       oi.date AS offer_date,
       oi.quantity,
       (SELECT COUNT(*) FROM order_item_tickets t WHERE t.order_item_id = oi.id) AS tickets,
       oi.unit_amount_incl_tax,
       oi.unit_amount_excl_tax,
       oi.total_amount_incl_tax,
       oi.total_amount_excl_tax
FROM order_items oi
JOIN orders o ON o.id = oi.order_id
LEFT JOIN catalogs c ON c.id = o.catalog_id
LEFT JOIN products p ON p.id = oi.product_id
LEFT JOIN product_bases pb ON pb.id = p.product_base_id
"""

OLD_DAILY_SALES = """
CREATE VIEW daily_sales AS
SELECT {day} AS day,
       o.catalog_id,
       c.name AS catalog_name,
       COUNT(*) AS orders,
       SUM(CASE WHEN o.status = 'cancelled' THEN 0 ELSE 1 END) AS confirmed_orders,
       SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled_orders,
       SUM(CASE WHEN o.status = 'cancelled' THEN 0
                ELSE (SELECT COUNT(*) FROM order_item_tickets t WHERE t.order_id = o.id) END)
         AS tickets,
       ROUND(SUM(CASE WHEN o.status = 'cancelled' THEN 0 ELSE o.total_amount_incl_tax END), 2)
         AS revenue_incl_tax,
       ROUND(SUM(CASE WHEN o.status = 'cancelled' THEN 0 ELSE o.total_amount_excl_tax END), 2)
         AS revenue_excl_tax,
       ROUND(SUM(CASE WHEN o.status = 'cancelled' THEN o.total_amount_incl_tax ELSE 0 END), 2)
         AS refunded_incl_tax
FROM orders o
LEFT JOIN catalogs c ON c.id = o.catalog_id
WHERE o.created_at IS NOT NULL
GROUP BY {day}, o.catalog_id, c.name
"""

OLD_SESSION_SALES = """
CREATE VIEW session_sales AS
SELECT f.id AS offer_id,
       f.catalog_id,
       c.name AS catalog_name,
       f.product_id,
       p.name AS product_name,
       f.date AS offer_date,
       f.deleted_at IS NOT NULL AS offer_deleted,
       f.available_quantity,
       f.availability_read_at,
       COALESCE(s.orders, 0) AS orders,
       COALESCE(s.tickets_sold, 0) AS tickets_sold,
       COALESCE(s.revenue_incl_tax, 0) AS revenue_incl_tax
FROM offers f
LEFT JOIN (
    SELECT oi.product_id,
           oi.date,
           COUNT(DISTINCT oi.order_id) AS orders,
           SUM(oi.quantity) AS tickets_sold,
           ROUND(SUM(oi.total_amount_incl_tax), 2) AS revenue_incl_tax
    FROM order_items oi
    JOIN orders o ON o.id = oi.order_id
    WHERE o.status <> 'cancelled'
    GROUP BY oi.product_id, oi.date
) s ON s.product_id = f.product_id
     AND (s.date = f.date OR (s.date IS NULL AND f.date IS NULL))
LEFT JOIN catalogs c ON c.id = f.catalog_id
LEFT JOIN products p ON p.id = f.product_id
WHERE f.raw IS NOT NULL
"""

OLD_VIEW_COMMENTS = {
    "order_lines": "One row per order line with its order, customer, product and catalogue names;"
    " cancelled orders included (is_cancelled)",
    "daily_sales": "Per UTC day of order creation and catalog: orders, tickets and revenue of"
    " orders not cancelled; cancelled orders and their amounts (refunded_incl_tax) apart",
    "session_sales": "Per offer (product and date): tickets sold and revenue of orders not"
    " cancelled, and the last availability read",
}
OLD_DAY = {
    "postgresql": "CAST(o.created_at AT TIME ZONE 'UTC' AS DATE)",
    "sqlite": "DATE(o.created_at)",
}

VIEW_COMMENTS = {
    "order_lines": "One row per order line with its order, customer, product and catalogue names; cancelled orders included (is_cancelled); orders deleted upstream (orders.deleted_at) left out",
    "daily_sales": "Per day of order creation (in KORSYNC_REPORTING_TIMEZONE, default UTC) and catalog: orders, tickets and revenue of orders not cancelled; cancelled orders and their amounts (refunded_incl_tax) apart; orders deleted upstream (orders.deleted_at) left out",
    "session_sales": "Per offer (product and date): tickets sold and revenue of orders not cancelled, and the last availability read; orders deleted upstream (orders.deleted_at) left out",
    "slot_sales": "Per time slot (when the tickets occur) of each product and date: tickets and revenue of orders not cancelled, with the offer and the session the slot belongs to where the mirror can tell; orders deleted upstream (orders.deleted_at) left out",
    "orders_as_sent": "Each order as the API sent it, items and their tickets put back in place",
}
COLUMN_COMMENTS = {
    "order_lines": {
        "order_item_id": "The order line (order_items.id)",
        "order_id": "Order (orders.id)",
        "order_reference": "KorusTicket's order reference (e.g. KT-ORD-123456)",
        "external_reference": "The distributor's own reference for the order",
        "order_status": "Status of the order: confirmed or cancelled",
        "is_cancelled": "True when the order was cancelled; filter it out to count sales",
        "order_created_at": "When the order was created (UTC)",
        "order_day": "Day the order was created, in KORSYNC_REPORTING_TIMEZONE (default UTC; on SQLite by the zone's UTC offsets stored in reporting_timezone)",
        "cancelled_at": "When the order was cancelled (UTC); NULL if it is not",
        "customer_email": "Customer's email (subject to KORSYNC_PII)",
        "customer_firstname": "Customer's firstname (subject to KORSYNC_PII)",
        "customer_lastname": "Customer's lastname (subject to KORSYNC_PII)",
        "customer_country": "Customer's country (subject to KORSYNC_PII)",
        "catalog_id": "Catalog this row belongs to (catalogs.id)",
        "catalog_name": "Name of the catalog",
        "product_id": "Product (products.id)",
        "product_name": "Name of the product (the variant bought, e.g. adult, 3-day entry)",
        "product_base_id": "(newer model) Product base of the product (product_bases.id)",
        "product_base_name": "(newer model) Name of the product base; NULL for older-model products, use activity_name",
        "event_name": "(older model) Name of the event the line's tickets give access to",
        "activity_name": "What was sold, one name for both catalogue models: the product base's name (newer model) or the event's name (older model)",
        "product_deleted": "True when the product was deleted upstream (its name is kept)",
        "offer_date": "Date the line is valid on (NULL: not dated)",
        "quantity": "Units bought (order_items.quantity); one unit can issue several tickets, so count tickets with the tickets column",
        "tickets": "Tickets issued for the line (rows of order_item_tickets)",
        "unit_amount_incl_tax": "Unit price including tax",
        "unit_amount_excl_tax": "Unit price excluding tax",
        "total_amount_incl_tax": "Total of the line including tax",
        "total_amount_excl_tax": "Total of the line excluding tax",
    },
    "daily_sales": {
        "day": "Day the orders were created, in KORSYNC_REPORTING_TIMEZONE (default UTC; on SQLite by the zone's UTC offsets stored in reporting_timezone)",
        "catalog_id": "Catalog this row belongs to (catalogs.id)",
        "catalog_name": "Name of the catalog",
        "orders": "Orders created that day, cancelled ones included",
        "confirmed_orders": "Orders created that day and not cancelled",
        "cancelled_orders": "Orders created that day and since cancelled",
        "tickets": "Tickets issued of orders not cancelled",
        "revenue_incl_tax": "Total including tax of orders not cancelled",
        "revenue_excl_tax": "Total excluding tax of orders not cancelled",
        "refunded_incl_tax": "Total including tax of the orders since cancelled, on the day they were created",
    },
    "session_sales": {
        "offer_id": "Offer (offers.id)",
        "catalog_id": "Catalog this row belongs to (catalogs.id)",
        "catalog_name": "Name of the catalog",
        "product_id": "Product (products.id)",
        "product_name": "Name of the product",
        "offer_date": "Date of the offer (NULL: not dated)",
        "offer_deleted": "True when the offer was deleted upstream",
        "available_quantity": "Remaining quantity when last read; NULL means unlimited",
        "availability_read_at": "When available_quantity was read (UTC)",
        "orders": "Orders with a line for this offer, of orders not cancelled",
        "tickets_sold": "Units sold (sum of order_items.quantity), not tickets: an offer whose unit holds several tickets issues more; slot_sales.tickets counts tickets",
        "revenue_incl_tax": "Total including tax of the offer's lines, of orders not cancelled",
    },
    "slot_sales": {
        "catalog_id": "Catalog this row belongs to (catalogs.id)",
        "catalog_name": "Name of the catalog",
        "product_id": "Product (products.id)",
        "product_name": "Name of the product",
        "activity_name": "What was sold, one name for both catalogue models: the product base's name (newer model) or the event's name (older model)",
        "event_id": "(older model) Event (events.id)",
        "offer_date": "Date the lines are valid on (NULL: not dated)",
        "offer_id": "The offer of this product and date (offers.id); NULL when not mirrored",
        "slot_starts_at": "When the tickets occur (order_item_tickets.occurs_at, UTC); NULL for tickets without a time and lines without tickets",
        "slot_day": "Day of slot_starts_at, in KORSYNC_REPORTING_TIMEZONE (default UTC; on SQLite by the zone's UTC offsets stored in reporting_timezone)",
        "session_id": "(older model) The event's session starting at slot_starts_at (sessions.id); NULL when none or several match",
        "offer_ticket_session_id": "(newer model) The offer's time slot starting at slot_starts_at (offer_ticket_sessions.id); NULL when none or several (one per ticket of the offer) match",
        "orders": "Orders with tickets in this slot, of orders not cancelled",
        "tickets": "Tickets in this slot, of orders not cancelled",
        "revenue_incl_tax": "Total including tax of the lines, each shared out over its tickets' slots by ticket count (a line with no tickets counts whole)",
    },
    "orders_as_sent": {
        "id": "The order (orders.id)",
        "raw": "The order's JSON with its items, each with its tickets, in list order",
    },
}

BOOKKEEPING_ID = "korsync's own key for this row (a time-ordered UUIDv7), not an API id"
OLD_ID = "The API's UUID of this item (a derived UUID for embedded items without one)"
QUANTITY = (
    "Number of units bought; a unit can issue several tickets (count order_item_tickets for "
    "tickets)"
)
OLD_QUANTITY = "Number of units"
STARTS_AT = "Start of the time slot (UTC), when the API gives it"
TIMEZONE_COMMENTS = {
    "table": "The time zone whose days the reporting views count (KORSYNC_REPORTING_TIMEZONE), "
    "one row per period of one UTC offset; written by korsync, read by the views",
    "starts_at": "From when this offset applies (UTC); the first row from year 1",
    "zone": "IANA name of the zone (the same on every row)",
    "utc_offset_minutes": "Local time minus UTC, in minutes, from starts_at to the next row",
}


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comment_views(names: Sequence[str]) -> None:
    """PostgreSQL: the comment of each view named and of each of its columns."""
    for view in names:
        op.execute(f"COMMENT ON VIEW {view} IS {_quoted(VIEW_COMMENTS[view])}")
        for column, text in COLUMN_COMMENTS[view].items():
            op.execute(f"COMMENT ON COLUMN {view}.{column} IS {_quoted(text)}")


def _create_timezone_table() -> None:
    table = op.create_table(
        "reporting_timezone",
        sa.Column(
            "starts_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment=TIMEZONE_COMMENTS["starts_at"],
        ),
        sa.Column("zone", sa.String(), nullable=False, comment=TIMEZONE_COMMENTS["zone"]),
        sa.Column(
            "utc_offset_minutes",
            sa.Integer(),
            nullable=False,
            comment=TIMEZONE_COMMENTS["utc_offset_minutes"],
        ),
        sa.PrimaryKeyConstraint("starts_at", name=op.f("pk_reporting_timezone")),
        comment=TIMEZONE_COMMENTS["table"],
    )
    # UTC until korsync writes the configured zone (db upgrade, sync, daemon start).
    start = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    if op.get_bind().dialect.name == "sqlite":  # stored as naive UTC text, like korsync does
        start = start.replace(tzinfo=None)
    op.bulk_insert(table, [{"starts_at": start, "zone": "UTC", "utc_offset_minutes": 0}])


def _set_comments(new: bool) -> None:
    """PostgreSQL: bookkeeping ids and order_items.quantity (``new``), or as they were."""
    ids, quantity = (BOOKKEEPING_ID, QUANTITY) if new else (OLD_ID, OLD_QUANTITY)
    before_ids, before_quantity = (OLD_ID, OLD_QUANTITY) if new else (BOOKKEEPING_ID, QUANTITY)
    for table in ("sync_state", "sync_runs", "rejected_records"):
        op.alter_column(table, "id", comment=ids, existing_comment=before_ids)
    op.alter_column("order_items", "quantity", comment=quantity, existing_comment=before_quantity)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("sessions", sa.Column("starts_at", sa.DateTime(timezone=True), comment=STARTS_AT))
    _create_timezone_table()
    for view in ("session_sales", "daily_sales", "order_lines"):
        op.execute(f"DROP VIEW {view}")
    order_day = DAY[dialect].format(ts="o.created_at")
    op.execute(ORDER_LINES.format(order_day=order_day))
    op.execute(DAILY_SALES.format(order_day=order_day))
    op.execute(SESSION_SALES)
    op.execute(SLOT_SALES.format(slot_day=DAY[dialect].format(ts="g.slot_starts_at")))
    if dialect == "postgresql":
        _set_comments(new=True)
        _comment_views(list(VIEW_COMMENTS))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for view in ("slot_sales", "session_sales", "daily_sales", "order_lines"):
        op.execute(f"DROP VIEW {view}")
    op.execute(OLD_ORDER_LINES)
    op.execute(OLD_DAILY_SALES.format(day=OLD_DAY[dialect]))
    op.execute(OLD_SESSION_SALES)
    if dialect == "postgresql":
        for view, text in OLD_VIEW_COMMENTS.items():
            op.execute(f"COMMENT ON VIEW {view} IS {_quoted(text)}")
        for column in COLUMN_COMMENTS["orders_as_sent"]:  # uncommented before
            op.execute(f"COMMENT ON COLUMN orders_as_sent.{column} IS NULL")
        _set_comments(new=False)
    op.drop_table("reporting_timezone")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("starts_at")
