"""Change history: every change korsync observes kept as a version in ``<table>_history``.

For the orders tables, offers (with their tickets and ticket sessions) and the catalogue tables,
a history table with the typed business columns (not ``raw``, ``synced_at`` nor snapshot read
times), ``valid_from``, ``valid_to`` (NULL while current) and ``run_id``. Triggers write it in
the transaction that changes the row, so every write path records history; ``history_tables``
(all enabled here; KORSYNC_HISTORY at start) says which tables record, ``history_context`` passes
SQLite the run and instant (PostgreSQL: the ``korsync.run_id`` setting and ``now()``). One
current version per key (a partial unique index); on PostgreSQL no overlapping validity either
(an exclusion constraint, with btree_gist). Rows already mirrored get a first version from their
last write (``synced_at``). The trigger SQL is a frozen copy of ``korsync.db.history_sql`` at
this revision.

Revision ID: d5e7a3c19b42
Revises: 5c1f0e7a9d42
Create Date: 2026-12-02 07:25:45
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d5e7a3c19b42"
down_revision: str | Sequence[str] | None = "5c1f0e7a9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The versioned columns of each table at this revision (korsync.models.history).
COLUMNS = {
    'orders': ['id', 'catalog_id', 'organization_id', 'reservation_id', 'created_at', 'reference', 'external_reference', 'connector_reference', 'status', 'cancelled_at', 'total_amount_incl_tax', 'total_amount_excl_tax', 'notes', 'customer_title', 'customer_firstname', 'customer_lastname', 'customer_email', 'customer_phone', 'customer_optin', 'customer_country', 'customer_language', 'deleted_at'],
    'order_items': ['id', 'order_id', 'position', 'product_id', 'date', 'quantity', 'unit_amount_incl_tax', 'unit_amount_excl_tax', 'total_amount_incl_tax', 'total_amount_excl_tax', 'amount_incl_tax', 'amount_excl_tax'],
    'order_item_tickets': ['id', 'order_id', 'order_item_id', 'position', 'event_id', 'voucher', 'occurs_at', 'status', 'required_beneficiary_fields', 'beneficiary_designation_deadline', 'beneficiary_amendable', 'beneficiary_title', 'beneficiary_firstname', 'beneficiary_lastname', 'beneficiary_email', 'beneficiary_phone', 'beneficiary_date_of_birth', 'beneficiary_place_of_birth', 'beneficiary_nationality'],
    'offers': ['id', 'catalog_id', 'product_id', 'date', 'availability_check_required', 'realtime_price_required', 'price_amount_incl_tax', 'price_original_amount_incl_tax', 'price_currency', 'available_quantity', 'deleted_at'],
    'offer_tickets': ['id', 'catalog_id', 'offer_id', 'form_id', 'name', 'description', 'date_access', 'available_quantity', 'deleted_at'],
    'offer_ticket_sessions': ['id', 'catalog_id', 'offer_id', 'offer_ticket_id', 'starts_at', 'available_quantity', 'deleted_at'],
    'catalogs': ['id', 'name', 'created_at', 'deleted_at'],
    'events': ['id', 'catalog_id', 'name', 'description', 'deleted_at'],
    'sessions': ['id', 'catalog_id', 'event_id', 'starts_at', 'available_quantity', 'deleted_at'],
    'product_bases': ['id', 'catalog_id', 'name', 'disabled', 'description', 'short_description', 'terms_of_use', 'use_session', 'timezone', 'recurring', 'beneficiary_info_may_be_required', 'instant_document_delivery', 'max_amount_per_order', 'universe', 'venue_name', 'venue_line1', 'venue_line2', 'venue_postal_code', 'venue_city', 'venue_country', 'venue_phone', 'venue_website', 'venue_latitude', 'venue_longitude', 'deleted_at'],
    'products': ['id', 'catalog_id', 'product_base_id', 'name', 'description', 'disabled', 'deleted_at'],
    'forms': ['id', 'code', 'deleted_at'],
    'form_fields': ['id', 'form_id', 'position', 'type', 'required', 'name', 'label', 'deleted_at'],
    'form_field_choices': ['id', 'form_field_id', 'position', 'value', 'label', 'deleted_at'],
}
GROUPS = {'orders': ['orders', 'order_items', 'order_item_tickets'], 'offers': ['offers', 'offer_tickets', 'offer_ticket_sessions'], 'catalogue': ['catalogs', 'events', 'sessions', 'product_bases', 'products', 'forms', 'form_fields', 'form_field_choices']}
FIRST_FROM = {'orders': 'created_at', 'order_items': 'order_id', 'order_item_tickets': 'order_id'}

# --- frozen copy of korsync.db.history_sql at this revision -------------------------------
FIRST = {
    "created_at": "NEW.created_at",
    "order_id": "(SELECT o.valid_from FROM orders_history o "
    "WHERE o.id = NEW.order_id AND o.valid_to IS NULL)",
}
SQLITE_AT = (
    "COALESCE((SELECT c.observed_at FROM history_context c WHERE c.id = 1), "
    "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"
)
SQLITE_RUN = "(SELECT c.run_id FROM history_context c WHERE c.id = 1)"
EVENTS = ("insert", "update", "delete")


def _first(first: str | None) -> str:
    return FIRST[first] if first else "NULL"


def _changed(columns: Sequence[str], differ: str) -> str:
    """SQL true when a placeholder gets content or any versioned column changes."""
    tests = " OR ".join(f"OLD.{c} {differ} NEW.{c}" for c in columns if c != "id")
    return f"(OLD.raw IS NULL OR {tests})"


def _enabled(table: str) -> str:
    setting = f"SELECT 1 FROM history_tables s WHERE s.table_name = '{table}' AND NOT s.enabled"
    return f"NOT EXISTS ({setting})"


def pg_function(table: str, columns: Sequence[str], first: str | None) -> str:
    """The PostgreSQL trigger function writing ``table``'s history. ``SET search_path FROM
    CURRENT``: it works in the schema it was created in, whatever the caller's search_path."""
    history = f"{table}_history"
    names = ", ".join(columns)
    values = ", ".join(f"NEW.{c}" for c in columns)
    return f"""CREATE FUNCTION {table}_history_write() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    at timestamptz := now();
    run uuid := CAST(NULLIF(current_setting('korsync.run_id', true), '') AS uuid);
    opened timestamptz;
    last_end timestamptz;
BEGIN
    IF NOT {_enabled(table)} THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {history} WHERE id = OLD.id AND valid_to IS NULL AND valid_from >= at;
        UPDATE {history} SET valid_to = at WHERE id = OLD.id AND valid_to IS NULL;
        RETURN NULL;
    END IF;
    SELECT valid_from INTO opened FROM {history} WHERE id = NEW.id AND valid_to IS NULL;
    IF opened >= at THEN
        DELETE FROM {history} WHERE id = NEW.id AND valid_to IS NULL;
        at := opened;
    ELSIF opened IS NOT NULL THEN
        UPDATE {history} SET valid_to = at WHERE id = NEW.id AND valid_to IS NULL;
    ELSE
        SELECT max(valid_to) INTO last_end FROM {history} WHERE id = NEW.id;
        IF last_end IS NULL THEN
            at := LEAST(at, COALESCE({_first(first)}, at));
        ELSE
            at := GREATEST(at, last_end);
        END IF;
    END IF;
    INSERT INTO {history} ({names}, valid_from, valid_to, run_id)
    VALUES ({values}, at, NULL, run);
    RETURN NULL;
END
$$"""


