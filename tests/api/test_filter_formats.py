"""The ``createdAt`` filter format probe against a scripted upstream: the
exact requests it sends, what each answer means, and how instants are written in each format."""

from __future__ import annotations

import datetime as dt

import httpx

from korsync.api.errors import NotFoundError, StatusError
from korsync.api.filters import TimeFormat, filter_time, probe_time_format, refuses_filter
from tests.support.upstream import ORDERS, Upstream, collection

AT = dt.datetime(2025, 6, 2, 12, 30, 15, 250_000, tzinfo=dt.UTC)
EXPECTED_QUERIES = [
    "createdAt%5Bstrictly_after%5D=2025-06-02T12%3A30%3A15%2B00%3A00&itemsPerPage=1",
    "createdAt%5Bstrictly_after%5D=2025-06-02T12%3A30%3A15Z&itemsPerPage=1",
    "createdAt%5Bstrictly_after%5D=2025-06-02T12%3A30%3A15&itemsPerPage=1",
    "createdAt%5Bstrictly_after%5D=2025-06-02&itemsPerPage=1",
]


def _date_only(request: httpx.Request) -> httpx.Response:
    """An API whose createdAt filters take only a date: 400 on anything longer."""
    value = request.url.params.get("createdAt[strictly_after]", "")
    if len(value) > len("2025-06-02"):
        detail = "createdAt[strictly_after]: This value should match ^[0-9]{4}-...$."
        return httpx.Response(400, json={"title": "An error occurred", "detail": detail})
    return httpx.Response(200, json=collection(ORDERS, []))


def _queries(upstream: Upstream) -> list[str]:
    return [request.url.query.decode() for request in upstream.requests]


def test_filter_time_writes_each_format_in_utc_to_the_second() -> None:
    """Each format writes the same instant (given in another zone) in UTC, second precision."""
    paris = AT.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert [filter_time(paris, f) for f in TimeFormat] == [
        "2025-06-02T12:30:15+00:00",
        "2025-06-02T12:30:15Z",
        "2025-06-02T12:30:15",
        "2025-06-02",
    ]


def test_date_only_bounds_round_outward() -> None:
    """A date-only lower bound is the instant's day; an upper bound is the next day unless the
    instant is a midnight, so the instant's own day is always read whole."""
    late = dt.datetime(2025, 6, 2, 23, 59, 59, tzinfo=dt.UTC)
    midnight = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)
    assert filter_time(late, TimeFormat.DATE) == "2025-06-02"
    assert filter_time(late, TimeFormat.DATE, upper=True) == "2025-06-03"
    assert filter_time(midnight, TimeFormat.DATE, upper=True) == "2025-06-03"
    assert filter_time(late, TimeFormat.OFFSET, upper=True) == "2025-06-02T23:59:59+00:00"


def test_probe_stops_at_the_first_accepted_format() -> None:
    """An API that takes the offset form: one request, exactly as documented."""
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, []))
    with upstream.client() as client:
        found = probe_time_format(client, AT)
    assert (found.accepted, found.refused, found.error) == (TimeFormat.OFFSET, (), None)
    assert _queries(upstream) == EXPECTED_QUERIES[:1]
    assert upstream.requests[0].url.path == ORDERS


def test_probe_tries_every_format_in_order_down_to_a_date() -> None:
    """An API that takes only dates: the three time forms are refused (400), in order, then
    the date is accepted; four requests, one per candidate."""
    upstream = Upstream()
    upstream.serve(ORDERS, _date_only)
    with upstream.client() as client:
        found = probe_time_format(client, AT)
    assert found.accepted is TimeFormat.DATE
    assert found.refused == (TimeFormat.OFFSET, TimeFormat.ZULU, TimeFormat.NAIVE)
    assert _queries(upstream) == EXPECTED_QUERIES


def test_probe_that_cannot_tell_says_why() -> None:
    """Anything but 200 or 400 (here a 503 after the client's retries) ends the probe without
    an answer, keeping the formats refused before it."""
    upstream = Upstream()
    upstream.serve(
        ORDERS,
        httpx.Response(400, json={"detail": "createdAt[strictly_after]: no"}),
        httpx.Response(503, text="down"),
    )
    with upstream.client(max_attempts=1) as client:
        found = probe_time_format(client, AT)
    assert found.accepted is None and found.refused == (TimeFormat.OFFSET,)
    assert found.error is not None and "503" in found.error
    assert len(upstream.requests) == 2


def test_probe_refused_in_every_format() -> None:
    """An API that answers 400 to every candidate: no format, all four refused."""
    upstream = Upstream()
    upstream.serve(ORDERS, httpx.Response(400, json={"detail": "no filters here"}))
    with upstream.client() as client:
        found = probe_time_format(client, AT)
    assert found.accepted is None and found.refused == tuple(TimeFormat)
    assert _queries(upstream) == EXPECTED_QUERIES


def test_only_a_400_naming_createdat_refuses_the_filter() -> None:
    """The re-probe is triggered by a 400 whose message names createdAt, nothing else."""
    url = "https://korus.test/v1/booking/orders"
    assert refuses_filter(StatusError("HTTP 400: createdAt[after]: bad", url=url, status=400))
    assert not refuses_filter(StatusError("HTTP 400: itemsPerPage", url=url, status=400))
    assert not refuses_filter(NotFoundError("HTTP 404: createdAt", url=url, status=404))
    assert not refuses_filter(ValueError("createdAt"))
