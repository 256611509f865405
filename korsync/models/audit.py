"""The audit's evidence: one row per ``createdAt`` window an audit counted, with what the API
and the mirror held in it, and what healing it did.

"Verified through <date>" is a fact in the database: the windows of an audit run whose
``status`` is ``match`` (or ``healed``), meeting end to start, cover the history up to there.
A window counted as differing is either split into finer windows (``split``) or re-walked
(``healed`` when the recount matched, ``differs`` when it still does not).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from korsync.ids import uuid7
from korsync.models.base import Base


class AuditWindow(Base):
    __tablename__ = "audit_windows"
    __table_args__ = (
        Index(None, "collection", "window_start"),
        {"comment": "One createdAt window an audit compared between the API and the mirror"},
    )

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, default=uuid7, comment="This row's own id (UUIDv7)"
    )
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    collection: Mapped[str]
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    granularity: Mapped[str]
    api_count: Mapped[int]
    mirror_count: Mapped[int]
    status: Mapped[str] = mapped_column(
        comment="match: counts equal; split: differed, counted again in finer windows; healed: "
        "re-walked and then equal; differs: re-walked and still not equal; sampled: a day "
        "re-read for content, nothing changed; changed: re-read, and orders were updated, "
        "inserted or marked deleted"
    )
    checked_at: Mapped[dt.datetime]
    healed_at: Mapped[dt.datetime | None]
    healed_api_count: Mapped[int | None]
    healed_mirror_count: Mapped[int | None]
    inserted: Mapped[int | None]
    marked_deleted: Mapped[int | None]
