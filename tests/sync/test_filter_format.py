"""Orders against an API whose ``createdAt`` filters take only dates, on
SQLite and PostgreSQL: the format is probed when first needed and remembered, the incremental
walk, reconcile and backfill read whole days and mirror exactly, a 400 naming the filter in
mid-life makes korsync probe again and carry on, and ``korsync status`` says so."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.errors import StatusError
from korsync.api.filters import TimeFormat
from korsync.fake_api import Simulator
from korsync.models import SyncRun
from korsync.status import collect, render
from korsync.sync import filter_format, state
from korsync.sync.backfill import sync_backfill
from korsync.sync.backfill.walker import plan_days
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders
from tests.support.sync import NOW, CountingTransport, assert_orders_mirrored, make_client, make_sim

OPTIONS = OrdersOptions(sweep_interval=dt.timedelta(0))  # every pass sweeps the overlap
DATE_ONLY = "date only: orders are re-read a day at a time"


def _remembered(sessions: sessionmaker[Session]) -> TimeFormat | None:
    with sessions() as session:
        known = filter_format.remembered(session)
    return known[0] if known else None


def _created_filters(transport: CountingTransport) -> list[tuple[str, str]]:
    """Every ``createdAt[...]`` bound sent, as (name, value), in order."""
    return [
        (name, value)
        for request in transport.requests
        for name, value in request.url.params.multi_items()
        if name.startswith("createdAt[")
    ]


def _runs(sessions: sessionmaker[Session], stream: str) -> list[str]:
    with sessions() as session:
        query = select(SyncRun).where(SyncRun.stream == stream).order_by(SyncRun.started_at)
        return [run.status for run in session.scalars(query)]


def _is_date(value: str) -> bool:
    return len(value) == len("2025-06-02") and dt.date.fromisoformat(value) is not None


def test_incremental_walk_falls_back_to_whole_days(
    engine: Engine, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """The first run sends no filter, so learns nothing; the second's first request (a time)
    is refused, so it probes (three time forms refused, the date accepted), says so once in the
    log, remembers it and reads from the day of watermark minus overlap; a third run asks
    nothing. The mirror is exact throughout."""
    sim = make_sim(created_filters="date")
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        sync_orders(client, sessions, OPTIONS)
        assert _created_filters(transport) == [] and _remembered(sessions) is None
        with Session(engine) as session:
            watermark = state.watermark(session, "orders")
        assert watermark is not None
        sim.add_orders(3, created_at=watermark)
        sim.add_orders(70, created_at=NOW)
        with caplog.at_level(logging.INFO, logger="korsync.sync"):
            sync_orders(client, sessions, OPTIONS)
            sent = _created_filters(transport)
            sync_orders(client, sessions, OPTIONS)
    day = (watermark - OPTIONS.overlap).date().isoformat()
    probed = [value for name, value in sent if name == "createdAt[strictly_after]"]
    assert [len(v) for v in probed] == [25, 25, 20, 19, 10]  # the walk's, then the probe's
    walked = {s for s in sent if s[0] != "createdAt[strictly_after]"}  # every page's link
    assert walked == {("createdAt[after]", day)}
    then = (NOW - OPTIONS.overlap).date().isoformat()  # the watermark is NOW after the second
    assert set(_created_filters(transport)[len(sent) :]) == {("createdAt[after]", then)}
    assert _remembered(sessions) is TimeFormat.DATE
    assert sum("accept only a date" in r.getMessage() for r in caplog.records) == 1
    assert _runs(sessions, "orders") == ["succeeded"] * 3
    assert_orders_mirrored(engine, sim)


def test_reconcile_reads_from_the_start_of_its_first_day(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Reconcile with only dates: ``createdAt[after]`` is the day of ``since``, and an order
    created earlier that day (which a time would have left out) is re-read too."""
    sim = make_sim(created_filters="date")
    since = NOW - dt.timedelta(hours=1)
    (early,) = sim.add_orders(1, created_at=since.replace(hour=0, minute=0, second=1))
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        sync_orders(client, sessions, OPTIONS)
        sim.cancel_order(early["id"])
        reconcile_orders(client, sessions, OPTIONS, since=since)
    assert ("createdAt[after]", since.date().isoformat()) in _created_filters(transport)
    assert_orders_mirrored(engine, sim)


