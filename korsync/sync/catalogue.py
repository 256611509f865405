"""The catalogue stream: a full refresh of catalogs, both catalogue models beneath them, offers
with their tickets and ticket sessions, and the forms tickets refer to.

Rows commit page by page. Every collection read completely records which ids it returned under
its parent; only when the whole refresh succeeded are the parent's other live rows marked
``deleted_at`` — a refresh that failed part-way marks nothing. A listing (or form) answering
404 or 403 — the other catalogue model's endpoints, on an account on one model only, or kept
from it — is skipped and marks nothing either, but never silently: each such endpoint, by path
template and status, with how often, goes into the run's ``details`` (``skipped``), which
``korsync sync`` prints and ``korsync status`` shows; the rest of the refresh goes on.

Vanished parents take their children: a row so marked also marks the live rows it contains
(``CONTAINED``, from the foreign keys: a catalog's events, product bases, products, offers...;
an event's sessions; an offer's tickets and their sessions; a form's fields), down the whole
tree, with the same time — except rows this refresh listed, which the API says are live. A
parent that comes back is upserted with ``deleted_at`` cleared, and so is each child as its
listing returns it again.

Offers are refreshed whole rather than by date window: API Platform date filters drop offers
without a date, so a windowed walk could never tell such an offer from one that vanished.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.errors import StatusError
from korsync.api.jsonld import as_uuid, iri_id
from korsync.api.pace import MAX_CONCURRENCY
from korsync.api.pagination import Page
from korsync.db.upsert import MAX_PARAMS
from korsync.models import metadata
from korsync.sync import catalogue_rows as cr
from korsync.sync import values as v
from korsync.sync.mapping import (
    PARTIAL,
    MappedItem,
    Mapper,
    Rejection,
    map_each,
    map_page_each,
    utcnow,
)
from korsync.sync.pages import MappedItems, commit_without_refused
from korsync.sync.runner import StreamRun

log = logging.getLogger("korsync.sync")

Scope = tuple[str, str | None, uuid.UUID | None]  # table, parent column, parent id


FLUSH_ROWS = 1000  # rows buffered before a write: many listings are a handful of rows
# Foreign keys between catalogue tables that are references, not containment: a form is
# shared by the tickets that point at it, and outlives none of them.
NOT_CONTAINED = frozenset({("offer_tickets", "form_id")})
# Statuses of an endpoint this account cannot read (the other catalogue model): skipped.
SKIPPED_STATUSES = frozenset({403, 404})


@dataclasses.dataclass
class CatalogueRefresh:
    """One refresh in progress: the client, the run, what each complete listing returned, and
    rows waiting to be written (small listings are written together; safe because nothing is
    marked deleted before the whole refresh has been written)."""

    client: ApiClient
    run: StreamRun
    seen: dict[Scope, set[uuid.UUID]] = dataclasses.field(default_factory=lambda: defaultdict(set))
    forms: set[uuid.UUID] = dataclasses.field(default_factory=set)
    _items: list[MappedItem] = dataclasses.field(default_factory=list)
    _rejects: list[Rejection] = dataclasses.field(default_factory=list)
    _pages: int = 0
    _buffered_rows: int = 0
    skipped: dict[tuple[str, int], int] = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def walk(
        self, path: str, params: Mapping[str, Any] | None, mapper: Mapper, scope: Scope
    ) -> list[dict[str, Any]]:
        """Read a whole collection; returns the items read (those with a usable id).

        Raises ``NotFoundError`` when the collection does not exist for this account.
        """
        items: list[dict[str, Any]] = []
        seen: set[uuid.UUID] = set()
        for page in self.client.iter_pages(path, dict(params or {})):
            self._buffer(*map_page_each(page, mapper, utcnow()))
            seen.update(_listed_ids(page))
            items += [item for item in page.items if as_uuid(item.get("id")) is not None]
        self.record(scope, seen)
        return items

    def record(self, scope: Scope, ids: set[uuid.UUID]) -> None:
        """Note ``ids`` as listed under ``scope``."""
        with self._lock:
            self.seen[scope] |= ids

    def optional(
        self, path: str, params: Mapping[str, Any] | None, mapper: Mapper, scope: Scope
    ) -> list[dict[str, Any]]:
        """``walk``, but a 404 or 403 (the other catalogue model) means nothing to read: the
        endpoint is recorded as skipped."""
        try:
            return self.walk(path, params, mapper, scope)
        except StatusError as exc:
            if exc.status not in SKIPPED_STATUSES:
                raise
            self.skip(path, exc.status or 0)
            return []

    def skip(self, path: str, status: int) -> None:
        """Record that ``path`` answered ``status`` and was skipped (logged once per endpoint
        and status: 403 as a warning, 404 as information)."""
        key = (endpoint(path), status)
        with self._lock:
            first = key not in self.skipped
            self.skipped[key] = self.skipped.get(key, 0) + 1
            # a new dict: a page's transaction may be recording the current one meanwhile
            self.run.details = {**self.run.details, "skipped": self.skipped_report()}
        if first:
            level = logging.WARNING if status == 403 else logging.INFO
            log.log(level, "catalogue: GET %s answered HTTP %d: skipped", key[0], status)

    def skipped_report(self) -> list[dict[str, Any]]:
        """The skipped endpoints as the run's ``details`` record them."""
        return [
            {"endpoint": path, "status": status, "times": times}
            for (path, status), times in sorted(self.skipped.items())
        ]

    def _buffer(self, items: list[MappedItem], rejects: list[Rejection], pages: int = 1) -> None:
        with self._lock:
            self._items += items
            self._rejects += rejects
            self._pages += pages
            for item in items:
                tickets = item.rows.rows.get("offer_tickets", ())
                self.forms.update(r["form_id"] for r in tickets if r["form_id"])
                self._buffered_rows += sum(map(len, item.rows.rows.values()))
            if self._buffered_rows >= FLUSH_ROWS:
                self._flush()

    def write_now(self, items: list[MappedItem], rejects: list[Rejection]) -> None:
        """Buffer ``items`` and write everything buffered at once."""
        self._buffer(items, rejects, pages=0)
        self.flush()

    def flush(self) -> None:
        """Write every buffered row now."""
        with self._lock:
            self._flush()

    def partial(self, raw: Any, reason: str) -> None:
        """Record ``raw`` (already written) as a partial item, with why, at the next write."""
        with self._lock:
            self._rejects.append(Rejection(raw, reason, PARTIAL))

    def _flush(self) -> None:
        """Write the buffer in one transaction, without the items the database refuses."""
        if self._items or self._rejects:
            batch = MappedItems(self._items, self._rejects)
            commit_without_refused(self.run, batch, self._write, "a catalogue batch")
        self._items, self._rejects, self._pages, self._buffered_rows = [], [], 0, 0

    def _write(self, batch: MappedItems) -> None:
        with self.run.transaction() as session:
            self.run.write(
                session, batch.rows, batch.rejects, pages=self._pages, written=batch.keys()
            )


