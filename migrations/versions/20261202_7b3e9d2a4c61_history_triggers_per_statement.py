"""History triggers on PostgreSQL run once per statement instead of once per row.

Each history function reads the statement's rows from its transition tables (``new_rows``,
``old_rows``) and writes their versions with a few set-based statements; the versions written
are the same as before (same rule for starts, closing and replacing). A first load's history
cost mostly PL/pgSQL calls and three lookups per row. SQLite keeps its row triggers. The new
trigger SQL is a frozen copy of ``korsync.db.history_sql`` at this revision; a downgrade
restores the row triggers from the frozen copy of the revision this one revises.

Revision ID: 7b3e9d2a4c61
Revises: d5e7a3c19b42
Create Date: 2026-12-02 16:20:00
"""

from collections.abc import Callable, Sequence
from types import ModuleType

from alembic import context, op

revision: str = "7b3e9d2a4c61"
down_revision: str | Sequence[str] | None = "d5e7a3c19b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _revised() -> ModuleType:
    """The revision this one revises: its tables' versioned columns (unchanged here) and its
    row triggers, which a downgrade puts back."""
    script = context.script.get_revision(str(down_revision))
    assert script is not None and script.module is not None
    return script.module


def upgrade() -> None:
    _replace(pg_function, lambda table, _columns: pg_triggers(table))


def downgrade() -> None:
    revised = _revised()
    _replace(revised.pg_function, revised.pg_triggers)


def _replace(
    function: Callable[[str, list[str], str | None], str],
    triggers: Callable[[str, list[str]], list[str]],
) -> None:
    """Swap every history table's function and triggers for those made by ``function`` and
    ``triggers`` (PostgreSQL only; the history tables and their constraints stay)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    revised = _revised()
    for table, columns in revised.COLUMNS.items():
        for statement in revised.drop_statements("postgresql", table):
            op.execute(statement)
        op.execute(function(table, columns, revised.FIRST_FROM.get(table)))
        for statement in triggers(table, columns):
            op.execute(statement)


# --- frozen copy of korsync.db.history_sql (PostgreSQL) at this revision ----------------------

FIRST = {
    "created_at": "{row}.created_at",
    "order_id": "(SELECT o.valid_from FROM orders_history o "
    "WHERE o.id = {row}.order_id AND o.valid_to IS NULL)",
}
PG_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _first(first: str | None, row: str = "NEW", none: str = "NULL") -> str:
    return FIRST[first].format(row=row) if first else none


def _enabled(table: str) -> str:
    setting = f"SELECT 1 FROM history_tables s WHERE s.table_name = '{table}' AND NOT s.enabled"
    return f"NOT EXISTS ({setting})"


def pg_function(table: str, columns: Sequence[str], first: str | None) -> str:
    """The PostgreSQL trigger function writing ``table``'s history, once per statement over its
    transition tables (``new_rows``, ``old_rows``): a page of a backfill is then a few
    set-based statements instead of a PL/pgSQL call and three lookups per row. ``SET
    search_path FROM CURRENT``: it works in the schema it was created in, whatever the
    caller's search_path. ``SET jit = off``: past a few hundred thousand versions the planner's
    cost of the per-key probes passes ``jit_above_cost``, and compiling the statement took
    ~1.6 s for a page whose probes take a millisecond.

    Each key's new version starts as the row-at-a-time rule says (the ``CASE`` below), from its
    current version (``opened``) and its last end, read in one index probe per key. Current
    versions are then closed, or replaced when they began at this instant, one key at a time
    by primary key: a statement over all keys at once would be planned once per session, from
    the statistics of a table that a backfill fills from empty, and could scan it whole."""
    history = f"{table}_history"
    names = ", ".join(columns)
    values = ", ".join(f"n.{c}" for c in columns)
    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns if c != "id")
    inserted = _pg_versions(history, first, "new_rows n", "n.raw IS NOT NULL")
    updated = _pg_versions(
        history,
        first,
        "new_rows n JOIN old_rows o ON o.id = n.id",
        f"n.raw IS NOT NULL AND (o.raw IS NULL OR {changed})",
    )
    return f"""CREATE FUNCTION {table}_history_write() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT SET jit = off AS $$
DECLARE
    at timestamptz := now();
    run uuid := CAST(NULLIF(current_setting('korsync.run_id', true), '') AS uuid);
    keys uuid[];
    starts timestamptz[];
    current_keys uuid[];
    current_starts timestamptz[];
BEGIN
    IF NOT {_enabled(table)} THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(c.id), array_agg(c.valid_from) INTO current_keys, current_starts
        FROM old_rows o CROSS JOIN LATERAL (
            SELECT c.id, c.valid_from FROM {history} c WHERE c.id = o.id AND c.valid_to IS NULL
        ) c;
    ELSIF TG_OP = 'INSERT' THEN
        {inserted}
    ELSE
        {updated}
    END IF;
    FOR i IN 1 .. coalesce(array_length(current_keys, 1), 0) LOOP
        IF current_starts[i] >= at THEN
            DELETE FROM {history} WHERE id = current_keys[i] AND valid_from = current_starts[i];
        ELSE
            UPDATE {history} SET valid_to = at
            WHERE id = current_keys[i] AND valid_from = current_starts[i];
        END IF;
    END LOOP;
    IF keys IS NOT NULL THEN
        INSERT INTO {history} ({names}, valid_from, valid_to, run_id)
        SELECT {values}, k.start, NULL, run
        FROM unnest(keys, starts) AS k(id, start) JOIN new_rows n ON n.id = k.id;
    END IF;
    RETURN NULL;
END
$$"""


def _pg_versions(history: str, first: str | None, rows: str, where: str) -> str:
    """The statement reading, for the changed ``rows``, each key's new start (``keys``,
    ``starts``) and each current version to close or replace (``current_keys``,
    ``current_starts``)."""
    start = _first(first, row="n", none="CAST(NULL AS timestamptz)")
    return f"""SELECT array_agg(n.id),
            array_agg(CASE
                WHEN v.opened >= at THEN v.opened
                WHEN v.opened IS NOT NULL THEN at
                WHEN v.last_end IS NULL THEN LEAST(at, COALESCE({start}, at))
                ELSE GREATEST(at, v.last_end) END),
            array_agg(n.id) FILTER (WHERE v.opened IS NOT NULL),
            array_agg(v.opened) FILTER (WHERE v.opened IS NOT NULL)
        INTO keys, starts, current_keys, current_starts
        FROM {rows} CROSS JOIN LATERAL (
            SELECT max(e.valid_to) AS last_end,
                   max(e.valid_from) FILTER (WHERE e.valid_to IS NULL) AS opened
            FROM {history} e WHERE e.id = n.id
        ) v
        WHERE {where};"""


def pg_triggers(table: str) -> list[str]:
    """The three PostgreSQL statement triggers calling ``table``'s history function."""
    call = f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_history_write()"
    return [
        f"CREATE TRIGGER {table}_history_{event} AFTER {event.upper()} ON {table} "
        f"REFERENCING {transition} {call}"
        for event, transition in PG_TRANSITIONS.items()
    ]
