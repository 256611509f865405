"""Change history: which mirrored tables keep a ``<table>_history``, with which columns, and the
``history_tables`` row per table that says whether its history is being written now.

A history table holds every version korsync observed of each row of its table: the table's
typed business columns (not ``raw``, ``synced_at`` nor the read times of snapshot values, whose
change alone is no change of content), ``valid_from``, ``valid_to`` (NULL while current) and
the run that saw the change. The database writes it (triggers, ``korsync.db.history_sql``), so
every write path records history in the same transaction as the row. A partial unique index
keeps one current version per key; PostgreSQL also excludes overlapping validity ranges.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Column, Index, PrimaryKeyConstraint, String, Table, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from korsync.models.base import Base
from korsync.models.comments import comment_for
from korsync.models.types import UTCDateTime

# The tables that keep history, by the group KORSYNC_HISTORY switches on or off.
GROUPS: dict[str, tuple[str, ...]] = {
    "orders": ("orders", "order_items", "order_item_tickets"),
    "offers": ("offers", "offer_tickets", "offer_ticket_sessions"),
    "catalogue": (
        "catalogs", "events", "sessions", "product_bases", "products",
        "forms", "form_fields", "form_field_choices",
    ),
}  # fmt: skip
HISTORY_TABLES = tuple(name for tables in GROUPS.values() for name in tables)
# Bookkeeping columns of every mirrored row: the JSON as sent, and when korsync wrote it.
NOT_VERSIONED = frozenset({"raw", "synced_at"})
# Per table, columns whose change alone is no change of what the row says: the read times of
# snapshot values (korsync.sync.rowset.SNAPSHOT_TIMES), and the catalog's heartbeat of
# KorusTicket's cache refresh, which moves on every refresh.
NOT_VERSIONED_IN = {
    "offers": frozenset({"price_read_at", "availability_read_at"}),
    "sessions": frozenset({"availability_read_at"}),
    "catalogs": frozenset({"last_synced_at"}),
}
# Where a new key's first version starts when it is not when korsync saw it: an order at its
# createdAt, its items and tickets when the order's current version does (an order read for the
# first time: its createdAt).
FIRST_FROM = {
    "orders": "created_at",
    "order_items": "order_id",
    "order_item_tickets": "order_id",
}

VALIDITY = (
    "observed by korsync (transaction time), so at most one sync interval (orders), reconcile "
    "interval (cancellations, tickets) or catalogue refresh interval late"
)
VALID_FROM = (
    f"Since when this version held (UTC): when korsync first read it, {VALIDITY}; an order's "
    "first version (and its items' and tickets') starts at its createdAt"
)
VALID_TO = "Until when this version held (UTC), exclusive; NULL: the current version"
HISTORY_RUN = "The run that saw this version (sync_runs.id); NULL when written outside a run"


def history_name(table: str) -> str:
    """The history table of mirrored table ``table``."""
    return f"{table}_history"


def versioned_columns(table: Table) -> list[Column[object]]:
    """The columns of ``table`` that its history copies, in the table's order (``id`` first)."""
    skip = NOT_VERSIONED | NOT_VERSIONED_IN.get(table.name, frozenset())
    return [column for column in table.columns if column.name not in skip]


def _history_table(table: Table) -> Table:
    name = history_name(table.name)
    copies = [
        Column(
            column.name,
            column.type,
            nullable=column.name != "id",
            comment=column.comment or comment_for(column.name),
        )
        for column in versioned_columns(table)
    ]
    return Table(
        name,
        Base.metadata,
        *copies,
        Column("valid_from", UTCDateTime(), nullable=False, comment=VALID_FROM),
        Column("valid_to", UTCDateTime(), nullable=True, comment=VALID_TO),
        Column("run_id", Uuid(), nullable=True, comment=HISTORY_RUN),
        PrimaryKeyConstraint("id", "valid_from", name=f"pk_{name}"),
        Index(
            f"uq_{name}_current",
            "id",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
        Index(f"ix_{name}_valid_to", "valid_to"),
        comment=f"Every version korsync observed of each {table.name} row; validity {VALIDITY}",
    )


def history_tables() -> dict[str, Table]:
    """Each mirrored table's history table, by the mirrored table's name."""
    return {name: Base.metadata.tables[history_name(name)] for name in HISTORY_TABLES}


class HistorySetting(Base):
    __tablename__ = "history_tables"
    __table_args__ = {
        "comment": "Which tables keep history now (KORSYNC_HISTORY), written by korsync at "
        "start; the history triggers read it"
    }

    table_name: Mapped[str] = mapped_column(
        String, primary_key=True, comment="The mirrored table (its history is <table>_history)"
    )
    group_name: Mapped[str] = mapped_column(comment="Its group in KORSYNC_HISTORY")
    enabled: Mapped[bool] = mapped_column(
        Boolean, comment="True: every change is recorded; False: none is, and no version is current"
    )
    changed_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When enabled last changed (UTC); NULL: as the migration set it"
    )


def define_history_tables() -> None:
    """Add every ``<table>_history`` to the metadata (once, after the mirrored tables)."""
    for name in HISTORY_TABLES:
        if history_name(name) not in Base.metadata.tables:
            _history_table(Base.metadata.tables[name])


class HistoryContext(Base):
    __tablename__ = "history_context"
    __table_args__ = {
        "comment": "SQLite only (PostgreSQL passes it in the transaction's settings): the run "
        "and instant of the transaction writing now, which the history triggers record; "
        "written at a run transaction's start, emptied before it commits"
    }

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, comment="Always 1")
    run_id: Mapped[uuid.UUID | None] = mapped_column(comment=HISTORY_RUN)
    observed_at: Mapped[dt.datetime] = mapped_column(
        comment="When the transaction started (UTC): the valid_from of what it changes"
    )


def parse_groups(value: str) -> tuple[str, ...]:
    """The groups KORSYNC_HISTORY names: ``all`` (the default), ``none``, or a comma list of
    group names, in ``GROUPS``' order; ``ValueError`` naming what is wrong (shortened)."""
    words = [word.strip().lower() for word in value.split(",")]
    if words in (["all"], ["*"]):
        return tuple(GROUPS)
    if words in (["none"], [""]):
        return ()
    unknown = [word for word in words if word not in GROUPS]
    if unknown:
        shown = unknown[0][:40] + ("…" if len(unknown[0]) > 40 else "")
        known = ", ".join(GROUPS)
        raise ValueError(f"unknown history group {shown!r}: give all, none, or some of {known}")
    return tuple(group for group in GROUPS if group in words)
