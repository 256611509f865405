"""The declarative base, stable constraint names, and the columns every mirrored row shares.

``MirrorColumns`` is what each API resource's table carries besides its own fields: the ``raw``
JSON of the item as the API sent it (so no upstream field is lost) and ``synced_at``.
``CatalogueColumns`` adds ``deleted_at`` for rows that a complete refresh no longer returns.
A row whose ``raw`` is NULL is a placeholder: something referenced it before its own stream
mirrored it (see ``korsync.db.upsert.ensure_rows``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from korsync.models.types import JSONDoc, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every korsync table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONDoc,
    }


class MirrorColumns:
    """Columns of every row mirrored from the API."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, sort_order=-100)
    raw: Mapped[dict[str, Any] | None] = mapped_column(
        JSONDoc, comment="The item as the API sent it"
    )
    synced_at: Mapped[dt.datetime | None] = mapped_column(
        sort_order=100, comment="When korsync last wrote this row's content (UTC)"
    )


class CatalogueColumns(MirrorColumns):
    """Mirrored catalogue rows, which can vanish upstream."""

    deleted_at: Mapped[dt.datetime | None] = mapped_column(
        sort_order=100, comment="Set when a complete refresh no longer returned the row"
    )


def parent_fk(target: str, *, cascade: bool = False) -> Any:
    """A nullable, indexed foreign key to ``target``; ``cascade`` for rows embedded in a parent."""
    return mapped_column(
        ForeignKey(target, ondelete="CASCADE" if cascade else None), index=True, nullable=True
    )