def pg_triggers(table: str, columns: Sequence[str]) -> list[str]:
    """The three PostgreSQL triggers calling ``table``'s history function."""
    call = f"FOR EACH ROW {{}}EXECUTE FUNCTION {table}_history_write()"
    changed = _changed(columns, "IS DISTINCT FROM")
    return [
        f"CREATE TRIGGER {table}_history_insert AFTER INSERT ON {table} "
        + call.format("WHEN (NEW.raw IS NOT NULL) "),
        f"CREATE TRIGGER {table}_history_update AFTER UPDATE ON {table} "
        + call.format(f"WHEN (NEW.raw IS NOT NULL AND {changed}) "),
        f"CREATE TRIGGER {table}_history_delete AFTER DELETE ON {table} " + call.format(""),
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
            *pg_triggers(table, columns),
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


# --- views over the history, and orders_as_of -------------------------------------------------
DIFFER = {"postgresql": "IS DISTINCT FROM", "sqlite": "IS NOT"}
BENEFICIARY = (
    "beneficiary_title", "beneficiary_firstname", "beneficiary_lastname", "beneficiary_email",
    "beneficiary_phone", "beneficiary_date_of_birth", "beneficiary_place_of_birth",
    "beneficiary_nationality",
)

ORDER_STATUS_CHANGES = """
CREATE VIEW order_status_changes AS
SELECT c.id AS order_id,
       c.from_status,
       c.status AS to_status,
       c.valid_from AS observed_at,
       c.run_id
FROM (
    SELECT h.id, h.status, h.valid_from, h.run_id,
           LAG(h.status) OVER w AS from_status,
           ROW_NUMBER() OVER w AS n
    FROM orders_history h
    WINDOW w AS (PARTITION BY h.id ORDER BY h.valid_from)
) c
WHERE c.n = 1 OR c.status {differ} c.from_status
"""

OFFER_PRICE_AVAILABILITY = """
CREATE VIEW offer_price_availability AS
SELECT h.id AS offer_id,
       h.product_id,
       h.date AS offer_date,
       h.price_amount_incl_tax,
       h.price_original_amount_incl_tax,
       h.price_currency,
       h.available_quantity,
       h.deleted_at IS NOT NULL AS offer_deleted,
       h.valid_from,
       h.valid_to
FROM offers_history h
"""

TICKET_CHANGES = """
CREATE VIEW ticket_changes AS
SELECT c.id AS ticket_id,
       c.order_id,
       c.from_voucher,
       c.voucher AS to_voucher,
       c.from_status,
       c.status AS to_status,
       CASE WHEN c.n = 1 THEN {given} ELSE {changed} END AS beneficiary_changed,
       c.beneficiary_firstname,
       c.beneficiary_lastname,
       c.beneficiary_email,
       c.valid_from AS observed_at,
       c.run_id
FROM (
    SELECT h.*,
           LAG(h.voucher) OVER w AS from_voucher,
           LAG(h.status) OVER w AS from_status,
           {lags},
           ROW_NUMBER() OVER w AS n
    FROM order_item_tickets_history h
    WINDOW w AS (PARTITION BY h.id ORDER BY h.valid_from)
) c
WHERE c.n = 1 OR c.voucher {differ} c.from_voucher OR c.status {differ} c.from_status
   OR {changed}
"""

ORDERS_AS_OF = """
CREATE FUNCTION orders_as_of(at timestamptz) RETURNS SETOF orders_history
LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT * FROM orders_history WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)
$$"""
ORDERS_AS_OF_COMMENT = (
    "The orders as korsync knew them at the instant given: one orders_history row per order "
    "whose version held then (validity is korsync's observation, at most one reconcile "
    "interval late)"
)
VIEW_COMMENTS = {
    'order_status_changes': 'Each status an order took, in the order korsync observed them (orders_history); the first row of an order is its status when first read (from_status NULL)',
    'offer_price_availability': "Each version of each offer's price and availability (offers_history), with the period it held; a row per observed change of the offer",
    'ticket_changes': "Each observed change of an order ticket's voucher, status or beneficiary (order_item_tickets_history); the first row of a ticket is how it was first read",
}
COLUMN_COMMENTS = {
    'order_status_changes': {
        'order_id': 'The order (orders.id)',
        'from_status': "Status before the change; NULL for the order's first version (or the first kept, once older versions were pruned by KORSYNC_HISTORY_DAYS)",
        'to_status': 'Status from observed_at on',
        'observed_at': 'When korsync observed the change (UTC; at most one reconcile or refresh interval after it happened upstream; the first version of an order: its createdAt)',
        'run_id': 'The run that saw the change (sync_runs.id)',
    },
    'offer_price_availability': {
        'offer_id': 'The offer (offers.id)',
        'product_id': 'Product (products.id)',
        'offer_date': 'Date of the offer (NULL: not dated)',
        'price_amount_incl_tax': 'Price including tax when last read',
        'price_original_amount_incl_tax': 'Price before discount, when discounted',
        'price_currency': 'Currency of the price (lower-case ISO code, e.g. eur)',
        'available_quantity': 'Remaining quantity when last read; NULL means unlimited',
        'offer_deleted': 'True while the offer was deleted upstream',
        'valid_from': 'When korsync observed the change (UTC; at most one reconcile or refresh interval after it happened upstream; the first version of an order: its createdAt)',
        'valid_to': 'Until when it held (UTC), exclusive; NULL: it still holds',
    },
    'ticket_changes': {
        'ticket_id': 'The ticket (order_item_tickets.id)',
        'order_id': 'Order (orders.id)',
        'from_voucher': 'Voucher before the change (NULL: none yet, or the first version)',
        'to_voucher': 'Voucher from observed_at on',
        'from_status': 'Ticket status before the change (NULL: the first version)',
        'to_status': 'Ticket status from observed_at on',
        'beneficiary_changed': 'True when any beneficiary field changed (or was first given)',
        'beneficiary_firstname': "Ticket beneficiary's firstname (subject to KORSYNC_PII)",
        'beneficiary_lastname': "Ticket beneficiary's lastname (subject to KORSYNC_PII)",
        'beneficiary_email': "Ticket beneficiary's email (subject to KORSYNC_PII)",
        'observed_at': 'When korsync observed the change (UTC; at most one reconcile or refresh interval after it happened upstream; the first version of an order: its createdAt)',
        'run_id': 'The run that saw the change (sync_runs.id)',
    },
}


def _ticket_changes(differ: str) -> str:
    changed = " OR ".join(f"c.{c} {differ} c.prev_{c}" for c in BENEFICIARY)
    given = " OR ".join(f"c.{c} IS NOT NULL" for c in BENEFICIARY)
    lags = ",\n           ".join(f"LAG(h.{c}) OVER w AS prev_{c}" for c in BENEFICIARY)
    return TICKET_CHANGES.format(
        differ=differ, changed=f"({changed})", given=f"({given})", lags=lags
    )


def _create_views(dialect: str) -> None:
    differ = DIFFER[dialect]
    op.execute(ORDER_STATUS_CHANGES.format(differ=differ))
    op.execute(OFFER_PRICE_AVAILABILITY)
    op.execute(_ticket_changes(differ))
    if dialect != "postgresql":
        return
    op.execute(ORDERS_AS_OF)
    op.execute(f"COMMENT ON FUNCTION orders_as_of(timestamptz) IS {_quoted(ORDERS_AS_OF_COMMENT)}")
    for view, comment in VIEW_COMMENTS.items():
        op.execute(f"COMMENT ON VIEW {view} IS {_quoted(comment)}")
        for column, text in COLUMN_COMMENTS[view].items():
            op.execute(f"COMMENT ON COLUMN {view}.{column} IS {_quoted(text)}")


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _drop_views(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS orders_as_of(timestamptz)")
    for view in VIEW_COMMENTS:
        op.execute(f"DROP VIEW IF EXISTS {view}")


# --- the migration ---------------------------------------------------------------------------
# Any number stable for this purpose: mirrors in several schemas of one database migrating at
# once take turns creating the extension.
EXTENSION_LOCK = 0x6B6F7273796E63


def _btree_gist() -> None:
    """btree_gist, once per database: in ``public`` when it exists, shared by every schema (so
    dropping one mirror's schema never takes it from the others), else in the current one."""
    op.execute(f"SELECT pg_advisory_xact_lock({EXTENSION_LOCK})")
    op.execute(
        """DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gist') THEN
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') THEN
            CREATE EXTENSION btree_gist SCHEMA public;
        ELSE
            CREATE EXTENSION btree_gist;
        END IF;
    END IF;
END $$"""
    )


def _indexes(history: str) -> None:
    op.create_index(f"ix_{history}_valid_to", history, ["valid_to"], unique=False)
    op.create_index(
        f"uq_{history}_current",
        history,
        ["id"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )


def _seed(dialect: str) -> None:
    """Rows already mirrored: their first version from their last write, in one statement each."""
    now = "now()" if dialect == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
    for group, tables in GROUPS.items():
        for table in tables:
            op.execute(
                sa.text(
                    "INSERT INTO history_tables (table_name, group_name, enabled) "
                    "VALUES (:table, :group, :enabled)"
                ).bindparams(table=table, group=group, enabled=True)
            )
            names = ", ".join(COLUMNS[table])
            op.execute(
                f"INSERT INTO {table}_history ({names}, valid_from) "
                f"SELECT {names}, COALESCE(synced_at, {now}) FROM {table} WHERE raw IS NOT NULL"
            )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    _seed(dialect)
    if dialect == "postgresql":
        _btree_gist()
    for table, columns in COLUMNS.items():
        for statement in create_statements(dialect, table, columns, FIRST_FROM.get(table)):
            op.execute(statement)
    _create_views(dialect)


def downgrade() -> None:
    # btree_gist stays: it is one per database, and other schemas (other mirrors, other
    # accounts, other test processes) may rely on it; it holds no data.
    dialect = op.get_bind().dialect.name
    _drop_views(dialect)
    for table in COLUMNS:
        for statement in drop_statements(dialect, table):
            op.execute(statement)
        op.drop_table(f"{table}_history")
    op.drop_table("history_tables")
    op.drop_table("history_context")


def _create_tables() -> None:
    op.create_table('catalogs_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True, comment='First import (UTC)'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_catalogs_history'),
    comment='Every version korsync observed of each catalogs row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('catalogs_history')
    op.create_table('events_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('description', sa.String(), nullable=True, comment='Description (may contain HTML)'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_events_history'),
    comment='Every version korsync observed of each events row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('events_history')
    op.create_table('form_field_choices_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('form_field_id', sa.Uuid(), nullable=True, comment='Field this choice belongs to (form_fields.id)'),
    sa.Column('position', sa.Integer(), nullable=True, comment="Position in the parent's list, from 0"),
    sa.Column('value', sa.String(), nullable=True, comment='Value sent when this choice is picked'),
    sa.Column('label', sa.String(), nullable=True, comment='Label shown to the customer'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_form_field_choices_history'),
    comment='Every version korsync observed of each form_field_choices row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('form_field_choices_history')
    op.create_table('form_fields_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('form_id', sa.Uuid(), nullable=True, comment='Form to fill for this ticket (forms.id)'),
    sa.Column('position', sa.Integer(), nullable=True, comment="Position in the parent's list, from 0"),
    sa.Column('type', sa.String(), nullable=True, comment='text, bool, integer, decimal, date, ...'),
    sa.Column('required', sa.Boolean(), nullable=True, comment='True when the field must be filled'),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('label', sa.String(), nullable=True, comment='Label shown to the customer'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_form_fields_history'),
    comment='Every version korsync observed of each form_fields row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('form_fields_history')
    op.create_table('forms_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('code', sa.String(), nullable=True, comment='Machine code of the form'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_forms_history'),
    comment='Every version korsync observed of each forms row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('forms_history')
    op.create_table('history_context',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False, comment='Always 1'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False, comment='When the transaction started (UTC): the valid_from of what it changes'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_context')),
    comment="SQLite only (PostgreSQL passes it in the transaction's settings): the run and instant of the transaction writing now, which the history triggers record; written at a run transaction's start, emptied before it commits"
    )
    op.create_table('history_tables',
    sa.Column('table_name', sa.String(), nullable=False, comment='The mirrored table (its history is <table>_history)'),
    sa.Column('group_name', sa.String(), nullable=False, comment='Its group in KORSYNC_HISTORY'),
    sa.Column('enabled', sa.Boolean(), nullable=False, comment='True: every change is recorded; False: none is, and no version is current'),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True, comment='When enabled last changed (UTC); NULL: as the migration set it'),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_history_tables')),
    comment='Which tables keep history now (KORSYNC_HISTORY), written by korsync at start; the history triggers read it'
    )
    op.create_table('offer_ticket_sessions_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('offer_id', sa.Uuid(), nullable=True, comment='Offer (offers.id)'),
    sa.Column('offer_ticket_id', sa.Uuid(), nullable=True, comment='Offer ticket (offer_tickets.id)'),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True, comment='Start of the time slot (UTC), when the API gives it'),
    sa.Column('available_quantity', sa.Integer(), nullable=True, comment='Remaining quantity when last read; NULL means unlimited'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_offer_ticket_sessions_history'),
    comment='Every version korsync observed of each offer_ticket_sessions row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('offer_ticket_sessions_history')
    op.create_table('offer_tickets_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('offer_id', sa.Uuid(), nullable=True, comment='Offer (offers.id)'),
    sa.Column('form_id', sa.Uuid(), nullable=True, comment='Form to fill for this ticket (forms.id)'),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('description', sa.String(), nullable=True, comment='Description (may contain HTML)'),
    sa.Column('date_access', sa.Boolean(), nullable=True, comment='True: valid all day, no session'),
    sa.Column('available_quantity', sa.Integer(), nullable=True, comment='Remaining quantity when last read; NULL means unlimited'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_offer_tickets_history'),
    comment='Every version korsync observed of each offer_tickets row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('offer_tickets_history')
    op.create_table('offers_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('product_id', sa.Uuid(), nullable=True, comment='Product (products.id)'),
    sa.Column('date', sa.Date(), nullable=True, comment='Date the offer or line is valid on (NULL: not dated)'),
    sa.Column('availability_check_required', sa.Boolean(), nullable=True, comment='True when availability must be checked before reserving'),
    sa.Column('realtime_price_required', sa.Boolean(), nullable=True, comment='True when the price must be confirmed before reserving'),
    sa.Column('price_amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Price including tax when last read'),
    sa.Column('price_original_amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Price before discount, when discounted'),
    sa.Column('price_currency', sa.String(), nullable=True, comment='Currency of the price (lower-case ISO code, e.g. eur)'),
    sa.Column('available_quantity', sa.Integer(), nullable=True, comment='NULL means unlimited'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_offers_history'),
    comment='Every version korsync observed of each offers row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('offers_history')
    op.create_table('order_item_tickets_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('order_id', sa.Uuid(), nullable=True, comment='Order (orders.id)'),
    sa.Column('order_item_id', sa.Uuid(), nullable=True, comment='Order line (order_items.id)'),
    sa.Column('position', sa.Integer(), nullable=True, comment="Position in the parent's list, from 0"),
    sa.Column('event_id', sa.Uuid(), nullable=True, comment='(older model) Event (events.id)'),
    sa.Column('voucher', sa.String(), nullable=True, comment='Ticket voucher (barcode) number; NULL until issued'),
    sa.Column('occurs_at', sa.DateTime(timezone=True), nullable=True, comment="When the ticket's event occurs (UTC)"),
    sa.Column('status', sa.String(), nullable=True, comment='waiting_beneficiary_data | validated'),
    sa.Column('required_beneficiary_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True, comment='Beneficiary fields the issuer requires (JSON list)'),
    sa.Column('beneficiary_designation_deadline', sa.DateTime(timezone=True), nullable=True, comment='Deadline to name the beneficiary (UTC)'),
    sa.Column('beneficiary_amendable', sa.Boolean(), nullable=True, comment='True while the beneficiary can still be changed'),
    sa.Column('beneficiary_title', sa.String(), nullable=True, comment="Ticket beneficiary's title (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_firstname', sa.String(), nullable=True, comment="Ticket beneficiary's firstname (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_lastname', sa.String(), nullable=True, comment="Ticket beneficiary's lastname (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_email', sa.String(), nullable=True, comment="Ticket beneficiary's email (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_phone', sa.String(), nullable=True, comment="Ticket beneficiary's phone (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_date_of_birth', sa.Date(), nullable=True, comment="Ticket beneficiary's date of birth (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_place_of_birth', sa.String(), nullable=True, comment="Ticket beneficiary's place of birth (subject to KORSYNC_PII)"),
    sa.Column('beneficiary_nationality', sa.String(), nullable=True, comment="Ticket beneficiary's nationality (subject to KORSYNC_PII)"),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_order_item_tickets_history'),
    comment='Every version korsync observed of each order_item_tickets row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('order_item_tickets_history')
    op.create_table('order_items_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('order_id', sa.Uuid(), nullable=True, comment='Order (orders.id)'),
    sa.Column('position', sa.Integer(), nullable=True, comment="Position in the parent's list, from 0"),
    sa.Column('product_id', sa.Uuid(), nullable=True, comment='Product (products.id)'),
    sa.Column('date', sa.Date(), nullable=True, comment='Date the offer or line is valid on (NULL: not dated)'),
    sa.Column('quantity', sa.Integer(), nullable=True, comment='Number of units bought; a unit can issue several tickets (count order_item_tickets for tickets)'),
    sa.Column('unit_amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Unit price including tax'),
    sa.Column('unit_amount_excl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Unit price excluding tax'),
    sa.Column('total_amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Total including tax'),
    sa.Column('total_amount_excl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Total excluding tax'),
    sa.Column('amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Amount including tax'),
    sa.Column('amount_excl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Amount excluding tax'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_order_items_history'),
    comment='Every version korsync observed of each order_items row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('order_items_history')
    op.create_table('orders_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('organization_id', sa.Uuid(), nullable=True, comment='Distributor organization that owns the booking'),
    sa.Column('reservation_id', sa.Uuid(), nullable=True, comment='Reservation this came from (reservations.id; not enforced)'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=True, comment='When the item was created upstream (UTC)'),
    sa.Column('reference', sa.String(), nullable=True, comment="KorusTicket's order reference (e.g. KT-ORD-123456)"),
    sa.Column('external_reference', sa.String(), nullable=True, comment="The distributor's own reference for the order"),
    sa.Column('connector_reference', sa.String(), nullable=True, comment="Reference in the ticket issuer's system"),
    sa.Column('status', sa.String(), nullable=True, comment='confirmed | cancelled'),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True, comment='When the order was cancelled (UTC); NULL if it is not'),
    sa.Column('total_amount_incl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Total including tax'),
    sa.Column('total_amount_excl_tax', sa.Numeric(precision=12, scale=2), nullable=True, comment='Total excluding tax'),
    sa.Column('notes', sa.String(), nullable=True, comment='Notes sent with the order'),
    sa.Column('customer_title', sa.String(), nullable=True, comment="Customer's title (subject to KORSYNC_PII)"),
    sa.Column('customer_firstname', sa.String(), nullable=True, comment="Customer's firstname (subject to KORSYNC_PII)"),
    sa.Column('customer_lastname', sa.String(), nullable=True, comment="Customer's lastname (subject to KORSYNC_PII)"),
    sa.Column('customer_email', sa.String(), nullable=True, comment="Customer's email (subject to KORSYNC_PII)"),
    sa.Column('customer_phone', sa.String(), nullable=True, comment="Customer's phone (subject to KORSYNC_PII)"),
    sa.Column('customer_optin', sa.Boolean(), nullable=True, comment="Customer's optin (subject to KORSYNC_PII)"),
    sa.Column('customer_country', sa.String(), nullable=True, comment="Customer's country (subject to KORSYNC_PII)"),
    sa.Column('customer_language', sa.String(), nullable=True, comment="Customer's language (subject to KORSYNC_PII)"),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment="Set when an audit's complete re-walk of the order's createdAt window no longer returned it (deleted upstream); NULL again once a read returns it"),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_orders_history'),
    comment='Every version korsync observed of each orders row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('orders_history')
    op.create_table('product_bases_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('disabled', sa.Boolean(), nullable=True, comment='True when disabled upstream (still listed with withDisabled=true)'),
    sa.Column('description', sa.String(), nullable=True, comment='Description (may contain HTML)'),
    sa.Column('short_description', sa.String(), nullable=True, comment='Short description (HTML)'),
    sa.Column('terms_of_use', sa.String(), nullable=True, comment='Terms of use (HTML)'),
    sa.Column('use_session', sa.Boolean(), nullable=True, comment='True when booking needs a session (time slot) choice'),
    sa.Column('timezone', sa.String(), nullable=True, comment='Time zone of the venue (e.g. Europe/Paris)'),
    sa.Column('recurring', sa.Boolean(), nullable=True, comment='True when offers exist on several dates'),
    sa.Column('beneficiary_info_may_be_required', sa.Boolean(), nullable=True, comment='True when tickets may need beneficiary details'),
    sa.Column('instant_document_delivery', sa.Boolean(), nullable=True, comment='True when documents are available right after ordering'),
    sa.Column('max_amount_per_order', sa.Integer(), nullable=True, comment='Most offers of this base in one order'),
    sa.Column('universe', sa.String(), nullable=True, comment='Kind of activity (e.g. show)'),
    sa.Column('venue_name', sa.String(), nullable=True, comment='Venue name'),
    sa.Column('venue_line1', sa.String(), nullable=True, comment='Venue line1'),
    sa.Column('venue_line2', sa.String(), nullable=True, comment='Venue line2'),
    sa.Column('venue_postal_code', sa.String(), nullable=True, comment='Venue postal code'),
    sa.Column('venue_city', sa.String(), nullable=True, comment='Venue city'),
    sa.Column('venue_country', sa.String(), nullable=True, comment='Venue country'),
    sa.Column('venue_phone', sa.String(), nullable=True, comment='Venue phone'),
    sa.Column('venue_website', sa.String(), nullable=True, comment='Venue website'),
    sa.Column('venue_latitude', sa.String(), nullable=True, comment='Venue latitude'),
    sa.Column('venue_longitude', sa.String(), nullable=True, comment='Venue longitude'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_product_bases_history'),
    comment='Every version korsync observed of each product_bases row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('product_bases_history')
    op.create_table('products_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('product_base_id', sa.Uuid(), nullable=True, comment='Product base (product_bases.id)'),
    sa.Column('name', sa.String(), nullable=True, comment='Name, in the API language korsync asked for'),
    sa.Column('description', sa.String(), nullable=True, comment='Description (may contain HTML)'),
    sa.Column('disabled', sa.Boolean(), nullable=True, comment='True when disabled upstream (still listed with withDisabled=true)'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_products_history'),
    comment='Every version korsync observed of each products row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('products_history')
    op.create_table('sessions_history',
    sa.Column('id', sa.Uuid(), nullable=False, comment="The API's UUID of this item (a derived UUID for embedded items without one)"),
    sa.Column('catalog_id', sa.Uuid(), nullable=True, comment='Catalog this row belongs to (catalogs.id)'),
    sa.Column('event_id', sa.Uuid(), nullable=True, comment='(older model) Event (events.id)'),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True, comment='Start of the time slot (UTC), when the API gives it'),
    sa.Column('available_quantity', sa.Integer(), nullable=True, comment='Remaining quantity when last read; NULL means unlimited'),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True, comment='Set when a complete refresh no longer returned the row'),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False, comment="Since when this version held (UTC): when korsync first read it, observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late; an order's first version (and its items' and tickets') starts at its createdAt"),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True, comment='Until when this version held (UTC), exclusive; NULL: the current version'),
    sa.Column('run_id', sa.Uuid(), nullable=True, comment='The run that saw this version (sync_runs.id); NULL when written outside a run'),
    sa.PrimaryKeyConstraint('id', 'valid_from', name='pk_sessions_history'),
    comment='Every version korsync observed of each sessions row; validity observed by korsync (transaction time), so at most one sync interval (orders), reconcile interval (cancellations, tickets) or catalogue refresh interval late'
    )
    _indexes('sessions_history')
