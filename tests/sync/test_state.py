"""Per-stream state: one row per stream and scope, each value kept until it is given again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.models import SyncState
from korsync.sync import state

EARLY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


def test_saving_one_value_keeps_the_other(sessions: sessionmaker[Session]) -> None:
    """Saving only a cursor keeps the watermark, and saving only a watermark keeps the cursor,
    in the one row of that stream and scope."""
    with sessions.begin() as session:
        state.save(session, "backfill", "slice:0", watermark=EARLY, cursor={"done": False})
    with sessions.begin() as session:
        state.save(session, "backfill", "slice:0", cursor={"done": True})
    with sessions.begin() as session:
        state.save(session, "backfill", "slice:0", watermark=LATE)
    with sessions() as session:
        saved = state.load(session, "backfill", "slice:0")
        rows = session.scalar(select(func.count()).select_from(SyncState))
    assert saved is not None
    assert (saved.watermark, saved.cursor, rows) == (LATE, {"done": True}, 1)


def test_scopes_are_deleted_by_prefix_only(sessions: sessionmaker[Session]) -> None:
    """Deleting the ``slice:`` scopes of a stream leaves its own state and other streams'."""
    with sessions.begin() as session:
        for stream, scope in [("backfill", ""), ("backfill", "slice:0"), ("backfill", "slice:1"),
                              ("orders", "slice:0")]:  # fmt: skip
            state.save(session, stream, scope, watermark=EARLY)
    with sessions.begin() as session:
        state.delete_scopes(session, "backfill", "slice:")
    with Session(sessions.kw["bind"]) as session:
        left = session.execute(select(SyncState.stream, SyncState.scope)).all()
    assert sorted(left) == [("backfill", ""), ("orders", "slice:0")]
