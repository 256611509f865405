"""What the API accepts in ``createdAt[...]`` filters, and how korsync finds out.

The docs' pattern for these filters is cut off after the date part, so whether the API takes a
time with an offset, with ``Z``, without a zone, or only a date is probed, not assumed:
``probe_time_format`` sends one ``GET`` of the orders collection per candidate
(``createdAt[strictly_after]=<value>&itemsPerPage=1``), in ``CANDIDATES`` order, until one is
answered 200 (accepted); a 400 means refused, anything else means it cannot tell. ``filter_time``
writes an instant in a format, a date-only bound rounded outward so nothing is skipped;
``refuses_filter`` recognises the 400 that names the filter, on which the format is probed again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from korsync.api.client import ApiClient, Params
from korsync.api.errors import ApiError, StatusError

ORDERS = "/v1/booking/orders"  # the collection whose filters these are
PROBED_FILTER = "createdAt[strictly_after]"
_DAY = dt.timedelta(days=1)


class TimeFormat(enum.StrEnum):
    """How an instant is written in a ``createdAt[...]`` filter."""

    OFFSET = "offset"  # 2025-06-02T12:00:00+00:00, what korsync sent before it probed
    ZULU = "zulu"  # 2025-06-02T12:00:00Z
    NAIVE = "naive"  # 2025-06-02T12:00:00 (read as UTC)
    DATE = "date"  # 2025-06-02: orders are read a day at a time

    @property
    def shown(self) -> str:
        """The format as people read it, with an example."""
        return _SHOWN[self]


_SHOWN = {
    TimeFormat.OFFSET: "date-time with offset (2025-06-02T12:00:00+00:00)",
    TimeFormat.ZULU: "date-time in Z (2025-06-02T12:00:00Z)",
    TimeFormat.NAIVE: "date-time without zone (2025-06-02T12:00:00)",
    TimeFormat.DATE: "date only (2025-06-02)",
}
CANDIDATES = tuple(TimeFormat)  # the probe's order: the most precise first
DEFAULT = TimeFormat.OFFSET  # used until a probe tells, and when it cannot


def filter_time(value: dt.datetime, time_format: TimeFormat, *, upper: bool = False) -> str:
    """``value`` (aware) as a filter value in ``time_format``, in UTC to the second. A date-only
    value is the UTC day of ``value``; an ``upper`` bound (``before``) not at midnight is
    rounded up to the next day, so the day of ``value`` is read whole, never cut."""
    utc = value.astimezone(dt.UTC)
    if time_format is TimeFormat.DATE:
        day = utc.date()
        at_midnight = utc == dt.datetime.combine(day, dt.time(), dt.UTC)
        return (day + _DAY if upper and not at_midnight else day).isoformat()
    text = utc.replace(microsecond=0).isoformat()
    if time_format is TimeFormat.ZULU:
        return text.removesuffix("+00:00") + "Z"
    return text.removesuffix("+00:00") if time_format is TimeFormat.NAIVE else text


def refuses_filter(exc: BaseException) -> bool:
    """Whether ``exc`` is a 400 naming a ``createdAt`` filter (its format was refused)."""
    return isinstance(exc, StatusError) and exc.status == 400 and "createdat" in exc.reason.lower()


@dataclasses.dataclass(frozen=True)
class FormatProbe:
    """What a probe found: the ``accepted`` format (``None`` when it could not tell), those
    ``refused`` before it, and why it could not tell (``error``)."""

    accepted: TimeFormat | None
    refused: tuple[TimeFormat, ...] = ()
    error: str | None = None


def probe_time_format(client: ApiClient, at: dt.datetime) -> FormatProbe:
    """GET the orders collection with ``createdAt[strictly_after]`` = ``at`` in each candidate
    format, in order, until one answers 200. A 400 refuses the format; any other failure (after
    the client's retries) ends the probe without an answer."""
    refused: list[TimeFormat] = []
    for candidate in CANDIDATES:
        params: Params = {PROBED_FILTER: filter_time(at, candidate), "itemsPerPage": 1}
        try:
            client.get_json(ORDERS, params)
        except StatusError as exc:
            if exc.status != 400:
                return FormatProbe(None, tuple(refused), str(exc))
            refused.append(candidate)
            continue
        except ApiError as exc:
            return FormatProbe(None, tuple(refused), str(exc))
        return FormatProbe(candidate, tuple(refused))
    return FormatProbe(None, tuple(refused), "every format was refused (HTTP 400)")
