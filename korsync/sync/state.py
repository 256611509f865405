"""Per-stream state in ``sync_state``: the watermark and cursor a stream has committed.

Reads and writes happen inside the caller's transaction, so the state always commits together
with the rows it covers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from korsync.models import SyncState


def load(session: Session, stream: str, scope: str = "") -> SyncState | None:
    """The stored state of ``stream``/``scope``, if any."""
    query = select(SyncState).where(SyncState.stream == stream, SyncState.scope == scope)
    return session.scalars(query).one_or_none()


def watermark(session: Session, stream: str, scope: str = "") -> dt.datetime | None:
    """The committed watermark of ``stream``/``scope``."""
    state = load(session, stream, scope)
    return state.watermark if state else None


def save(
    session: Session,
    stream: str,
    scope: str = "",
    *,
    watermark: dt.datetime | None = None,
    cursor: dict[str, Any] | None = None,
) -> SyncState:
    """Set the watermark and/or cursor (``None`` leaves a value as it is)."""
    state = load(session, stream, scope)
    if state is None:
        state = SyncState(stream=stream, scope=scope)
        session.add(state)
    if watermark is not None:
        state.watermark = watermark
    if cursor is not None:
        state.cursor = cursor
    state.updated_at = dt.datetime.now(dt.UTC)
    return state


def delete_scopes(session: Session, stream: str, prefix: str) -> None:
    """Forget every scope of ``stream`` starting with ``prefix`` (e.g. finished backfill slices)."""
    for state in session.scalars(
        select(SyncState).where(SyncState.stream == stream, SyncState.scope.startswith(prefix))
    ):
        session.delete(state)
