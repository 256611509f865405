"""PostgreSQL's history triggers run once per statement and write exactly the versions the row
triggers they replaced wrote: the same statements, in one transaction (so one instant) per
step, against a schema at the revision with row triggers and one at head, leave the same
history, through every branch of the rule (a new key, a change, a second change at the same
instant, an unchanged row, a placeholder filled, a key back after a delete with a later end, a
cascade, a disabled table)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from korsync.db.engine import make_engine
from korsync.db.migrate import alembic_config, upgrade_to_head

ROW_TRIGGERS = "d5e7a3c19b42"  # the last revision whose PostgreSQL history triggers are per row
A, B, C, D, F, P = (uuid.UUID(int=n) for n in range(1, 7))
I1, I2, I3, I4 = (uuid.UUID(int=n) for n in range(11, 15))
RUN = uuid.UUID(int=99)
UPSERT = (
    "INSERT INTO orders (id, raw, status, created_at) VALUES "
    f"('{A}', '{{}}', 'cancelled', '2026-01-01'), ('{B}', '{{}}', 'new', '2030-01-01'), "
    f"('{P}', '{{}}', 'new', '2025-01-01'), ('{D}', '{{}}', 'new', '2025-06-01') "
    "ON CONFLICT (id) DO UPDATE SET raw = EXCLUDED.raw, status = EXCLUDED.status, "
    "created_at = EXCLUDED.created_at WHERE (orders.raw, orders.status, orders.created_at) "
    "IS DISTINCT FROM (EXCLUDED.raw, EXCLUDED.status, EXCLUDED.created_at)"
)
STEPS = [
    [
        f"SELECT set_config('korsync.run_id', '{RUN}', true)",
        "INSERT INTO orders (id, raw, status, created_at) VALUES "
        f"('{A}', '{{}}', 'new', '2026-01-01'), ('{B}', '{{}}', 'new', '2030-01-01'), "
        f"('{C}', '{{}}', 'new', NULL), ('{P}', NULL, NULL, NULL)",
        f"UPDATE orders SET status = 'paid' WHERE id = '{A}'",  # again at the same instant
        # F had a version that ends after now: back, it starts at that end, then changes again
        "INSERT INTO orders_history (id, status, valid_from, valid_to) "
        f"VALUES ('{F}', 'old', '2099-01-01', '2099-02-01')",
        f"INSERT INTO orders (id, raw, status) VALUES ('{F}', '{{}}', 'back')",
        f"UPDATE orders SET status = 'again' WHERE id = '{F}'",
        "INSERT INTO order_items (id, order_id, raw, position) VALUES "
        f"('{I1}', '{A}', '{{}}', 1), ('{I2}', '{A}', '{{}}', 2), ('{I3}', '{C}', '{{}}', 1)",
    ],
    [
        UPSERT,  # A changed, B unchanged, P filled, D new: inserts and updates in one statement
        f"""UPDATE orders SET raw = '{{"note": 1}}' WHERE id = '{C}'""",  # no versioned column
        "UPDATE order_items SET position = position + 10",
        f"DELETE FROM order_items WHERE id = '{I3}'",
    ],
    [
        f"INSERT INTO order_items (id, order_id, raw, position) VALUES ('{I3}', '{C}', '{{}}', 5)",
        f"DELETE FROM orders WHERE id = '{A}'",  # its items go too
        "UPDATE history_tables SET enabled = false WHERE table_name = 'order_items'",
        f"INSERT INTO order_items (id, order_id, raw, position) VALUES ('{I4}', '{D}', '{{}}', 1)",
    ],
]
HISTORY = {
    "orders_history": "id, status, created_at, valid_from, valid_to, run_id",
    "order_items_history": "id, order_id, position, valid_from, valid_to, run_id",
}


@pytest.fixture
def two_schemas(postgres_url: str) -> Iterator[tuple[Engine, str, str]]:
    """Two fresh schemas: one at the row-trigger revision, one at head."""
    admin = make_engine(postgres_url)
    suffix = uuid.uuid4().hex[:10]
    rows, statements = f"korsync_rowtrig_{suffix}", f"korsync_stmttrig_{suffix}"
    for schema in (rows, statements):
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        engine = make_engine(url.render_as_string(hide_password=False))
        if schema == rows:
            with engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                command.upgrade(alembic_config(connection, schema), ROW_TRIGGERS)
        else:
            upgrade_to_head(engine, schema)
        engine.dispose()
    yield admin, rows, statements
    with admin.begin() as connection:
        for schema in (rows, statements):
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _history(admin: Engine, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    with admin.connect() as connection:
        return {
            table: [
                tuple(row)
                for row in connection.execute(
                    text(f'SELECT {columns} FROM "{schema}".{table} ORDER BY id, valid_from')
                )
            ]
            for table, columns in HISTORY.items()
        }


@pytest.mark.postgres
def test_statement_triggers_write_what_row_triggers_wrote(
    two_schemas: tuple[Engine, str, str],
) -> None:
    admin, rows, statements = two_schemas
    for step in STEPS:
        with admin.begin() as connection:  # both schemas in one transaction: one now()
            for schema in (rows, statements):
                connection.execute(text(f'SET LOCAL search_path TO "{schema}", public'))
                for statement in step:
                    connection.execute(text(statement))
    by_rows, by_statements = _history(admin, rows), _history(admin, statements)
    assert by_statements == by_rows
    orders = by_statements["orders_history"]
    assert [v[1] for v in orders if v[0] == F] == ["old", "again"]  # replaced at its start
    assert {v[0] for v in orders} == {A, B, C, D, F, P}
    items = by_statements["order_items_history"]
    assert [v[2] for v in items if v[0] == I3] == [1, 5]  # back after its delete
    assert all(v[4] is not None for v in items if v[0] in (I1, I2))  # closed by the cascade
    assert I4 not in {v[0] for v in items}  # recorded nothing while disabled
