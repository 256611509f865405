"""Turning fetched items into rows: the ``Mapper`` type every ``*_rows`` function has, mapping a
list of items or a fetched page with each item the mapper refuses kept as a ``Rejection``, and
``utcnow``, the time a mapping stamps on its rows."""

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


@dataclasses.dataclass(frozen=True)
class Rejection:
    """An item that could not be mirrored, with why."""

    raw: Any
    reason: str

    @property
    def key(self) -> str:
        if isinstance(self.raw, Mapping) and isinstance(self.raw.get("id"), str | int):
            return str(self.raw["id"])
        payload = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return "sha256:" + hashlib.sha256(payload).hexdigest()


def map_items(
    items: Iterable[Any], mapper: Mapper, now: dt.datetime
) -> tuple[RowSet, list[Rejection]]:
    """Rows for every item ``mapper`` understands, and a rejection for each it does not."""
    rows, rejects = RowSet(), []
    for item in items:
        try:
            rows.extend(mapper(item, now))
        except MappingError as exc:
            rejects.append(Rejection(item, str(exc)))
    return rows, rejects


def map_page(
    page: Page, mapper: Mapper, now: dt.datetime, redact: Callable[[Any], Any] | None = None
) -> tuple[RowSet, list[Rejection]]:
    """``map_items`` over a fetched page, plus the members the client could not understand.

    ``redact`` (the personal-data policy) rewrites every item, rejected ones too, first.
    """
    redact = redact or (lambda item: item)
    rows, rejects = map_items([redact(item) for item in page.items], mapper, now)
    rejects += [Rejection(redact(r.raw), r.reason) for r in page.rejects]
    return rows, rejects
