"""The audit's record in the database: one ``audit_windows`` row per window counted, written as
soon as the window is settled (a killed audit keeps what it had proven), and what ``status``
and the metrics read back: the last clean audit and the windows the last audit left differing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import AuditWindow, SyncRun
from korsync.sync.audit.windows import Window
from korsync.sync.mapping import utcnow

STREAM = "audit"  # its runs in sync_runs, its lock, its job, its metrics label
MATCH, SPLIT, HEALED, DIFFERS = "match", "split", "healed", "differs"
MAX_COUNT = 2**31 - 1  # audit_windows counts are 32-bit integers, like every count column


class AuditError(Exception):
    """The API's answer cannot be audited (a count without a usable ``totalItems``)."""


@dataclasses.dataclass(frozen=True)
class Counts:
    """A window's ``totalItems`` in the API and live rows in the mirror."""

    api: int
    mirror: int

    @property
    def equal(self) -> bool:
        return self.api == self.mirror


@dataclasses.dataclass(frozen=True)
class Healing:
    """What a window's re-walk did, and the counts after it."""

    after: Counts
    inserted: int
    marked_deleted: int
    at: dt.datetime


def record(
    sessions: sessionmaker[Session],
    run_id: uuid.UUID,
    collection: str,
    window: Window,
    first: Counts,
    status: str,
    healing: Healing | None = None,
) -> None:
    """Keep one counted window, in a transaction of its own."""
    row = AuditWindow(
        run_id=run_id,
        collection=collection,
        window_start=window.start,
        window_end=window.end,
        granularity=window.granularity,
        api_count=first.api,
        mirror_count=first.mirror,
        status=status,
        checked_at=utcnow(),
    )
    if healing is not None:
        row.healed_at, row.inserted = healing.at, healing.inserted
        row.healed_api_count, row.healed_mirror_count = healing.after.api, healing.after.mirror
        row.marked_deleted = healing.marked_deleted
    with sessions.begin() as session:
        session.add(row)


@dataclasses.dataclass(frozen=True)
class AuditState:
    """What the audits recorded: when the last clean one finished and through when it verified,
    and the windows the last finished audit left differing (``collection``, window)."""

    last_clean_at: dt.datetime | None = None
    verified_through: dt.datetime | None = None
    differing: tuple[tuple[str, Window], ...] = ()


def read_state(session: Session) -> AuditState:
    """The audits' state from ``sync_runs`` (stream ``audit``) and ``audit_windows``."""
    runs = select(SyncRun).where(SyncRun.stream == STREAM, SyncRun.status == "succeeded")
    last = session.scalars(runs.order_by(SyncRun.started_at.desc()).limit(1)).first()
    if last is None:
        return AuditState()
    clean = session.scalars(runs.order_by(SyncRun.started_at.desc()))
    clean_run = next((run for run in clean if not (run.details or {}).get("differing")), None)
    differing = session.scalars(
        select(AuditWindow)
        .where(AuditWindow.run_id == last.id, AuditWindow.status == DIFFERS)
        .order_by(AuditWindow.collection, AuditWindow.window_start)
    ).all()
    through = (clean_run.details or {}).get("until") if clean_run else None
    return AuditState(
        last_clean_at=clean_run.finished_at if clean_run else None,
        verified_through=dt.datetime.fromisoformat(through) if through else None,
        differing=tuple(
            (w.collection, Window(w.window_start, w.window_end, w.granularity)) for w in differing
        ),
    )