# Path segments followed by an id, and the name of that id in the docs' path templates.
_ID_NAMES = {
    "catalogs": "catalogId",
    "events": "eventId",
    "product_bases": "productBaseId",
    "offers": "offerId",
    "tickets": "ticketId",
}


def endpoint(path: str) -> str:
    """``path`` as its template: ``/v1/ticketing/catalogs/{catalogId}/events``."""
    parts = path.split("/")
    return "/".join(
        f"{{{_ID_NAMES.get(parts[n - 1], 'id')}}}" if as_uuid(part) is not None else part
        for n, part in enumerate(parts)
    )


def _listed_ids(page: Page) -> set[uuid.UUID]:
    """Ids of every item the page listed, rejected ones included: they exist upstream."""
    raws = [*page.items, *(r.raw for r in page.rejects if isinstance(r.raw, Mapping))]
    return {i for i in (as_uuid(raw.get("id")) for raw in raws) if i is not None}


def sync_catalogue(client: ApiClient, sessions: sessionmaker[Session]) -> StreamRun:
    """Refresh the whole catalogue, then mark what a complete listing no longer returned."""
    with StreamRun(sessions, "catalogue", "full") as run:
        refresh = CatalogueRefresh(client, run)
        catalogs = refresh.walk(
            "/v1/ticketing/catalogs", None, cr.catalog_rows, ("catalogs", None, None)
        )
        for done, catalog in enumerate(catalogs, start=1):
            _catalog(refresh, v.item_id(catalog))
            # A first refresh is a minute of requests: say how far it got.
            log.info("catalogue: %d of %d catalogs read", done, len(catalogs))
        for form_id in sorted(refresh.forms):
            _form(refresh, form_id)
        refresh.flush()
        with run.transaction() as session:
            run.totals.deleted += mark_deleted(session, refresh.seen, utcnow())
        run.details = {"collections": len(refresh.seen), "forms": len(refresh.forms)}
        if refresh.skipped:
            run.details["skipped"] = refresh.skipped_report()
    return run


