"""Auditing the orders mirror: count every ``createdAt`` window in the API and in the mirror,
split the windows that differ, re-walk the finest ones that still differ, and count again.

A window's API count is one request (``itemsPerPage=1``, its ``totalItems``); its mirror count
is the live orders (``deleted_at IS NULL``) created in it. A re-walk reads the window whole
through ``commit_orders`` (upserts: missing orders are inserted, changed ones updated, and an
order marked deleted that is returned again is live again). Only a re-walk known complete
marks the window's live orders it did not return ``deleted_at``: as many distinct orders read
as ``totalItems`` says, across further walks while they find orders the earlier ones did not
(ties within a second served in another order on each request). An order written since the
re-walk began (by another stream) is never marked. Then a rotating sample of days is re-read
for content (``sample``). The audit holds the ``orders`` stream's lock as well as its own, so
an incremental sync never writes orders into a window while it is being proven.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api import jsonld
from korsync.api.client import ApiClient
from korsync.api.errors import PaginationError
from korsync.api.filters import TimeFormat
from korsync.db.locks import stream_lock
from korsync.db.upsert import MAX_PARAMS
from korsync.models import Order
from korsync.sync import filter_format, state
from korsync.sync.audit import evidence, sample
from korsync.sync.audit.catalogue import Collection, check_catalogue
from korsync.sync.audit.evidence import (
    DIFFERS,
    HEALED,
    MATCH,
    MAX_COUNT,
    SPLIT,
    AuditError,
    Counts,
    Healing,
)
from korsync.sync.audit.windows import Window, bounds, months, query, split
from korsync.sync.mapping import utcnow
from korsync.sync.orders import ORDERS_PATH, OrdersOptions, api_time, commit_orders
from korsync.sync.pages import MappedPage
from korsync.sync.runner import PrerequisiteBusy, RunTotals, StreamRun
from korsync.sync.values import timestamp

log = logging.getLogger("korsync.sync")
COLLECTION = "orders"
# Walks of one window at most: each walk that reads orders the earlier ones did not (ties
# served in another order on each request) is followed by another, until as many were read as
# the window holds.
WALKS = 10
IDLE_WALKS = 2  # walks in a row that read nothing new: more would not either


@dataclasses.dataclass
class AuditOutcome:
    """What an audit found: windows counted, healed, and those still differing."""

    run: StreamRun
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    counted: int = 0
    healed: list[Window] = dataclasses.field(default_factory=list)
    differing: list[Window] = dataclasses.field(default_factory=list)
    catalogue_differing: list[Collection] = dataclasses.field(default_factory=list)
    sampled: int = 0  # days whose content was re-read
    changed: list[Window] = dataclasses.field(default_factory=list)  # ... and found changed

    @property
    def clean(self) -> bool:
        return not self.differing and not self.catalogue_differing

    @property
    def run_id(self) -> uuid.UUID:
        assert self.run.run_id is not None  # set when the run opened
        return self.run.run_id


def audit_orders(
    client: ApiClient,
    sessions: sessionmaker[Session],
    options: OrdersOptions,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    sample_percent: float = 0.0,
    lock_wait: float = 0.0,
) -> AuditOutcome:
    """Audit ``[since, until)`` (default: the first order, API's or mirror's, to the orders
    watermark; nothing before the orders stream has a watermark, unless ``until`` is given)
    and heal it, then re-read ``sample_percent`` of its days (``sample``). Raises
    ``PrerequisiteBusy`` when the orders stream is still running after ``lock_wait`` seconds,
    ``StreamBusy`` when another audit is. The run is recorded in ``sync_runs`` (stream
    ``audit``)."""
    with contextlib.ExitStack() as held:
        if not held.enter_context(stream_lock(sessions.kw["bind"], "orders", lock_wait)):
            raise PrerequisiteBusy("audit: another korsync process is running the orders stream")
        run = held.enter_context(StreamRun(sessions, evidence.STREAM, "audit"))
        reader = held.enter_context(ThreadPoolExecutor(1, thread_name_prefix="fetch"))

        def walk(time_format: TimeFormat) -> AuditOutcome:
            audit = OrdersAudit(client, sessions, run, options, time_format, reader, sample_percent)
            return audit.check_range(since, until)

        outcome = filter_format.walk_with_format(client, sessions, walk)
        outcome.catalogue_differing = check_catalogue(client, sessions, outcome.run_id)
        run.details = _details(outcome)
    return outcome


def _details(outcome: AuditOutcome) -> dict[str, Any]:
    return {
        "since": api_time(outcome.since) if outcome.since else None,
        "until": api_time(outcome.until) if outcome.until else None,
        "windows": outcome.counted,
        "healed": [str(w) for w in outcome.healed[:20]],
        "differing": [str(w) for w in outcome.differing[:20]]
        + [str(c) for c in outcome.catalogue_differing],
        "sampled_days": outcome.sampled,
        "changed": [str(w) for w in outcome.changed[:20]],
    }


@dataclasses.dataclass
class OrdersAudit:
    """One audit pass over orders in one filter format."""

    client: ApiClient
    sessions: sessionmaker[Session]
    run: StreamRun
    options: OrdersOptions
    time_format: TimeFormat
    reader: ThreadPoolExecutor
    sample_percent: float = 0.0

    def check_range(self, since: dt.datetime | None, until: dt.datetime | None) -> AuditOutcome:
        """Count (and heal) every month of the range, the finer windows where one differs."""
        outcome = AuditOutcome(self.run)
        with self.sessions() as session:
            until = until or state.watermark(session, "orders")
            if until is None:  # never synced: the audit would re-walk everything, hour by hour
                log.warning("audit: the orders stream has not synced yet; nothing to audit")
                return outcome
            since = since or self._first_created(session)
        if since is None:  # no order anywhere: nothing to prove
            return outcome
        outcome.since, outcome.until = bounds(since, until, self.time_format)
        for window in months(outcome.since, outcome.until):
            self.check(window, outcome)
        self.sample_content(outcome)
        return outcome

    def sample_content(self, outcome: AuditOutcome) -> None:
        """Re-read this audit's rotating sample of days (and the neighbours of a day where the
        re-read changed something), recording each; the sample's end is remembered."""
        assert outcome.since is not None and outcome.until is not None
        days = sample.days_of(outcome.since, outcome.until)
        with self.sessions() as session:
            saved = state.load(session, evidence.STREAM, sample.SCOPE)
        after = saved.watermark if saved else None
        chosen = sample.sample(days, self.sample_percent, after)
        done: set[Window] = set()
        for day in chosen:
            if self._resample(day, outcome, done):
                for near in sample.neighbours(days, day):
                    self._resample(near, outcome, done)
        if chosen:
            with self.sessions.begin() as session:
                state.save(session, evidence.STREAM, sample.SCOPE, watermark=chosen[-1].start)

    def _resample(self, day: Window, outcome: AuditOutcome, done: set[Window]) -> bool:
        """Re-read ``day`` unless done already; whether the re-read changed the mirror."""
        if day in done:
            return False
        done.add(day)
        before = (self.run.totals.rows.updated, self._live(day))
        healing = self.heal(day)
        changed = self.run.totals.rows.updated > before[0] or healing.inserted > 0
        changed = changed or healing.marked_deleted > 0
        status = sample.CHANGED if changed else sample.SAMPLED
        first = Counts(healing.after.api, before[1])
        evidence.record(self.sessions, self._run_id, COLLECTION, day, first, status, healing)
        outcome.sampled += 1
        if changed:
            outcome.changed.append(day)
            log.info("audit: orders %s: re-read found changed orders", day)
        return changed

    def _live(self, window: Window) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Order).where(*_in(window))) or 0

    def _first_created(self, session: Session) -> dt.datetime | None:
        """The earliest ``createdAt`` of the API's orders and the mirror's live ones."""
        body = self.client.get_json(ORDERS_PATH, {"order[createdAt]": "asc", "itemsPerPage": 1})
        first = (jsonld.members(body) or [None])[0]
        api_first = timestamp(first, "createdAt") if isinstance(first, dict) else None
        mirror_first = session.scalar(select(func.min(Order.created_at)).where(_live()))
        found = [t for t in (api_first, mirror_first) if t is not None]
        return min(found) if found else None

    def check(self, window: Window, outcome: AuditOutcome) -> None:
        """Count ``window``; if it differs, check its finer windows, or re-walk it."""
        counts = self.counts(window)
        outcome.counted += 1
        if counts.equal:
            evidence.record(self.sessions, self._run_id, COLLECTION, window, counts, MATCH)
            return
        finer = split(window, self.time_format)
        if finer is not None:
            evidence.record(self.sessions, self._run_id, COLLECTION, window, counts, SPLIT)
            for part in finer:
                self.check(part, outcome)
            return
        healing = self.heal(window)
        status = HEALED if healing.after.equal else DIFFERS
        (outcome.healed if healing.after.equal else outcome.differing).append(window)
        evidence.record(self.sessions, self._run_id, COLLECTION, window, counts, status, healing)
        log.log(
            logging.INFO if healing.after.equal else logging.WARNING,
            "audit: orders %s: API %d, mirror %d; re-walked: %d inserted, %d marked deleted;"
            " now API %d, mirror %d",
            window,
            counts.api,
            counts.mirror,
            healing.inserted,
            healing.marked_deleted,
            healing.after.api,
            healing.after.mirror,
        )

    @property
    def _run_id(self) -> uuid.UUID:
        assert self.run.run_id is not None  # set when the run opened
        return self.run.run_id

    def counts(self, window: Window) -> Counts:
        """The window's ``totalItems`` (one request) and its live orders in the mirror."""
        body = self.client.get_json(
            ORDERS_PATH, {**query(window, self.time_format), "itemsPerPage": 1}
        )
        api = jsonld.total_items(body)
        if api is None or api > MAX_COUNT:
            shown = "" if api is None else f" ({api} is past what a count column holds)"
            raise AuditError(f"orders {window}: the API's answer has no usable totalItems{shown}")
        with self.sessions() as session:
            mirror = session.scalar(select(func.count()).select_from(Order).where(*_in(window)))
        return Counts(api, mirror or 0)

    def heal(self, window: Window) -> Healing:
        """Re-walk ``window`` (again while it reads fewer orders than it holds, until
        ``IDLE_WALKS`` in a row read nothing new, ``WALKS`` at most); when complete, mark the
        live orders it did not return; then count again."""
        started, held_before = utcnow(), self._held(window)
        seen: set[object] = set()
        complete, fruitless = False, 0
        for _ in range(WALKS):
            known = len(seen)
            total = self._walk(window, seen)
            complete = total is not None and len(seen) == total
            fruitless = fruitless + 1 if len(seen) == known else 0
            if complete or fruitless == IDLE_WALKS:
                break
        marked = self._mark_deleted(window, seen, started) if complete else 0
        inserted = self._held(window) - held_before
        return Healing(self.counts(window), inserted, marked, utcnow())

    def _held(self, window: Window) -> int:
        """The orders the mirror holds in ``window``, live or marked deleted."""
        in_window = (Order.created_at >= window.start, Order.created_at < window.end)
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Order).where(*in_window)) or 0

    def _walk(self, window: Window, seen: set[object]) -> int | None:
        """Walk ``window`` once, adding the ids read to ``seen``; the last ``totalItems``, or
        ``None`` when the walk ended early (a page the pagination guards refused)."""
        params = query(window, self.time_format)
        commits = commit_orders(self.run, self.client, params, self.reader, self.options, _keep)
        total: int | None = None
        try:
            for mapped in commits:
                total = mapped.page.total_items
                seen.update(_ids(mapped, window))
        except PaginationError as exc:
            log.warning("audit: orders %s: re-walk cut short: %s", window, exc)
            return None
        return total if commits.finished else None

    def _mark_deleted(self, window: Window, seen: set[object], started: dt.datetime) -> int:
        """Set ``deleted_at`` on the window's live orders not in ``seen`` and not written
        since ``started``; returns how many."""
        with self.run.transaction() as session:
            unchanged = or_(Order.synced_at.is_(None), Order.synced_at < started)
            ids = session.scalars(select(Order.id).where(*_in(window), unchanged)).all()
            gone = [order_id for order_id in ids if order_id not in seen]
            now = utcnow()
            for start in range(0, len(gone), MAX_PARAMS):
                chunk = gone[start : start + MAX_PARAMS]
                session.execute(update(Order).where(Order.id.in_(chunk)).values(deleted_at=now))
        self.run.add(RunTotals(deleted=len(gone)))
        return len(gone)


def _keep(session: Session, mapped: MappedPage) -> None:
    """A re-walk keeps no state of its own: the audit's evidence is written per window."""


def _ids(mapped: MappedPage, window: Window) -> Iterator[object]:
    """The ids of the orders a page returned in ``window``, mapped or rejected (a rejected
    order is still there). An order created outside it (an API ignoring the filters) is
    written like any other but does not count towards the window's completeness."""
    raws = [*mapped.page.items, *(reject.raw for reject in mapped.page.rejects)]
    for raw in raws:
        key = jsonld.item_key(raw)
        if key is not None and _created_in(raw, window):
            yield jsonld.as_uuid(key) or key


def _created_in(raw: Any, window: Window) -> bool:
    """Whether ``raw``'s ``createdAt`` is in ``window``; unreadable counts as in (the API put
    it there, and nothing in the mirror can be matched to it anyway)."""
    try:
        created = timestamp(raw, "createdAt") if isinstance(raw, dict) else None
    except ValueError:
        return True
    return created is None or window.start <= created < window.end


def _live() -> Any:
    return Order.deleted_at.is_(None)


def _in(window: Window) -> tuple[Any, ...]:
    """Live orders created in ``window``."""
    return (Order.created_at >= window.start, Order.created_at < window.end, _live())
