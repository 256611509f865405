"""Turning fetched items into rows: the ``Mapper`` type every ``*_rows`` function has, mapping a
list of items or a fetched page with each item the mapper refuses kept as a ``Rejection`` (and
each it maps kept with its own rows, so a page the database refuses can be written item by
item; an item mapped with parts left out, its rows' ``notes``, also gives a ``partial`` one),
``record_key``, the key an item is rejected and resolved under, and ``utcnow``, the time
a mapping stamps on its rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from korsync.api.pagination import Page
from korsync.sync.rowset import RowSet
from korsync.sync.values import MappingError

Mapper = Callable[[Mapping[str, Any], dt.datetime], RowSet]


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC: the time mapped rows are stamped with."""
    return dt.datetime.now(dt.UTC)


def record_key(raw: Any) -> str:
    """The key an item is rejected (and later resolved) under: its ``id`` as sent, or, for an
    item without a usable one, ``sha256:`` and the hash of its payload. The database layer
    shortens a key too long or unprintable to store (``db.upsert.storable_key``)."""
    if isinstance(raw, Mapping):
        item_id = raw.get("id")
        if isinstance(item_id, str | int) and not isinstance(item_id, bool):
            return str(item_id)
    payload = json.dumps(raw, sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(payload).hexdigest()


REJECTED, PARTIAL = "rejected", "partial"  # rejected_records.kind


@dataclasses.dataclass(frozen=True)
class Rejection:
    """An item that could not be mirrored (``kind`` rejected), or was mirrored without some
    part of it (``kind`` partial: its rows are written too), with why."""

    raw: Any
    reason: str
    kind: str = REJECTED

    @property
    def key(self) -> str:
        return record_key(self.raw)


@dataclasses.dataclass(frozen=True)
class MappedItem:
    """An item the mapper understood, and its rows."""

    raw: Any
    rows: RowSet


def map_each(
    items: Iterable[Any], mapper: Mapper, now: dt.datetime
) -> tuple[list[MappedItem], list[Rejection]]:
    """Each item ``mapper`` understands with its rows, and a rejection for each it does not;
    an item mapped with parts left out has a ``partial`` one as well, naming them."""
    mapped, rejects = [], []
    for item in items:
        try:
            rows = mapper(item, now)
        except MappingError as exc:
            rejects.append(Rejection(item, str(exc)))
            continue
        mapped.append(MappedItem(item, rows))
        if rows.notes:
            rejects.append(Rejection(item, "; ".join(rows.notes), PARTIAL))
    return mapped, rejects


def merged(items: Iterable[MappedItem]) -> RowSet:
    """The rows of all ``items`` as one set."""
    rows = RowSet()
    for item in items:
        rows.extend(item.rows)
    return rows


def map_page_each(
    page: Page, mapper: Mapper, now: dt.datetime, redact: Callable[[Any], Any] | None = None
) -> tuple[list[MappedItem], list[Rejection]]:
    """``map_each`` over a fetched page, plus the members the client could not understand.

    ``redact`` (the personal-data policy) rewrites every item, rejected ones too, first.
    """
    redact = redact or (lambda item: item)
    mapped, rejects = map_each([redact(item) for item in page.items], mapper, now)
    return mapped, rejects + page_rejects(page, redact)


def page_rejects(page: Page, redact: Callable[[Any], Any]) -> list[Rejection]:
    """The members of ``page`` the client could not understand, redacted."""
    return [Rejection(redact(r.raw), r.reason) for r in page.rejects]


def map_page(
    page: Page, mapper: Mapper, now: dt.datetime, redact: Callable[[Any], Any] | None = None
) -> tuple[RowSet, list[Rejection]]:
    """``map_page_each`` with the page's rows as one set."""
    mapped, rejects = map_page_each(page, mapper, now, redact)
    return merged(mapped), rejects
