"""IANA time zones: checking a name, and the periods of one UTC offset a zone went through.

SQLite has no time-zone database, so the reporting views there count local days by offsets
korsync computes here: each period of one UTC offset (daylight-saving changes included) from
1970 to 2100; before 1970 the 1970 offset applies, after 2100 the last one.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

FIRST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LAST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
EARLIEST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # the first row covers everything before FIRST
MAX_NAME = 64  # the longest IANA names are about 30 characters
NOT_ZONES = {"localtime", "posixrules", "Factory"}  # files in the zone folder, not zones


def check_zone(name: str) -> str:
    """``name`` if it is an IANA time zone this machine knows; ``ValueError`` saying why not."""
    if not name or len(name) > MAX_NAME:
        raise ValueError("must be an IANA time zone name such as Europe/Paris")
    if name in NOT_ZONES or name not in available_timezones():  # refuses paths, +02:00, ...
        raise ValueError(f"{name!r} is not an IANA time zone name (e.g. Europe/Paris, UTC)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{name!r}: time zone data unreadable ({exc})") from exc
    return name


def _offset(zone: ZoneInfo, at: dt.datetime) -> int:
    delta = at.astimezone(zone).utcoffset()
    return int(delta.total_seconds() // 60) if delta is not None else 0


def _change(zone: ZoneInfo, before: dt.datetime, after: dt.datetime) -> dt.datetime:
    """The first second in (before, after] with ``after``'s offset (the two offsets differ)."""
    wanted = _offset(zone, after)
    low, high = before, after
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if _offset(zone, middle) == wanted:
            high = middle
        else:
            low = middle
    return high


def zone_offsets(name: str) -> list[tuple[dt.datetime, int]]:
    """(from when, UTC offset in minutes) for every offset period of zone ``name``, 1970-2100,
    the first from year 1."""
    zone = ZoneInfo(name)
    periods = [(EARLIEST, _offset(zone, FIRST))]
    step, at = dt.timedelta(days=1), FIRST
    while at < LAST:
        following = at + step
        if _offset(zone, following) != periods[-1][1]:
            periods.append((_change(zone, at, following), _offset(zone, following)))
        at = following
    return periods