def test_backfill_with_only_dates_mirrors_exactly_on_day_slices(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A backfill probes first, plans slices that meet at midnights, sends only dates and
    mirrors the source exactly."""
    sim = make_sim(created_filters="date", orders=300)
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        run = sync_backfill(client, sessions, OPTIONS, workers=3, slices=6)
    assert run.totals.pages > 0 and _remembered(sessions) is TimeFormat.DATE
    walked = [v for n, v in _created_filters(transport) if n != "createdAt[strictly_after]"]
    assert walked and all(_is_date(value) for value in walked)
    assert _runs(sessions, "backfill") == ["succeeded"]
    assert_orders_mirrored(engine, sim)


def test_day_slices_meet_at_midnights() -> None:
    """Inner bounds are midnights, the outer ones the range's own; never more slices than
    days touched."""
    start = dt.datetime(2025, 1, 1, 7, 30, tzinfo=dt.UTC)
    end = dt.datetime(2025, 1, 11, 3, 0, tzinfo=dt.UTC)
    slices = plan_days(start, end, 4)
    assert (slices[0].start, slices[-1].end) == (start, end)
    assert all(a.end == b.start for a, b in itertools.pairwise(slices))
    assert all(s.start.time() == dt.time() for s in slices[1:])
    assert len(plan_days(start, start + dt.timedelta(hours=30), 10)) == 2
    assert len(plan_days(start, start + dt.timedelta(hours=1), 10)) == 1


def test_a_400_in_mid_life_probes_again_and_the_run_carries_on(
    engine: Engine, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """The API took times, then starts refusing them: the run's first request gets a 400
    naming the filter, the API is probed again, the date is remembered and the same run walks
    again with it and succeeds; the mirror is exact."""
    sim = make_sim()
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        sync_orders(client, sessions, OPTIONS)
        sync_orders(client, sessions, OPTIONS)
        assert _remembered(sessions) is TimeFormat.OFFSET
        sim.config.created_filters = "date"
        sim.add_orders(40, created_at=NOW)
        before = len(transport.requests)
        with caplog.at_level(logging.WARNING, logger="korsync.sync"):
            run = sync_orders(client, sessions, OPTIONS)
    assert _remembered(sessions) is TimeFormat.DATE
    assert _runs(sessions, "orders") == ["succeeded"] * 3
    since = dt.datetime.fromisoformat(run.details["watermark_before"]) - OPTIONS.overlap
    assert run.details["query"]["createdAt[after]"] == since.date().isoformat()
    assert any("refused a createdAt filter" in r.getMessage() for r in caplog.records)
    sent = [r.url.params for r in transport.requests[before:]]
    kinds = ["probe" if params.get("itemsPerPage") == "1" else "walk" for params in sent]
    assert kinds[:6] == ["walk", "probe", "probe", "probe", "probe", "walk"]
    assert sent[0]["createdAt[strictly_after]"].endswith("+00:00")  # refused with a 400
    assert _is_date(sent[5]["createdAt[after]"])
    assert_orders_mirrored(engine, sim)


def test_a_backfill_refused_in_mid_life_resumes_with_dates(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A backfill sending times to an API that now refuses them: that run fails with the 400,
    the API is probed again and a second run resumes the backfill with dates; exact mirror."""
    sim = make_sim(orders=250)
    with sessions.begin() as session:
        filter_format_cursor = {"createdAt": "offset", "refused": []}
        state.save(session, filter_format.STREAM, filter_format.SCOPE, cursor=filter_format_cursor)
    sim.config.created_filters = "date"
    with make_client(sim) as client:
        sync_backfill(client, sessions, OPTIONS, workers=2, slices=4)
    assert _runs(sessions, "backfill") == ["failed", "succeeded"]
    assert _remembered(sessions) is TimeFormat.DATE
    assert_orders_mirrored(engine, sim)


def test_a_400_that_a_new_probe_does_not_explain_is_raised(
    sessions: sessionmaker[Session],
) -> None:
    """When the API still accepts the format it refused a moment ago, the 400 is about
    something else: it is raised and the run fails, the remembered format unchanged."""
    sim = make_sim()

    def refuse_walks(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("itemsPerPage") == "1":  # the probe
            return httpx.Response(200, json={"member": [], "totalItems": 0})
        detail = "createdAt[strictly_after] and something else"
        return httpx.Response(400, json={"title": "An error occurred", "detail": detail})

    with sessions.begin() as session:
        state.save(session, "orders", watermark=NOW)
    with (
        make_client(sim, transport=httpx.MockTransport(refuse_walks)) as client,
        pytest.raises(StatusError, match="400"),
    ):
        sync_orders(client, sessions, OPTIONS)
    assert _remembered(sessions) is TimeFormat.OFFSET
    assert _runs(sessions, "orders") == ["failed"]


def test_status_says_when_only_dates_are_accepted(
    engine: Engine, sessions: sessionmaker[Session], sim: Simulator
) -> None:
    """``korsync status`` shows the date-only fallback (and nothing for the full format)."""
    assert DATE_ONLY not in render(collect(engine))
    with sessions.begin() as session:
        cursor = {"createdAt": "offset"}
        state.save(session, filter_format.STREAM, filter_format.SCOPE, cursor=cursor)
    assert "createdAt filters" not in render(collect(engine))
    with sessions.begin() as session:
        cursor = {"createdAt": "date"}
        state.save(session, filter_format.STREAM, filter_format.SCOPE, cursor=cursor)
    report = collect(engine)
    assert DATE_ONLY in render(report)
    assert report.as_dict()["filter_format"] == "date"
    assert "api" not in [s.stream for s in report.streams]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 0


def test_an_accepted_walk_proves_the_format_at_no_extra_request(
    sessions: sessionmaker[Session],
) -> None:
    """Against an API taking times, the first walk that sends a filter is the probe: it costs
    no request of its own, and the format is remembered from its answer."""
    sim = make_sim()
    transport = CountingTransport(sim)
    with make_client(sim, transport) as client:
        sync_orders(client, sessions, OPTIONS)
        assert _remembered(sessions) is None  # no filter sent yet
        before = len(transport.requests)
        sync_orders(client, sessions, OPTIONS)
    assert len(transport.requests) - before == 1
    assert _remembered(sessions) is TimeFormat.OFFSET
