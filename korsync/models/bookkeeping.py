"""Sync bookkeeping: per-stream state (watermark and cursor), the record of every run, and the
items that could not be mapped.

``sync_state`` is updated in the same transaction as the rows it covers, so a crash can never
leave a watermark ahead of the data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from korsync.ids import uuid7
from korsync.models.base import Base
from korsync.models.comments import BOOKKEEPING_ID
from korsync.models.types import JSONDoc


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SyncState(Base):
    __tablename__ = "sync_state"
    __table_args__ = (
        UniqueConstraint("stream", "scope"),
        {"comment": "Where each stream (and scope, e.g. a backfill slice) has got to"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7, comment=BOOKKEEPING_ID)
    stream: Mapped[str]
    scope: Mapped[str] = mapped_column(default="", comment="'' for the stream as a whole")
    watermark: Mapped[dt.datetime | None] = mapped_column(
        comment="Highest createdAt committed (incremental streams)"
    )
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc, comment="Stream-specific")
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now, onupdate=_now)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        # A stream's latest run, and its latest run of one status (``status``'s last success
        # and last failure, the runs pruning keeps), each found by one index lookup.
        Index("ix_sync_runs_stream_started_at", "stream", "started_at"),
        Index("ix_sync_runs_stream_status_started_at", "stream", "status", "started_at"),
        {"comment": "One run of one stream"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7, comment=BOOKKEEPING_ID)
    stream: Mapped[str]
    mode: Mapped[str | None] = mapped_column(comment="incremental, reconcile, full, backfill")
    started_at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(
        default="running", comment="running | succeeded | failed | interrupted"
    )
    pages: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_deleted: Mapped[int] = mapped_column(default=0)
    rejects: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(
        JSONDoc, comment="What the run covered (window, watermark before/after, ...)"
    )


class RejectedRecord(Base):
    __tablename__ = "rejected_records"
    __table_args__ = (
        UniqueConstraint("stream", "record_key"),
        {"comment": "API items korsync could not map, kept with the reason"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7, comment=BOOKKEEPING_ID)
    stream: Mapped[str]
    record_key: Mapped[str] = mapped_column(
        index=True,
        comment="The item's id (a long or unprintable one shortened: prefix, then its sha256), "
        "or a hash of its payload",
    )
    kind: Mapped[str] = mapped_column(
        server_default="rejected",
        comment="rejected: the item is not in the mirror at all; partial: the item is stored "
        "but part of it could not be mapped (reason says which)",
    )
    reason: Mapped[str]
    raw: Mapped[Any] = mapped_column(JSONDoc)
    first_seen_at: Mapped[dt.datetime] = mapped_column(default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=_now)
    times_seen: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When an item with this key was last stored after being rejected (UTC); "
        "NULL while it is still missing. Rejected again, it is NULL again"
    )


class ReportingTimezone(Base):
    __tablename__ = "reporting_timezone"
    __table_args__ = {
        "comment": "The time zone whose days the reporting views count (KORSYNC_REPORTING_TIMEZONE"
        "), one row per period of one UTC offset; written by korsync, read by the views"
    }

    starts_at: Mapped[dt.datetime] = mapped_column(
        primary_key=True, comment="From when this offset applies (UTC); the first row from year 1"
    )
    zone: Mapped[str] = mapped_column(comment="IANA name of the zone (the same on every row)")
    utc_offset_minutes: Mapped[int] = mapped_column(
        comment="Local time minus UTC, in minutes, from starts_at to the next row"
    )
