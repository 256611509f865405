"""The audit's windows: months covering a range without gap or overlap, split a step finer
only as far as the API's createdAt filters allow."""

from __future__ import annotations

import datetime as dt
import itertools

from korsync.api.filters import TimeFormat
from korsync.sync.audit.windows import Window, bounds, months, query, split


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def _covers(windows: list[Window], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether ``windows`` meet end to start from ``start`` to ``end``."""
    edges = [(w.start, w.end) for w in windows]
    meet = all(a[1] == b[0] for a, b in itertools.pairwise(edges))
    return meet and edges[0][0] == start and edges[-1][1] == end


def test_months_cover_the_range_at_month_starts() -> None:
    """A range from mid-January to mid-April is four windows meeting at each month's first
    instant, the first and last cut at the range's ends; December rolls into January."""
    start, end = _utc(2024, 1, 15, 10, 30), _utc(2024, 4, 2, 8)
    windows = months(start, end)
    assert [w.start for w in windows] == [
        start,
        _utc(2024, 2, 1),
        _utc(2024, 3, 1),
        _utc(2024, 4, 1),
    ]
    assert _covers(windows, start, end)
    over_new_year = months(_utc(2024, 12, 5), _utc(2025, 1, 3))
    assert [w.end for w in over_new_year] == [_utc(2025, 1, 1), _utc(2025, 1, 3)]


def test_an_empty_or_reversed_range_has_no_window() -> None:
    """Nothing to count when the range is empty (or ends before it starts)."""
    assert months(_utc(2024, 3, 1), _utc(2024, 3, 1)) == []
    assert months(_utc(2024, 3, 2), _utc(2024, 3, 1)) == []


def test_a_month_splits_into_days_and_a_day_into_hours() -> None:
    """February 2024 is 29 day windows; one day is 24 hour windows; an hour is as fine as it
    gets. Partial windows are cut at their own ends."""
    (february,) = months(_utc(2024, 2, 1), _utc(2024, 3, 1))
    days = split(february, TimeFormat.OFFSET)
    assert days is not None and len(days) == 29 and _covers(days, february.start, february.end)
    hours = split(days[3], TimeFormat.OFFSET)
    assert hours is not None and len(hours) == 24 and {h.granularity for h in hours} == {"hour"}
    assert split(hours[0], TimeFormat.OFFSET) is None
    partial = Window(_utc(2024, 2, 3, 22, 15), _utc(2024, 2, 4, 1), "day")
    parts = split(partial, TimeFormat.OFFSET)
    assert parts is not None and [p.start.hour for p in parts] == [22, 23, 0]
    assert _covers(parts, partial.start, partial.end)


def test_with_only_dates_windows_are_whole_days_at_finest() -> None:
    """When the filters take only dates the range is cut to midnights (the unfinished last
    day is left for later) and a day is not split."""
    start, end = bounds(_utc(2024, 2, 3, 13, 5), _utc(2024, 2, 20, 9), TimeFormat.DATE)
    assert (start, end) == (_utc(2024, 2, 3), _utc(2024, 2, 20))
    (window,) = months(start, end)
    days = split(window, TimeFormat.DATE)
    assert days is not None and len(days) == 17
    assert split(days[0], TimeFormat.DATE) is None
    assert query(days[0], TimeFormat.DATE) == {
        "order[createdAt]": "asc",
        "createdAt[after]": "2024-02-03",
        "createdAt[strictly_before]": "2024-02-04",
    }


def test_a_window_is_after_its_start_and_strictly_before_its_end() -> None:
    """The filters make the window half-open, to the second, so neighbours never share an
    order; microseconds in the range's ends are dropped."""
    start, end = bounds(
        _utc(2024, 2, 3, 13, 5, 7).replace(microsecond=900), _utc(2024, 2, 4), TimeFormat.OFFSET
    )
    assert start == _utc(2024, 2, 3, 13, 5, 7)
    assert query(Window(start, end, "day"), TimeFormat.ZULU) == {
        "order[createdAt]": "asc",
        "createdAt[after]": "2024-02-03T13:05:07Z",
        "createdAt[strictly_before]": "2024-02-04T00:00:00Z",
    }