def _catalog(refresh: CatalogueRefresh, catalog_id: uuid.UUID) -> None:
    base = f"/v1/ticketing/catalogs/{catalog_id}"
    events = refresh.optional(
        f"{base}/events", None, cr.event_rows(catalog_id), ("events", "catalog_id", catalog_id)
    )
    for event in events:
        event_id = v.item_id(event)
        refresh.optional(
            f"{base}/events/{event_id}/sessions",
            None,
            cr.session_rows(catalog_id, event_id),
            ("sessions", "event_id", event_id),
        )
    bases = refresh.optional(
        f"{base}/product_bases",
        {"withDisabled": "true"},
        cr.product_base_rows(catalog_id),
        ("product_bases", "catalog_id", catalog_id),
    )
    in_bases: set[uuid.UUID] = set()
    for product_base in bases:
        base_id = v.item_id(product_base)
        mapper = cr.product_rows(catalog_id, base_id)
        scope: Scope = ("products", "product_base_id", base_id)
        refresh.optional(f"{base}/product_bases/{base_id}/products", None, mapper, scope)
        in_bases |= refresh.seen[scope]
    # Every product of the catalog (the older model's only listing); those already read under
    # their product base are skipped so their product_base_id is kept.
    mapper = cr.product_rows(catalog_id, skip=in_bases)
    refresh.optional(f"{base}/products", None, mapper, ("products", "catalog_id", catalog_id))
    offers = refresh.optional(
        f"{base}/offers",
        {"order[date]": "asc"},
        cr.offer_rows(catalog_id),
        ("offers", "catalog_id", catalog_id),
    )
    with ThreadPoolExecutor(refresh.client.options.max_concurrency or MAX_CONCURRENCY) as pool:
        for done in [pool.submit(_offer, refresh, catalog_id, offer) for offer in offers]:
            done.result()


def _offer(refresh: CatalogueRefresh, catalog_id: uuid.UUID, offer: Mapping[str, Any]) -> None:
    offer_id = v.item_id(offer)
    listed = offer.get("tickets")
    if not isinstance(listed, list):
        return  # not sent (or not a list: the offer was rejected): its tickets are kept
    tickets = {v.item_id(t) for t in listed if isinstance(t, Mapping)}
    tickets |= {i for i in map(iri_id, listed) if i is not None}  # IRIs of tickets listed
    refresh.record(("offer_tickets", "offer_id", offer_id), tickets)
    if any(isinstance(ticket, str) for ticket in listed):
        listed = _tickets_by_iri(refresh, catalog_id, offer, listed)
    for ticket in listed:
        if not isinstance(ticket, Mapping) or ticket.get("dateAccess") is not False:
            continue  # all-day tickets have no sessions
        ticket_id = v.item_id(ticket)
        path = f"/v1/ticketing/catalogs/{catalog_id}/offers/{offer_id}/tickets/{ticket_id}/sessions"
        mapper = cr.offer_ticket_session_rows(catalog_id, offer_id, ticket_id)
        refresh.optional(
            path, None, mapper, ("offer_ticket_sessions", "offer_ticket_id", ticket_id)
        )


def _tickets_by_iri(
    refresh: CatalogueRefresh, catalog_id: uuid.UUID, offer: Mapping[str, Any], listed: list[Any]
) -> list[Any]:
    """An offer listing tickets by IRI: read them from the offer's tickets collection. A ticket
    it does not return (or a collection answering 404/403) stays a placeholder, and the offer
    becomes a partial record saying so. Returns the tickets read and those listed as objects."""
    offer_id = v.item_id(offer)
    path = f"/v1/ticketing/catalogs/{catalog_id}/offers/{offer_id}/tickets"
    mapper = cr.offer_ticket_rows(catalog_id, offer_id)
    try:
        read = refresh.walk(path, None, mapper, ("offer_tickets", "offer_id", offer_id))
    except StatusError as exc:
        if exc.status not in (403, 404):
            raise
        read = []
    found = {as_uuid(ticket.get("id")) for ticket in read}
    unread = [t for t in listed if isinstance(t, str) and iri_id(t) not in (None, *found)]
    if unread:
        first = f"{unread[0]!r:.80}"
        why = f"tickets: {len(unread)} listed by IRI not returned by {path} (first {first})"
        refresh.partial(offer, f"{why}; kept as placeholder rows")
    return [*read, *(ticket for ticket in listed if isinstance(ticket, Mapping))]


