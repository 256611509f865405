"""Per-stream state in ``sync_state``: the watermark and cursor a stream has committed.

Reads and writes happen inside the caller's transaction, so the state always commits together
with the rows it covers. A backfill saves a slice's checkpoint with every page, so saving is
one upsert statement rather than a read and a write.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from korsync.db.upsert import dialect_insert
from korsync.models import SyncState

_TABLE: Table = SyncState.__table__  # type: ignore[assignment]  # typed FromClause; a Table


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
) -> None:
    """Set the watermark and/or cursor (``None`` leaves a value as it is)."""
    given = {"watermark": watermark, "cursor": cursor}
    values = {name: value for name, value in given.items() if value is not None}
    values["updated_at"] = dt.datetime.now(dt.UTC)
    statement = _upsert(session.get_bind().dialect.name, tuple(values))
    session.execute(statement, {"stream": stream, "scope": scope, **values})


@functools.cache
def _upsert(dialect: str, names: tuple[str, ...]) -> Any:
    """The upsert setting ``names``, built once: a backfill saves a checkpoint every page."""
    columns = ("stream", "scope", *names)
    insert = dialect_insert(_TABLE, dialect)
    insert = insert.values({name: bindparam(name, type_=_TABLE.c[name].type) for name in columns})
    return insert.on_conflict_do_update(
        index_elements=["stream", "scope"], set_={name: insert.excluded[name] for name in names}
    )


def delete_scopes(session: Session, stream: str, prefix: str) -> None:
    """Forget every scope of ``stream`` starting with ``prefix`` (e.g. finished backfill slices)."""
    session.execute(
        delete(SyncState).where(SyncState.stream == stream, SyncState.scope.startswith(prefix))
    )


def load_scopes(session: Session, stream: str, prefix: str) -> list[SyncState]:
    """The stored state of every scope of ``stream`` starting with ``prefix``."""
    query = select(SyncState).where(SyncState.stream == stream, SyncState.scope.startswith(prefix))
    return list(session.scalars(query))
