"""The orders streams: the incremental walk by ``createdAt`` watermark, and the reconcile pass
that re-reads orders still able to change.

Incremental: ``order[createdAt]=asc``. A *sweep* reads from ``createdAt[strictly_after]`` = the
last sweep's watermark minus an overlap, so orders sharing the watermark's second (or committed
late upstream) are read again and upserted, never skipped or duplicated. Between sweeps
(``tail``: every ``sweep_interval``) a pass is a *poll* from ``createdAt[after]`` = the newest
``createdAt`` committed, inclusive: cheap enough to run every few seconds, one request when
nothing is new. When the API filters by date only, a poll would re-read the whole day every few
seconds, so passes between sweeps send nothing (the sweeps keep the old pace). Each page
commits with the new watermark — the highest ``createdAt`` committed so far, capped at the
run's start minus a safety margin — and the tail.

Reconcile: the API has no ``updatedAt``, so orders created within ``reconcile_days`` are read
again in full and updated in place (cancellations, ticket vouchers, beneficiaries, documents).
Both, and the backfill's slices, walk orders through ``commit_orders``, with the ``createdAt``
filter format the API accepts (``filter_format``). When it takes only dates, the bounds are
rounded outward to whole days (the incremental walk starts at the day of watermark minus
overlap, inclusive): more is re-read, nothing is skipped, and the watermark rules are unchanged.
On PostgreSQL the server builds the rows of the plain orders from the page's JSON (``order_sql``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.filters import TimeFormat, filter_time
from korsync.pii import PiiPolicy
from korsync.sync import filter_format, order_sql, state, tail
from korsync.sync import values as v
from korsync.sync.mapping import utcnow
from korsync.sync.order_rows import order_rows
from korsync.sync.pages import BeforeWrite, MappedPage, PageCommits
from korsync.sync.prefetch import prefetch
from korsync.sync.runner import StreamRun

ORDERS_PATH = "/v1/booking/orders"


@dataclasses.dataclass(frozen=True)
class OrdersOptions:
    """How far back each walk looks."""

    overlap: dt.timedelta = dt.timedelta(minutes=10)
    safety_margin: dt.timedelta = dt.timedelta(seconds=60)
    sweep_interval: dt.timedelta = dt.timedelta(minutes=5)  # 0: every pass sweeps
    reconcile_days: int = 30
    pii: PiiPolicy = dataclasses.field(default_factory=PiiPolicy)


def api_time(value: dt.datetime) -> str:
    """An instant as korsync records it (run details, backfill plans): ISO 8601 UTC with
    offset, second precision. Filters are written by ``filter_time`` in the accepted format."""
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def incremental_query(
    watermark: dt.datetime | None, overlap: dt.timedelta, time_format: TimeFormat
) -> dict[str, Any]:
    """The incremental walk's query: after watermark minus ``overlap`` (exclusive; with only
    dates, from that instant's whole day, inclusive), oldest first."""
    params: dict[str, Any] = {"order[createdAt]": "asc"}
    if watermark is not None:
        since = watermark - overlap
        if time_format is TimeFormat.DATE:
            params["createdAt[after]"] = filter_time(since, time_format)
        else:
            params["createdAt[strictly_after]"] = filter_time(since, time_format)
    return params


def poll_query(newest: dt.datetime, time_format: TimeFormat) -> dict[str, Any]:
    """A poll's query: from the newest ``createdAt`` committed on, inclusive (orders sharing
    its second may have committed since), oldest first."""
    return {"order[createdAt]": "asc", "createdAt[after]": filter_time(newest, time_format)}


