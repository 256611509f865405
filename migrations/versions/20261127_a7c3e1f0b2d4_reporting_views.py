"""Reporting views: order_lines, daily_sales, session_sales (PostgreSQL and SQLite).

Cancelled orders stay in order_lines with is_cancelled; daily_sales and session_sales count
only orders that are not cancelled as sales and report cancellations separately. Names of
soft-deleted catalogue rows are still shown (the rows are kept), with a flag where it matters.

Revision ID: a7c3e1f0b2d4
Revises: 109c976561ff
Create Date: 2026-11-27 21:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a7c3e1f0b2d4"
down_revision: str | Sequence[str] | None = "109c976561ff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_LINES = """
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

DAILY_SALES = """
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
    WHERE o.status <> 'cancelled'
    GROUP BY oi.product_id, oi.date
) s ON s.product_id = f.product_id
     AND (s.date = f.date OR (s.date IS NULL AND f.date IS NULL))
LEFT JOIN catalogs c ON c.id = f.catalog_id
LEFT JOIN products p ON p.id = f.product_id
WHERE f.raw IS NOT NULL
"""

COMMENTS = {
    "order_lines": "One row per order line with its order, customer, product and catalogue names;"
    " cancelled orders included (is_cancelled)",
    "daily_sales": "Per UTC day of order creation and catalog: orders, tickets and revenue of"
    " orders not cancelled; cancelled orders and their amounts (refunded_incl_tax) apart",
    "session_sales": "Per offer (product and date): tickets sold and revenue of orders not"
    " cancelled, and the last availability read",
}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    day = "CAST(o.created_at AT TIME ZONE 'UTC' AS DATE)" if postgres else "DATE(o.created_at)"
    op.execute(ORDER_LINES)
    op.execute(DAILY_SALES.format(day=day))
    op.execute(SESSION_SALES)
    if postgres:
        for view, comment in COMMENTS.items():
            op.execute(f"COMMENT ON VIEW {view} IS '{comment}'")


def downgrade() -> None:
    for view in ("session_sales", "daily_sales", "order_lines"):
        op.execute(f"DROP VIEW {view}")