def _form(refresh: CatalogueRefresh, form_id: uuid.UUID) -> None:
    try:
        form = refresh.client.get_json(f"/v1/forms/{form_id}")
    except StatusError as exc:
        if exc.status not in SKIPPED_STATUSES:
            raise
        refresh.skip(f"/v1/forms/{form_id}", exc.status or 0)
        return  # stays a placeholder; the ticket still points at it
    refresh.write_now(*map_each([form], cr.form_rows, utcnow()))


def mark_deleted(session: Session, seen: Mapping[Scope, set[uuid.UUID]], now: dt.datetime) -> int:
    """Set ``deleted_at`` on live rows under each completely listed parent that were not seen."""
    by_column: dict[tuple[str, str | None], dict[uuid.UUID | None, set[uuid.UUID]]] = defaultdict(
        dict
    )
    for (name, parent_column, parent_id), ids in seen.items():
        by_column[(name, parent_column)][parent_id] = ids
    listed: dict[str, set[uuid.UUID]] = defaultdict(set)  # every id listed, by table
    for (name, _, _), ids in seen.items():
        listed[name] |= ids
    marked: dict[str, list[uuid.UUID]] = defaultdict(list)
    for (name, parent_column), listings in by_column.items():
        table: Table = metadata.tables[name]
        marked[name] += [
            row_id
            for row_id, parent in _live(session, table, parent_column, list(listings))
            if row_id not in listings[parent]
        ]
        _set_deleted(session, table, marked[name], now)
    return sum(map(len, marked.values())) + _cascade(session, marked, listed, now)


def contained(parent: str) -> list[tuple[Table, str]]:
    """(table, column) of the catalogue rows that ``parent``'s rows contain."""
    return [
        (table, key.parent.name)
        for table in metadata.sorted_tables
        if "deleted_at" in table.c
        for key in table.foreign_keys
        if key.column.table.name == parent and (table.name, key.parent.name) not in NOT_CONTAINED
    ]


def _cascade(
    session: Session,
    marked: Mapping[str, list[uuid.UUID]],
    listed: Mapping[str, set[uuid.UUID]],
    now: dt.datetime,
) -> int:
    """Mark the live rows under each ``marked`` row, down the tree, except ``listed`` ones;
    returns how many were marked."""
    count = 0
    pending = [(name, ids) for name, ids in marked.items() if ids]
    while pending:
        name, ids = pending.pop()
        for table, column in contained(name):
            skip = listed.get(table.name, set())
            gone = [
                row_id for row_id, _ in _live(session, table, column, ids) if row_id not in skip
            ]
            if gone:
                _set_deleted(session, table, gone, now)
                pending.append((table.name, gone))
                count += len(gone)
    return count


def _set_deleted(session: Session, table: Table, ids: list[uuid.UUID], now: dt.datetime) -> None:
    for start in range(0, len(ids), MAX_PARAMS):
        chunk = ids[start : start + MAX_PARAMS]
        session.execute(update(table).where(table.c.id.in_(chunk)).values(deleted_at=now))


def _live(
    session: Session,
    table: Table,
    parent_column: str | None,
    parents: Sequence[uuid.UUID | None],
) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(id, parent id) of the live rows of ``table`` under ``parents`` (all rows: no column)."""
    live = table.c.deleted_at.is_(None)
    if parent_column is None:
        return [(row_id, None) for row_id in session.scalars(select(table.c.id).where(live))]
    column = table.c[parent_column]
    found: list[tuple[uuid.UUID, uuid.UUID | None]] = []
    for start in range(0, len(parents), MAX_PARAMS):
        query = select(table.c.id, column).where(
            live, column.in_(parents[start : start + MAX_PARAMS])
        )
        found += [(row.id, row[1]) for row in session.execute(query)]
    return found
