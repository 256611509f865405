"""The audit's ``createdAt`` windows: half-open ``[start, end)`` on whole seconds, covering a
range without gap or overlap, coarse first (calendar months, UTC) and split only where the
counts differ — a month into its days, a day into its hours.

When the API's ``createdAt`` filters take only dates, a window must start and end at UTC
midnights (``filter_time`` can write nothing finer), so the range is cut to whole days and days
are the finest windows. ``query`` is the one place a window becomes filters:
``createdAt[after]`` (inclusive) at its start, ``createdAt[strictly_before]`` at its end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

from korsync.api.filters import TimeFormat, filter_time

DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
MONTH, DAYS, HOURS = "month", "day", "hour"


@dataclasses.dataclass(frozen=True)
class Window:
    """``[start, end)`` by ``createdAt`` (aware UTC, whole seconds); ``granularity`` says which
    split made it (``month``, ``day`` or ``hour``)."""

    start: dt.datetime
    end: dt.datetime
    granularity: str

    def __str__(self) -> str:
        return f"[{_shown(self.start)}, {_shown(self.end)})"


def _shown(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def midnight(value: dt.datetime) -> dt.datetime:
    """The UTC midnight starting ``value``'s day."""
    return dt.datetime.combine(value.astimezone(dt.UTC).date(), dt.time(), dt.UTC)


def bounds(
    since: dt.datetime, until: dt.datetime, time_format: TimeFormat
) -> tuple[dt.datetime, dt.datetime]:
    """The range to audit: ``since`` and ``until`` in UTC on whole seconds (with only dates,
    ``since``'s day from its midnight, ``until`` back to its midnight: days not yet over are
    left for a later audit)."""
    start = since.astimezone(dt.UTC).replace(microsecond=0)
    end = until.astimezone(dt.UTC).replace(microsecond=0)
    if time_format is TimeFormat.DATE:
        start, end = midnight(start), midnight(end)
    return start, end


def months(start: dt.datetime, end: dt.datetime) -> list[Window]:
    """``[start, end)`` cut at the first instant of each calendar month (UTC) inside it."""
    cuts = [start]
    first = dt.datetime(start.year, start.month, 1, tzinfo=dt.UTC)
    while (first := _next_month(first)) < end:
        cuts.append(first)
    return _between([*cuts, end], MONTH) if end > start else []


def _next_month(first: dt.datetime) -> dt.datetime:
    return first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)


def split(window: Window, time_format: TimeFormat) -> list[Window] | None:
    """The finer windows covering ``window`` (a month's days, a day's hours), or ``None`` when
    it is already as fine as the filters allow (an hour; a day with only dates). A window
    already inside one day or hour is split one step finer than that."""
    if window.granularity == MONTH and window.end - window.start > DAY:
        return _cut(window, DAY, DAYS)
    if time_format is TimeFormat.DATE or window.end - window.start <= HOUR:
        return None
    return _cut(window, HOUR, HOURS)


def _cut(window: Window, step: dt.timedelta, granularity: str) -> list[Window]:
    cuts = [window.start]
    mark = midnight(window.start)
    while (mark := mark + step) < window.end:
        if mark > window.start:
            cuts.append(mark)
    return _between([*cuts, window.end], granularity)


def _between(cuts: list[dt.datetime], granularity: str) -> list[Window]:
    return [Window(a, b, granularity) for a, b in itertools.pairwise(cuts)]


def query(window: Window, time_format: TimeFormat) -> dict[str, Any]:
    """The orders filters selecting exactly ``window``, oldest first."""
    return {
        "order[createdAt]": "asc",
        "createdAt[after]": filter_time(window.start, time_format),
        "createdAt[strictly_before]": filter_time(window.end, time_format, upper=True),
    }
