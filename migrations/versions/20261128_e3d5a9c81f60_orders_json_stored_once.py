"""Orders store each object's JSON once: orders.raw without ``items``, order_items.raw without
``tickets``; tickets get their ``position``; the ``orders_as_sent`` view rebuilds the order.

Every order's items and tickets were stored twice (in the order's raw and in their own rows),
more than half of a mirror's JSON. The upgrade numbers existing tickets from their item's raw
before removing the lists; the downgrade puts the lists back from the rows, in position order.

Revision ID: e3d5a9c81f60
Revises: c41d9e2a7b15
Create Date: 2026-11-28 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3d5a9c81f60"
down_revision: str | Sequence[str] | None = "c41d9e2a7b15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITION_COMMENT = "Position in the parent's list, from 0"
RAW_COMMENTS = {
    "orders": (
        "The order as the API sent it, less items (rows of order_items); "
        "orders_as_sent has it whole"
    ),
    "order_items": "The line as the API sent it, less tickets (rows of order_item_tickets)",
}
OLD_RAW_COMMENT = "The item as the API sent it"

# Expressions rebuilding an item's tickets and an order's items (each list in position order).
PG_TICKETS = """COALESCE((SELECT jsonb_agg(t.raw ORDER BY t.position) FROM order_item_tickets t
                 WHERE t.order_item_id = i.id), '[]'::jsonb)"""
PG_ITEMS = f"""COALESCE((SELECT jsonb_agg(i.raw || jsonb_build_object('tickets', {PG_TICKETS})
                         ORDER BY i.position) FROM order_items i
               WHERE i.order_id = o.id), '[]'::jsonb)"""
# SQLite: json() keeps each nested value JSON (a subquery's result would be text otherwise);
# json_group_array follows the ordered subquery it reads.
SQLITE_TICKETS = """json((SELECT json_group_array(json(t.raw)) FROM
    (SELECT raw FROM order_item_tickets WHERE order_item_id = i.id ORDER BY position) t))"""
SQLITE_ITEMS = f"""json((SELECT json_group_array(json(json_set(i.raw, '$.tickets', {SQLITE_TICKETS})))
    FROM (SELECT id, raw FROM order_items WHERE order_id = o.id ORDER BY position) i))"""

VIEW = {
    "postgresql": f"""CREATE VIEW orders_as_sent AS
SELECT o.id, o.raw || jsonb_build_object('items', {PG_ITEMS}) AS raw
FROM orders o WHERE o.raw IS NOT NULL""",
    "sqlite": f"""CREATE VIEW orders_as_sent AS
SELECT o.id, json_set(o.raw, '$.items', {SQLITE_ITEMS}) AS raw
FROM orders o WHERE o.raw IS NOT NULL""",
}

VIEW_COMMENT = "Each order as the API sent it, items and their tickets put back in place"

NUMBER_TICKETS = {
    # Ids are compared as text so a ticket id the cast would refuse cannot stop the upgrade.
    "postgresql": """UPDATE order_item_tickets t SET position = e.ordinality - 1
FROM order_items i
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(i.raw -> 'tickets') = 'array' THEN i.raw -> 'tickets' END
) WITH ORDINALITY AS e(value, ordinality)
WHERE t.order_item_id = i.id AND lower(e.value ->> 'id') = t.id::text""",
    # SQLite stores uuids as 32 hex digits.
    "sqlite": """UPDATE order_item_tickets SET position = (
    SELECT CAST(j.key AS INTEGER) FROM order_items i, json_each(i.raw, '$.tickets') j
    WHERE i.id = order_item_tickets.order_item_id
      AND json_type(i.raw, '$.tickets') = 'array'
      AND lower(replace(json_extract(j.value, '$.id'), '-', '')) = order_item_tickets.id)""",
}

STRIP = {
    "postgresql": [
        "UPDATE order_items SET raw = raw - 'tickets' WHERE raw ? 'tickets'",
        "UPDATE orders SET raw = raw - 'items' WHERE raw ? 'items'",
    ],
    "sqlite": [
        "UPDATE order_items SET raw = json_remove(raw, '$.tickets') "
        "WHERE json_type(raw, '$.tickets') IS NOT NULL",
        "UPDATE orders SET raw = json_remove(raw, '$.items') "
        "WHERE json_type(raw, '$.items') IS NOT NULL",
    ],
}

RESTORE = {
    "postgresql": [
        f"""UPDATE order_items i SET raw = i.raw || jsonb_build_object('tickets', {PG_TICKETS})
WHERE i.raw IS NOT NULL""",
        "UPDATE orders o SET raw = o.raw || jsonb_build_object('items', "
        f"(SELECT COALESCE(jsonb_agg(i.raw ORDER BY i.position), '[]'::jsonb) FROM order_items i "
        "WHERE i.order_id = o.id)) WHERE o.raw IS NOT NULL",
    ],
    "sqlite": [
        f"""UPDATE order_items AS i SET raw = json_set(i.raw, '$.tickets', {SQLITE_TICKETS})
WHERE i.raw IS NOT NULL""",
        """UPDATE orders AS o SET raw = json_set(o.raw, '$.items', json((
    SELECT json_group_array(json(i.raw)) FROM
    (SELECT raw FROM order_items WHERE order_id = o.id ORDER BY position) i)))
WHERE o.raw IS NOT NULL""",
    ],
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "order_item_tickets", sa.Column("position", sa.Integer(), comment=POSITION_COMMENT)
    )
    op.execute(NUMBER_TICKETS[dialect])
    for statement in STRIP[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        for table, comment in RAW_COMMENTS.items():
            op.alter_column(table, "raw", comment=comment, existing_comment=OLD_RAW_COMMENT)
    op.execute(VIEW[dialect])
    if dialect == "postgresql":
        op.execute(f"COMMENT ON VIEW orders_as_sent IS '{VIEW_COMMENT}'")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP VIEW orders_as_sent")
    for statement in RESTORE[dialect]:
        op.execute(statement)
    if dialect == "postgresql":
        for table, comment in RAW_COMMENTS.items():
            op.alter_column(table, "raw", comment=OLD_RAW_COMMENT, existing_comment=comment)
    op.drop_column("order_item_tickets", "position")  # SQLite: native since 3.35
