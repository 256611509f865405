"""The catalogue stream: a full refresh of catalogs, both catalogue models beneath them, offers
with their tickets and ticket sessions, and the forms tickets refer to.

Rows commit page by page. Every collection read completely records which ids it returned under
its parent; only when the whole refresh succeeded are the parent's other live rows marked
``deleted_at`` — a refresh that failed part-way marks nothing. An endpoint answering 404 (an
account on the other catalogue model) is skipped and marks nothing either.

Offers are refreshed whole rather than by date window: API Platform date filters drop offers
without a date, so a windowed walk could never tell such an offer from one that vanished.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.errors import NotFoundError
from korsync.api.jsonld import as_uuid
from korsync.api.pagination import Reject
from korsync.db import MAX_PARAMS
from korsync.models import metadata
from korsync.sync import catalogue_rows as cr
from korsync.sync import values as v
from korsync.sync.runner import StreamRun, map_items, map_page, utcnow

Scope = tuple[str, str | None, uuid.UUID | None]  # table, parent column, parent id


@dataclasses.dataclass
class CatalogueRefresh:
    """One refresh in progress: the client, the run, and what each complete listing returned."""

    client: ApiClient
    run: StreamRun
    seen: dict[Scope, set[uuid.UUID]] = dataclasses.field(default_factory=lambda: defaultdict(set))
    forms: set[uuid.UUID] = dataclasses.field(default_factory=set)

    def walk(
        self, path: str, params: Mapping[str, Any] | None, mapper: cr.Mapper, scope: Scope
    ) -> list[dict[str, Any]]:
        """Read a whole collection, committing each page; returns the items read.

        Raises ``NotFoundError`` when the collection does not exist for this account.
        """
        items: list[dict[str, Any]] = []
        seen: set[uuid.UUID] = set()
        for page in self.client.iter_pages(path, dict(params or {})):
            rows, rejects = map_page(page, mapper, utcnow())
            with self.run.transaction() as session:
                self.run.write(session, rows, rejects)
            seen.update(row["id"] for row in rows.rows.get(scope[0], ()))
            seen.update(_reject_ids(page.rejects))
            self.forms.update(
                r["form_id"] for r in rows.rows.get("offer_tickets", ()) if r["form_id"]
            )
            items += page.items
        self.seen[scope] |= seen
        return items

    def optional(
        self, path: str, params: Mapping[str, Any] | None, mapper: cr.Mapper, scope: Scope
    ) -> list[dict[str, Any]]:
        """``walk``, but a 404 (the other catalogue model) means nothing to read."""
        try:
            return self.walk(path, params, mapper, scope)
        except NotFoundError:
            return []


def _reject_ids(rejects: Iterable[Reject]) -> set[uuid.UUID]:
    """Ids of rejected items: they still exist upstream, so their rows must not be marked."""
    raws = (r.raw for r in rejects if isinstance(r.raw, Mapping))
    return {i for i in (as_uuid(raw.get("id")) for raw in raws) if i is not None}


def sync_catalogue(client: ApiClient, sessions: sessionmaker[Session]) -> StreamRun:
    """Refresh the whole catalogue, then mark what a complete listing no longer returned."""
    with StreamRun(sessions, "catalogue", "full") as run:
        refresh = CatalogueRefresh(client, run)
        for catalog in refresh.walk(
            "/v1/ticketing/catalogs", None, cr.catalog_rows, ("catalogs", None, None)
        ):
            _catalog(refresh, v.item_id(catalog))
        for form_id in sorted(refresh.forms):
            _form(refresh, form_id)
        with run.transaction() as session:
            run.totals.deleted += mark_deleted(session, refresh.seen, utcnow())
        run.details = {"collections": len(refresh.seen), "forms": len(refresh.forms)}
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
    for product_base in bases:
        base_id = v.item_id(product_base)
        refresh.optional(
            f"{base}/product_bases/{base_id}/products",
            None,
            cr.product_rows(catalog_id, base_id),
            ("products", "product_base_id", base_id),
        )
    if not bases:  # older model: products hang off the catalog
        refresh.optional(
            f"{base}/products",
            None,
            cr.product_rows(catalog_id),
            ("products", "catalog_id", catalog_id),
        )
    offers = refresh.optional(
        f"{base}/offers",
        {"order[date]": "asc"},
        cr.offer_rows(catalog_id),
        ("offers", "catalog_id", catalog_id),
    )
    for offer in offers:
        _offer(refresh, catalog_id, offer)


def _offer(refresh: CatalogueRefresh, catalog_id: uuid.UUID, offer: Mapping[str, Any]) -> None:
    offer_id = v.item_id(offer)
    refresh.seen[("offer_tickets", "offer_id", offer_id)].update(
        v.item_id(t) for t in offer.get("tickets") or [] if isinstance(t, Mapping)
    )
    for ticket in offer.get("tickets") or []:
        if not isinstance(ticket, Mapping) or ticket.get("dateAccess") is not False:
            continue  # all-day tickets have no sessions
        ticket_id = v.item_id(ticket)
        path = f"/v1/ticketing/catalogs/{catalog_id}/offers/{offer_id}/tickets/{ticket_id}/sessions"
        mapper = cr.offer_ticket_session_rows(catalog_id, offer_id, ticket_id)
        refresh.optional(
            path, None, mapper, ("offer_ticket_sessions", "offer_ticket_id", ticket_id)
        )


def _form(refresh: CatalogueRefresh, form_id: uuid.UUID) -> None:
    try:
        form = refresh.client.get_json(f"/v1/forms/{form_id}")
    except NotFoundError:
        return  # stays a placeholder; the ticket still points at it
    rows, rejects = map_items([form], cr.form_rows, utcnow())
    with refresh.run.transaction() as session:
        refresh.run.write(session, rows, rejects)
    refresh.seen[("forms", None, None)].add(form_id)


def mark_deleted(session: Session, seen: Mapping[Scope, set[uuid.UUID]], now: dt.datetime) -> int:
    """Set ``deleted_at`` on live rows under each completely listed parent that were not seen."""
    marked = 0
    for (name, parent_column, parent_id), ids in seen.items():
        if name == "forms":
            continue  # forms are read one by one; absence from a listing means nothing
        table: Table = metadata.tables[name]
        query = select(table.c.id).where(table.c.deleted_at.is_(None))
        if parent_column is not None:
            query = query.where(table.c[parent_column] == parent_id)
        gone = [row_id for row_id in session.scalars(query) if row_id not in ids]
        for start in range(0, len(gone), MAX_PARAMS):
            chunk = gone[start : start + MAX_PARAMS]
            session.execute(update(table).where(table.c.id.in_(chunk)).values(deleted_at=now))
        marked += len(gone)
    return marked
