"""The SQL that writes change history: per history table, the triggers (and on PostgreSQL the
trigger function and the exclusion constraint) that record each change of a mirrored row as a
version of ``<table>_history``, in the transaction that changes the row. The one home of this
text; the migration that created them carries a frozen copy, and a test compares the live
database with what this module says.

Semantics, the same on both databases. An insert or an update of a versioned column (or a
placeholder row getting its content) closes the key's current version at the transaction's
instant and opens a new one; a second change at the same instant replaces the version that held
for no time; a delete closes it. A new key's first version starts at ``first`` (an order's
createdAt) when that is earlier; validity never goes backwards for a key. Placeholder rows
(``raw`` NULL) have no version. A table whose ``history_tables`` row says disabled records
nothing. PostgreSQL runs its triggers once per statement, over the statement's rows; SQLite
once per row. The instant is ``now()`` on PostgreSQL, and the run is the transaction's
``korsync.run_id`` setting; SQLite reads both from ``history_context`` (empty outside a run:
the statement's time, no run), storing times in the text form SQLAlchemy reads back.
"""

from __future__ import annotations

from collections.abc import Sequence

# A new key's first version starts at this (when earlier than the change): by the first
# versioned column named here.
FIRST = {
    "created_at": "{row}.created_at",
    "order_id": "(SELECT o.valid_from FROM orders_history o "
    "WHERE o.id = {row}.order_id AND o.valid_to IS NULL)",
}
SQLITE_AT = (
    "COALESCE((SELECT c.observed_at FROM history_context c WHERE c.id = 1), "
    "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"
)
SQLITE_RUN = "(SELECT c.run_id FROM history_context c WHERE c.id = 1)"
EVENTS = ("insert", "update", "delete")
# The rows a PostgreSQL statement trigger sees, by event.
PG_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _first(first: str | None, row: str = "NEW", none: str = "NULL") -> str:
    return FIRST[first].format(row=row) if first else none


def _changed(columns: Sequence[str], differ: str) -> str:
    """SQL true when a placeholder gets content or any versioned column changes."""
    tests = " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns if c != "id")
    return f"(OLD.raw IS NULL OR {tests})"


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


def pg_exclusion(table: str) -> str:
    """No two versions of one key overlap (btree_gist gives uuid its GiST operator class)."""
    history = f"{table}_history"
    return (
        f"ALTER TABLE {history} ADD CONSTRAINT ex_{history}_validity EXCLUDE USING gist "
        "(id WITH =, tstzrange(valid_from, valid_to) WITH &&)"
    )


def _sqlite_write(table: str, columns: Sequence[str], first: str | None) -> str:
    """The body writing ``NEW`` as the current version (SQLite)."""
    history, at = f"{table}_history", SQLITE_AT
    names = ", ".join(columns)
    values = ", ".join(f"NEW.{c}" for c in columns)
    sets = ", ".join(f"{c} = NEW.{c}" for c in columns if c != "id")
    current = "id = NEW.id AND valid_to IS NULL"
    start = (
        f"CASE WHEN EXISTS (SELECT 1 FROM {history} WHERE id = NEW.id) "
        f"THEN max({at}, (SELECT max(valid_to) FROM {history} WHERE id = NEW.id)) "
        f"ELSE min({at}, COALESCE({_first(first)}, {at})) END"
    )
    return (
        f"UPDATE {history} SET {sets}, run_id = {SQLITE_RUN} "
        f"WHERE {current} AND valid_from >= {at};\n"
        f"UPDATE {history} SET valid_to = {at} WHERE {current} AND valid_from < {at};\n"
        f"INSERT INTO {history} ({names}, valid_from, valid_to, run_id) "
        f"SELECT {values}, {start}, NULL, {SQLITE_RUN} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {history} WHERE {current});"
    )


def sqlite_triggers(table: str, columns: Sequence[str], first: str | None) -> list[str]:
    """The three SQLite triggers writing ``table``'s history."""
    history, at, enabled = f"{table}_history", SQLITE_AT, _enabled(table)
    write = _sqlite_write(table, columns, first)
    changed = _changed(columns, "IS NOT")
    closing = (
        f"DELETE FROM {history} WHERE id = OLD.id AND valid_to IS NULL AND valid_from >= {at};\n"
        f"UPDATE {history} SET valid_to = {at} WHERE id = OLD.id AND valid_to IS NULL;"
    )
    return [
        f"CREATE TRIGGER {table}_history_insert AFTER INSERT ON {table} FOR EACH ROW "
        f"WHEN NEW.raw IS NOT NULL AND {enabled}\nBEGIN\n{write}\nEND",
        f"CREATE TRIGGER {table}_history_update AFTER UPDATE ON {table} FOR EACH ROW "
        f"WHEN NEW.raw IS NOT NULL AND {changed} AND {enabled}\nBEGIN\n{write}\nEND",
        f"CREATE TRIGGER {table}_history_delete AFTER DELETE ON {table} FOR EACH ROW "
        f"WHEN {enabled}\nBEGIN\n{closing}\nEND",
    ]


def create_statements(
    dialect: str, table: str, columns: Sequence[str], first: str | None
) -> list[str]:
    """Everything that makes the database write ``table``'s history (its table exists)."""
    if dialect == "postgresql":
        return [
            pg_function(table, columns, first),
            *pg_triggers(table),
            pg_exclusion(table),
        ]
    return sqlite_triggers(table, columns, first)


def drop_statements(dialect: str, table: str) -> list[str]:
    """What ``create_statements`` made, dropped (the history table itself stays)."""
    triggers = [f"DROP TRIGGER IF EXISTS {table}_history_{event}" for event in EVENTS]
    if dialect == "postgresql":
        return [
            *(f"{drop} ON {table}" for drop in triggers),
            f"DROP FUNCTION IF EXISTS {table}_history_write()",
        ]
    return triggers
