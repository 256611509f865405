"""Content, not only counts: each audit re-reads a rotating sample of whole days of history.

A change to an order older than the reconcile window (a late cancellation, a voucher) leaves
every count equal. So each audit re-walks ``percent`` of the range's days — consecutive days
from where the last audit's sample stopped (``sync_state``, stream ``audit``, scope
``sample``), wrapping around to the first — through the same re-walk that heals a differing
window: changed orders are updated, missing ones inserted, vanished ones marked. A day where
the re-read changed something is recorded ``changed`` and its neighbours (the day before and
after) are re-read in the same audit, as changes cluster; others are recorded ``sampled``.
"""

from __future__ import annotations

import datetime as dt
import math

from korsync.sync.audit.windows import DAY, DAYS, Window, midnight

SCOPE = "sample"
SAMPLED, CHANGED = "sampled", "changed"  # audit_windows.status of a re-read day


def days_of(since: dt.datetime, until: dt.datetime) -> list[Window]:
    """The range's days, the first and last cut at its ends."""
    days, start = [], since
    while start < until:
        end = min(midnight(start) + DAY, until)
        days.append(Window(start, end, DAYS))
        start = end
    return days


def sample(days: list[Window], percent: float, after: dt.datetime | None) -> list[Window]:
    """``percent`` of ``days`` (at least one when above zero), consecutive, from the first day
    starting after ``after`` (the last one sampled before; from the start when none is)."""
    if not days or percent <= 0:
        return []
    count = min(len(days), math.ceil(len(days) * percent / 100))
    first = next((i for i, day in enumerate(days) if after is None or day.start > after), 0)
    return [days[(first + step) % len(days)] for step in range(count)]


def neighbours(days: list[Window], day: Window) -> list[Window]:
    """The days just before and after ``day`` in ``days``."""
    at = days.index(day)
    return [days[i] for i in (at - 1, at + 1) if 0 <= i < len(days)]
