"""What ``sync_runs`` keeps, so that it stays bounded while the orders stream runs every 15 s.

An *idle* run — one that succeeded having inserted, updated, marked deleted and rejected
nothing — of a stream that asks for it (the orders stream's passes) is folded with the stream's
previous run when that one was idle too: one row stands for a streak of idle runs, with the
latest run's start, end and counters, ``details.idle_runs`` counting the runs it stands for and
``details.idle_since`` saying when the first started. ``status``, the metrics and dbt's
freshness (``MAX(finished_at)``) still read the last success from it. Runs older than
``RETENTION`` are deleted, once an hour per stream, except each stream's latest run, last
success and last failure, any run still ``running``, the audit's runs (they are its record:
``status`` looks for the last clean one) and any run whose id another table holds — a column
``run_id`` or a foreign key to ``sync_runs``, found in the live database so that tables other
migrations add (``<table>_history``) are covered too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Row, delete, exists, inspect, select, table
from sqlalchemy import column as sql_column
from sqlalchemy.orm import Session

from korsync.models import SyncRun

RETENTION = dt.timedelta(days=30)
PRUNE_EVERY = dt.timedelta(hours=1)
# Streams whose runs are records of their own (the audits' evidence): never pruned.
KEPT_STREAMS = frozenset({"audit"})
CHANGES = ("rows_inserted", "rows_updated", "rows_deleted", "rejects")
# More idle runs than 15 s polls fill in a century: a count beyond it was not written by us.
MAX_STREAK = 10**9
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def previous(session: Session, stream: str, run_id: uuid.UUID) -> Row[Any] | None:
    """The stream's latest run other than ``run_id`` (its start, status and details)."""
    query = (
        select(SyncRun.id, SyncRun.started_at, SyncRun.status, SyncRun.details)
        .where(SyncRun.stream == stream, SyncRun.id != run_id)
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )
    return session.execute(query).first()


def idle(values: Mapping[str, Any]) -> bool:
    """Whether a finished run's recorded values say it succeeded and changed nothing."""
    details = values.get("details") or {}
    return (
        values.get("status") == "succeeded"
        and not any(values.get(name) for name in CHANGES)
        and not details.get("partial")
    )


def fold(session: Session, before: Row[Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The details of an idle run about to be recorded: marked idle, and carrying the streak of
    the run ``before`` it when that one was idle too, whose row is then deleted (it changed
    nothing, so nothing else can refer to it)."""
    details = dict(values.get("details") or {})
    streak = _streak(before)
    if streak is None:
        return {**details, "idle_runs": 1}
    count, since = streak
    session.execute(delete(SyncRun).where(SyncRun.id == before.id))  # type: ignore[union-attr]
    return {**details, "idle_runs": count + 1, "idle_since": since}


def _streak(before: Row[Any] | None) -> tuple[int, str] | None:
    """How many idle runs ``before`` stands for, and when the first started; ``None`` when it
    is no idle run (or absent)."""
    if before is None or before.status != "succeeded" or not isinstance(before.details, dict):
        return None
    count = before.details.get("idle_runs")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_STREAK:
        return None
    since = before.details.get("idle_since")
    return count, since if isinstance(since, str) else before.started_at.isoformat()


def prune_due(before: dt.datetime | None, started_at: dt.datetime) -> bool:
    """Whether a run starting at ``started_at`` prunes: the first of its stream in an hour
    (``before``: when the stream's run before it started, if any)."""
    return before is None or _hour(before) != _hour(started_at)


def _hour(when: dt.datetime) -> int:
    return int((when - _EPOCH) // PRUNE_EVERY)


def prune(session: Session, stream: str, before: dt.datetime) -> int:
    """Delete the stream's finished runs started before ``before``, except those kept (module
    docstring); returns how many went."""
    if stream in KEPT_STREAMS:
        return 0
    kept = _kept(session, stream)
    query = delete(SyncRun).where(
        SyncRun.stream == stream,
        SyncRun.started_at < before,
        SyncRun.status != "running",
        SyncRun.id.not_in(kept),
    )
    for table_name, column_name in referencing(session.connection()):
        holder = table(table_name, sql_column(column_name))
        query = query.where(~exists().where(holder.c[column_name] == SyncRun.id))
    result = session.execute(query.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def _kept(session: Session, stream: str) -> list[uuid.UUID]:
    """The stream's latest run, and its latest success and failure."""
    runs = select(SyncRun.id).where(SyncRun.stream == stream)
    latest = runs.order_by(SyncRun.started_at.desc()).limit(1)
    found = [session.scalar(latest)] + [
        session.scalar(latest.where(SyncRun.status == status)) for status in ("succeeded", "failed")
    ]
    return [run_id for run_id in found if run_id is not None]


def referencing(connection: Connection) -> list[tuple[str, str]]:
    """Every (table, column) of the database that may hold a ``sync_runs`` id: columns named
    ``run_id`` and those of foreign keys to ``sync_runs``."""
    inspector = inspect(connection)
    found = {
        (name, column["name"])
        for (_schema, name), columns in inspector.get_multi_columns().items()
        for column in columns
        if column["name"] == "run_id" and name != SyncRun.__tablename__
    }
    found |= {
        (name, column)
        for (_schema, name), keys in inspector.get_multi_foreign_keys().items()
        for key in keys
        if key["referred_table"] == SyncRun.__tablename__
        for column in key["constrained_columns"]
    }
    return sorted(found)
