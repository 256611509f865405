"""What ``korsync status`` reports: per stream its watermark, lag, last run, last success and
last error (from ``sync_state`` and ``sync_runs``), and the row count of every mirror table.

It only reads; it never shows settings, so no secret can reach its output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.models import Base, SyncRun, SyncState

BOOKKEEPING = {"sync_state", "sync_runs", "rejected_records"}


@dataclasses.dataclass
class StreamStatus:
    """One stream's state as the database records it."""

    stream: str
    watermark: dt.datetime | None = None
    lag_seconds: float | None = None
    last_status: str | None = None
    last_started_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None


@dataclasses.dataclass
class StatusReport:
    """Everything ``korsync status`` prints."""

    streams: list[StreamStatus]
    row_counts: dict[str, int]
    rejected: int

    @property
    def failing(self) -> list[str]:
        return [s.stream for s in self.streams if s.last_status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "streams": [dataclasses.asdict(s) for s in self.streams],
            "row_counts": self.row_counts,
            "rejected_records": self.rejected,
            "failing": self.failing,
        }


def collect(engine: Engine, now: dt.datetime | None = None) -> StatusReport:
    """Read the report from the database."""
    now = now or dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        streams: dict[str, StreamStatus] = {}
        for state in session.scalars(select(SyncState).where(SyncState.scope == "")):
            entry = streams.setdefault(state.stream, StreamStatus(state.stream))
            entry.watermark = state.watermark
            if state.watermark is not None:
                entry.lag_seconds = round((now - state.watermark).total_seconds(), 1)
        for stream in session.scalars(select(SyncRun.stream).distinct()):
            _add_runs(session, streams.setdefault(stream, StreamStatus(stream)))
        counts = {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in sorted(Base.metadata.tables.items())
            if name not in BOOKKEEPING
        }
        rejected = session.scalar(
            select(func.count()).select_from(Base.metadata.tables["rejected_records"])
        )
    return StatusReport(sorted(streams.values(), key=lambda s: s.stream), counts, rejected or 0)


def _add_runs(session: Session, entry: StreamStatus) -> None:
    runs = select(SyncRun).where(SyncRun.stream == entry.stream).order_by(SyncRun.started_at.desc())
    last = session.scalars(runs.limit(1)).first()
    if last is not None:
        entry.last_status, entry.last_started_at = last.status, last.started_at
    success = session.scalars(runs.where(SyncRun.status == "succeeded").limit(1)).first()
    if success is not None:
        entry.last_success_at = success.finished_at
    failure = session.scalars(runs.where(SyncRun.status == "failed").limit(1)).first()
    if failure is not None:
        entry.last_error, entry.last_error_at = failure.error, failure.finished_at


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def render(report: StatusReport) -> str:
    """The report as aligned plain-text tables."""
    header: tuple[str, ...] = (
        "stream",
        "watermark",
        "lag",
        "last run",
        "last success",
        "last error",
    )
    rows = [header] + [
        (
            s.stream,
            _when(s.watermark),
            f"{s.lag_seconds:.0f}s" if s.lag_seconds is not None else "-",
            f"{s.last_status or '-'} {_when(s.last_started_at)}",
            _when(s.last_success_at),
            f"{_when(s.last_error_at)} {(s.last_error or '')[:60]}" if s.last_error else "-",
        )
        for s in report.streams
    ]
    lines = _table(rows) if report.streams else ["no sync has run yet"]
    lines += [
        "",
        *_table([("table", "rows"), *((t, str(n)) for t, n in report.row_counts.items())]),
    ]
    lines.append(f"rejected records: {report.rejected}")
    return "\n".join(lines)


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
