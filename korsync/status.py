"""What ``korsync status`` reports: per stream its watermark, lag, last run, last success and
last error (from ``sync_state`` and ``sync_runs``), and the row count of every mirror table.

A stream is *failing* when its latest run failed, and *stale* when it has gone longer than its
threshold without a success (``stale_thresholds``: ``KORSYNC_STALE_FACTOR`` times the stream's
``KORSYNC_*_INTERVAL``; a stream that never succeeded counts from its first run). Either makes
the report unhealthy, which ``korsync status`` turns into exit status 1 for health checks. It
only reads; it never shows settings, so no secret can reach its output. Endpoints a stream's
last finished run skipped (a catalogue listing answering 404 or 403) are listed per stream;
they do not make the report unhealthy, as an account on one catalogue model always has some.
When the API was found to take ``createdAt`` filters in another format than the full one (only
dates, say), the report says so. It also says when the last clean audit finished and through
when it verified the orders, and names each window the last audit left differing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from korsync.api.filters import DEFAULT, TimeFormat
from korsync.config import Settings
from korsync.models import Base, SyncRun, SyncState
from korsync.sync import filter_format
from korsync.sync.audit.evidence import AuditState
from korsync.sync.audit.evidence import read_state as read_audits
from korsync.sync.streams import intervals

BOOKKEEPING = {"sync_state", "sync_runs", "rejected_records", "audit_windows"}


def stale_thresholds(settings: Settings) -> dict[str, dt.timedelta]:
    """How long each recorded stream may go without a success before it is stale."""
    return {
        name: dt.timedelta(seconds=seconds * settings.stale_factor)
        for name, seconds in intervals(settings).items()
    }


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
    first_started_at: dt.datetime | None = None
    stale: bool = False
    # endpoints the last finished run skipped: [{"endpoint", "status", "times"}]
    skipped: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def judge(self, now: dt.datetime, threshold: dt.timedelta | None) -> None:
        """Set ``stale``: no success within ``threshold`` (counting from the first run)."""
        since = self.last_success_at or self.first_started_at
        self.stale = threshold is not None and since is not None and now - since > threshold


@dataclasses.dataclass
class StatusReport:
    """Everything ``korsync status`` prints."""

    streams: list[StreamStatus]
    row_counts: dict[str, int]
    rejected: int
    filter_format: TimeFormat | None = None  # the createdAt filter format probed, if any
    partial: int = 0  # open rejected_records of kind 'partial': stored without some part
    audits: AuditState = dataclasses.field(default_factory=AuditState)

    @property
    def failing(self) -> list[str]:
        return [s.stream for s in self.streams if s.last_status == "failed"]

    @property
    def stale(self) -> list[str]:
        return [s.stream for s in self.streams if s.stale]

    @property
    def never_synced(self) -> bool:
        """No run of any stream has succeeded yet: the mirror is empty, not healthy."""
        return all(s.last_success_at is None for s in self.streams)

    @property
    def unhealthy(self) -> bool:
        """Whether a health check should fail: never synced, or a stream is failing or stale."""
        return bool(self.never_synced or self.failing or self.stale)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON values; timestamps in ISO 8601 (``2026-03-01T12:00:00+00:00``)."""
        return {
            "streams": [_json_ready(dataclasses.asdict(s)) for s in self.streams],
            "row_counts": self.row_counts,
            "rejected_records": self.rejected,
            "partial_records": self.partial,
            "filter_format": self.filter_format,
            "never_synced": self.never_synced,
            "failing": self.failing,
            "stale": self.stale,
            "audit": {
                "last_clean_at": _iso(self.audits.last_clean_at),
                "verified_through": _iso(self.audits.verified_through),
                "differing": [
                    {"collection": name, "start": _iso(w.start), "end": _iso(w.end)}
                    for name, w in self.audits.differing
                ],
            },
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json_ready(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in values.items()}


def duration(seconds: float) -> str:
    """A lag or age as people read it: ``42s``, ``5m30s``, ``3h12m``, ``2d4h``."""
    whole = max(0, round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), len(parts) - 1)
    return "".join(f"{n}{unit}" for n, unit in parts[first : first + 2] if n or first == 3)