def sync_orders(
    client: ApiClient, sessions: sessionmaker[Session], options: OrdersOptions
) -> StreamRun:
    """One incremental pass, a poll or a sweep (``korsync.sync.tail``); returns the finished
    run (raises after recording a failure). A 400 naming the filter makes the API be probed
    again and the walk run once more, in the same run, from what was committed so far."""
    started = utcnow()
    with sessions() as session:
        watermark = state.watermark(session, "orders")
        position = tail.load(session)
    ceiling = started - options.safety_margin
    sweep = position.sweep_due(started, options.sweep_interval)
    newest = position.tail
    day_only = filter_format.current(sessions) is TimeFormat.DATE

    def save_page(session: Session, mapped: MappedPage) -> None:
        # The running marks move only once the page has committed (below): this may run
        # again for the page, without items the database refused.
        latest, seen = latest_created(mapped, watermark), latest_created(mapped, newest)
        moved = dataclasses.replace(position, tail=min(seen, started) if seen else None)
        tail.save(session, moved, watermark=min(latest, ceiling) if latest else None)

    # A pass every 15 s: idle ones share a row (``run_records``), or sync_runs would grow by
    # thousands of rows a day.
    run = StreamRun(sessions, "orders", "incremental", fold_idle=True)
    with run, _reader() as reader:
        run.details = {"watermark_before": _show(watermark), "kind": "sweep" if sweep else "poll"}
        if day_only and not sweep:
            run.details["kind"] = "none"  # a poll would re-read the whole day; the sweep will
            return run

        def walk(time_format: TimeFormat) -> None:
            nonlocal watermark, newest
            if sweep or newest is None:
                params = incremental_query(
                    _sweep_from(position, watermark), options.overlap, time_format
                )
            else:
                params = poll_query(newest, time_format)
            run.details["query"] = params
            for mapped in commit_orders(run, client, params, reader, options, save_page):
                watermark = latest_created(mapped, watermark)
                newest = latest_created(mapped, newest)
                shown = _show(min(watermark, ceiling) if watermark else None)
                run.details["watermark_after"] = shown

        filter_format.walk_with_format(client, sessions, walk, filtered=watermark is not None)
        if sweep:
            swept = tail.Tail(
                tail=min(newest, started) if newest else None,
                swept_at=started,
                swept_to=min(watermark, ceiling) if watermark else None,
            )
            with sessions.begin() as session:
                tail.save(session, swept)
    return run


def reconcile_orders(
    client: ApiClient,
    sessions: sessionmaker[Session],
    options: OrdersOptions,
    since: dt.datetime | None = None,
) -> StreamRun:
    """Re-read every order created since ``since`` (default: ``reconcile_days`` ago; with only
    dates, from that day's start)."""
    since = since or utcnow() - dt.timedelta(days=options.reconcile_days)

    def save_page(session: Session, mapped: MappedPage) -> None:
        state.save(session, "reconcile", cursor={"last_page": mapped.page.page})

    with StreamRun(sessions, "reconcile", "reconcile") as run, _reader() as reader:
        run.details = {"since": _show(since)}

        def walk(time_format: TimeFormat) -> None:
            after = filter_time(since, time_format)
            params = {"order[createdAt]": "asc", "createdAt[after]": after}
            for _ in commit_orders(run, client, params, reader, options, save_page):
                pass

        filter_format.walk_with_format(client, sessions, walk)
    return run


def commit_orders(
    run: StreamRun,
    client: ApiClient,
    params: Mapping[str, Any],
    reader: Executor,
    options: OrdersOptions,
    before_write: BeforeWrite,
    stop: Callable[[], bool] = lambda: False,
) -> PageCommits:
    """The pages of orders matching ``params``, each read on ``reader`` while the one before is
    written, redacted by the personal-data policy and committed as ``PageCommits`` says."""
    pages = prefetch(client.iter_pages(ORDERS_PATH, params), reader)
    in_sql = order_sql if run.dialect == "postgresql" else None
    return PageCommits(run, pages, order_rows, before_write, options.pii.order, stop, in_sql)


def latest_created(mapped: MappedPage, current: dt.datetime | None) -> dt.datetime | None:
    """The latest ``createdAt`` among the page's orders written and ``current`` (a page
    without orders leaves ``current`` as it is)."""
    seen = [row["created_at"] for row in mapped.rows.rows.get("orders", ())]
    seen += [at for item in mapped.in_sql if (at := v.timestamp(item, "createdAt"))]
    return max([*seen, *([current] if current else [])]) if seen else current


def _reader() -> ThreadPoolExecutor:
    """The thread that reads the next page while the current one is written."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch")


def _sweep_from(position: tail.Tail, watermark: dt.datetime | None) -> dt.datetime | None:
    """Where a sweep starts before its overlap: the last sweep's watermark (so orders committed
    late since then are caught however far polls moved on), else the watermark."""
    if watermark is None:
        return None
    return min(position.swept_to, watermark) if position.swept_to else watermark


def _show(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
