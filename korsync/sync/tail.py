"""Where the orders stream's tail is, and when it last swept its overlap, kept in the
``cursor`` of its ``sync_state`` row (beside the watermark) so no schema change is needed.

Each pass of the orders stream is either a *poll* — from the newest ``createdAt`` committed
(``tail``) on, so a poll that finds nothing new is one request — or a *sweep*, which re-reads
from the last sweep's watermark minus the overlap so that orders committed late upstream are
still caught. A pass sweeps when there is no tail yet, when the last sweep is
``sweep_interval`` old (``KORSYNC_ORDERS_SWEEP_INTERVAL``), or always with an interval of 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from korsync.sync import state


@dataclasses.dataclass(frozen=True)
class Tail:
    """The orders stream's cursor: ``tail`` the newest ``createdAt`` committed, ``swept_at``
    when the last completed sweep started, ``swept_to`` the watermark it left."""

    tail: dt.datetime | None = None
    swept_at: dt.datetime | None = None
    swept_to: dt.datetime | None = None

    def sweep_due(self, now: dt.datetime, sweep_interval: dt.timedelta) -> bool:
        """Whether the pass starting at ``now`` must sweep the overlap."""
        if self.tail is None or self.swept_at is None or not sweep_interval:
            return True
        return now - self.swept_at >= sweep_interval or now < self.swept_at

    def as_cursor(self) -> dict[str, Any]:
        return {
            name: value.isoformat()
            for name, value in dataclasses.asdict(self).items()
            if value is not None
        }


def load(session: Session) -> Tail:
    """The stored tail; an absent or unreadable cursor counts as none (the pass sweeps)."""
    saved = state.load(session, "orders")
    cursor = saved.cursor if saved is not None and isinstance(saved.cursor, dict) else {}
    return Tail(**{name: _instant(cursor.get(name)) for name in ("tail", "swept_at", "swept_to")})


def save(session: Session, tail: Tail, watermark: dt.datetime | None = None) -> None:
    """Store ``tail`` and the watermark if given, in the caller's transaction (with the rows
    they cover)."""
    state.save(session, "orders", watermark=watermark, cursor=tail.as_cursor())


def _instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