def collect(
    engine: Engine,
    now: dt.datetime | None = None,
    stale_after: Mapping[str, dt.timedelta] | None = None,
) -> StatusReport:
    """Read the report from the database; ``stale_after`` (by recorded stream) judges staleness."""
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
        for entry in streams.values():
            entry.judge(now, (stale_after or {}).get(entry.stream))
        counts = {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in sorted(Base.metadata.tables.items())
            if name not in BOOKKEEPING
        }
        probed = filter_format.remembered(session)
        audits = read_audits(session)
        rejects = Base.metadata.tables["rejected_records"]
        # Those still missing (or partial): a resolved reject was stored (whole) since.
        open_by_kind: dict[str, int] = dict(
            session.execute(
                select(rejects.c.kind, func.count())
                .where(rejects.c.resolved_at.is_(None))
                .group_by(rejects.c.kind)
            ).all()
        )
    ordered = sorted(streams.values(), key=lambda s: s.stream)
    rejected = sum(n for kind, n in open_by_kind.items() if kind != "partial")
    probed_format = probed[0] if probed else None
    return StatusReport(
        ordered, counts, rejected, probed_format, open_by_kind.get("partial", 0), audits
    )


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
    first = select(func.min(SyncRun.started_at)).where(SyncRun.stream == entry.stream)
    entry.first_started_at = session.scalar(first)
    finished = session.scalars(runs.where(SyncRun.finished_at.is_not(None)).limit(1)).first()
    details = finished.details if finished is not None else None
    skipped = details.get("skipped") if isinstance(details, dict) else None
    entry.skipped = [e for e in skipped if isinstance(e, dict)] if isinstance(skipped, list) else []


def read_stream(engine: Engine, stream: str) -> StreamStatus:
    """One recorded stream's watermark, lag and runs (what the daemon reports after a run)."""
    entry = StreamStatus(stream)
    with Session(engine) as session:
        state = session.scalars(
            select(SyncState).where(SyncState.stream == stream, SyncState.scope == "")
        ).first()
        entry.watermark = state.watermark if state is not None else None
        _add_runs(session, entry)
    return entry


def _health(stream: StreamStatus) -> str:
    problems = (["FAILING"] if stream.last_status == "failed" else []) + (
        ["STALE"] if stream.stale else []
    )
    return "+".join(problems) or "ok"


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
        "health",
        "last error",
    )
    rows = [header] + [
        (
            s.stream,
            _when(s.watermark),
            duration(s.lag_seconds) if s.lag_seconds is not None else "-",
            f"{s.last_status or '-'} {_when(s.last_started_at)}",
            _when(s.last_success_at),
            _health(s),
            f"{_when(s.last_error_at)} {(s.last_error or '')[:60]}" if s.last_error else "-",
        )
        for s in report.streams
    ]
    lines = _table(rows) if report.streams else ["no sync has run yet"]
    lines += _skipped_lines(report.streams)
    if report.never_synced:
        lines.append("unhealthy: no stream has synced successfully yet (run 'korsync sync')")
    lines += [
        "",
        *_table([("table", "rows"), *((t, str(n)) for t, n in report.row_counts.items())]),
    ]
    lines.append(f"rejected records: {report.rejected}")
    if report.partial:
        shown = "stored without a part: rejected_records where kind = 'partial'"
        lines.append(f"partial records: {report.partial} ({shown})")
    lines += _filter_lines(report.filter_format)
    lines += _audit_lines(report.audits)
    return "\n".join(lines)


def _audit_lines(audits: AuditState) -> list[str]:
    """The last clean audit (if any audit ran) and each window the last one left differing."""
    lines = []
    if audits.last_clean_at is not None:
        through = _when(audits.verified_through)
        lines.append(f"audit: last clean {_when(audits.last_clean_at)}, verified through {through}")
    lines += [
        f"audit: {name}{'' if window.granularity == 'all' else f' {window}'} still differs from"
        " the API"
        for name, window in audits.differing
    ]
    return lines


def _filter_lines(found: TimeFormat | None) -> list[str]:
    """What to say of the ``createdAt`` filter format: nothing when it is the full one."""
    if found is TimeFormat.DATE:
        return ["createdAt filters: date only: orders are re-read a day at a time"]
    if found is None or found is DEFAULT:
        return []
    return [f"createdAt filters: sent as a {found.shown}"]


def _skipped_lines(streams: Sequence[StreamStatus]) -> list[str]:
    """One line per stream whose last finished run skipped endpoints, naming each."""
    return [
        f"{s.stream}: skipped endpoints (last run): "
        + ", ".join(
            f"GET {e.get('endpoint')}: HTTP {e.get('status')} ({e.get('times')}x)"
            for e in s.skipped
        )
        for s in streams
        if s.skipped
    ]


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
