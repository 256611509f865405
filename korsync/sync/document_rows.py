"""How an order's document becomes a row: its metadata (when it can be downloaded, when that was
read) under the order that lists it. The file itself is never stored. A document's id is its
``id``, else the UUID ending its ``@id`` (path or absolute URL); one with neither is refused."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from korsync.sync import values as v
from korsync.sync.mapping import Mapper
from korsync.sync.rowset import RowSet


def document_rows(order_id: uuid.UUID) -> Mapper:
    """A mapper for the documents of ``order_id``."""

    def rows(item: Mapping[str, Any], now: dt.datetime) -> RowSet:
        rowset = RowSet()
        rowset.add(
            "order_documents",
            {
                "id": v.jsonld_id(item) or v.item_id(item),
                "order_id": order_id,
                "downloadable_at": v.timestamp(item, "downloadableAt"),
                "metadata_read_at": now,
                "raw": dict(item),
                "synced_at": now,
            },
        )
        return rowset

    return rows
