"""The audit's count check of the catalogue: each catalogue collection's ``totalItems`` (one
request, ``itemsPerPage=1``) against the mirror's live rows under the same parent.

Counted: the catalogs, and per live catalog its events, product bases (``withDisabled=true``,
as the refresh lists them) and offers; a listing answering 404 or 403 (the other catalogue
model) is not counted, as the refresh skips it too. The catalogue is refreshed whole, so a
collection that differs is healed by one complete catalogue refresh (``sync_catalogue``, under
the catalogue stream's own lock), after which the differing collections are counted again.
Nothing is checked before the catalogue stream has once succeeded: every count would differ.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api import jsonld
from korsync.api.client import ApiClient
from korsync.api.errors import StatusError
from korsync.models import SyncRun, metadata
from korsync.sync.audit import evidence
from korsync.sync.audit.evidence import (
    DIFFERS,
    HEALED,
    MATCH,
    MAX_COUNT,
    AuditError,
    Counts,
    Healing,
)
from korsync.sync.audit.windows import Window
from korsync.sync.catalogue import SKIPPED_STATUSES, sync_catalogue
from korsync.sync.mapping import utcnow
from korsync.sync.runner import StreamBusy

log = logging.getLogger("korsync.sync")
ALL_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # a collection's count covers all of it
# table -> (listing under a catalog, query); catalogs themselves are listed at the top.
UNDER_CATALOG = {
    "events": ("events", {}),
    "product_bases": ("product_bases", {"withDisabled": "true"}),
    "offers": ("offers", {}),
}


@dataclasses.dataclass(frozen=True)
class Collection:
    """One counted catalogue collection: its table, its parent catalog (none: the catalogs)."""

    table: str
    catalog_id: uuid.UUID | None = None

    def __str__(self) -> str:
        return self.table if self.catalog_id is None else f"{self.table}/{self.catalog_id}"

    @property
    def path(self) -> str:
        base = "/v1/ticketing/catalogs"
        return base if self.catalog_id is None else f"{base}/{self.catalog_id}/{self.table}"

    @property
    def query(self) -> dict[str, Any]:
        return dict(UNDER_CATALOG[self.table][1]) if self.catalog_id is not None else {}


def check_catalogue(
    client: ApiClient, sessions: sessionmaker[Session], run_id: uuid.UUID
) -> list[Collection]:
    """Count every catalogue collection, heal by one refresh if some differ, count those
    again; returns the collections still differing (each recorded in ``audit_windows``)."""
    if not _ever_refreshed(sessions):
        return []
    first = {
        c: counted for c in _collections(sessions) if (counted := _counts(client, sessions, c))
    }
    differing = [c for c, counts in first.items() if not counts.equal]
    for collection, counts in first.items():
        if counts.equal:
            _record(sessions, run_id, collection, counts, MATCH)
    if not differing:
        return []
    try:
        sync_catalogue(client, sessions)
    except StreamBusy:
        log.warning("audit: the catalogue stream is running elsewhere; not refreshed")
    still = []
    for collection in differing:
        after = _counts(client, sessions, collection) or Counts(0, _live(sessions, collection))
        healing = Healing(after, 0, 0, utcnow())
        _record(
            sessions,
            run_id,
            collection,
            first[collection],
            HEALED if after.equal else DIFFERS,
            healing,
        )
        if not after.equal:
            still.append(collection)
    return still


def _ever_refreshed(sessions: sessionmaker[Session]) -> bool:
    query = select(SyncRun.id).where(SyncRun.stream == "catalogue", SyncRun.status == "succeeded")
    with sessions() as session:
        return session.scalars(query.limit(1)).first() is not None


def _collections(sessions: sessionmaker[Session]) -> list[Collection]:
    """The catalogs, then each live catalog's collections."""
    catalogs: Table = metadata.tables["catalogs"]
    with sessions() as session:
        ids = session.scalars(select(catalogs.c.id).where(catalogs.c.deleted_at.is_(None))).all()
    return [Collection("catalogs")] + [
        Collection(table, catalog_id) for catalog_id in sorted(ids) for table in UNDER_CATALOG
    ]


def _counts(
    client: ApiClient, sessions: sessionmaker[Session], collection: Collection
) -> Counts | None:
    """The collection's ``totalItems`` and live rows; ``None`` when the API does not list it
    (404 or 403). An answer without a usable ``totalItems`` raises ``AuditError``."""
    try:
        body = client.get_json(collection.path, {**collection.query, "itemsPerPage": 1})
    except StatusError as exc:
        if exc.status in SKIPPED_STATUSES:
            return None
        raise
    api = jsonld.total_items(body)
    if api is None or api > MAX_COUNT:
        raise AuditError(f"{collection}: the API's answer has no usable totalItems")
    return Counts(api, _live(sessions, collection))


def _live(sessions: sessionmaker[Session], collection: Collection) -> int:
    table: Table = metadata.tables[collection.table]
    # A placeholder (raw NULL: referenced, never listed) is not one of the listing's rows.
    where: list[ColumnElement[bool]] = [table.c.deleted_at.is_(None), table.c.raw.is_not(None)]
    if collection.catalog_id is not None:
        where.append(table.c.catalog_id == collection.catalog_id)
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


def _record(
    sessions: sessionmaker[Session],
    run_id: uuid.UUID,
    collection: Collection,
    counts: Counts,
    status: str,
    healing: Healing | None = None,
) -> None:
    window = Window(ALL_TIME, utcnow().replace(microsecond=0), "all")
    evidence.record(sessions, run_id, str(collection), window, counts, status, healing)
