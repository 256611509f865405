"""Column types that behave the same on PostgreSQL and SQLite.

``UTCDateTime`` stores aware datetimes as UTC (``timestamptz`` on PostgreSQL) and always hands
back aware UTC values, even from SQLite which keeps no offset. ``Money`` is ``NUMERIC(12,2)`` and
always yields ``Decimal`` with two places. ``JSONDoc`` is ``JSONB`` on PostgreSQL and JSON text
elsewhere.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Dialect, Integer, Numeric, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime normalised to UTC on the way in and out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; korsync stores UTC only")
        value = value.astimezone(dt.UTC)
        # SQLite has no timezone type: store naive UTC text that sorts correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Money(TypeDecorator[Decimal]):
    """An amount of money: ``NUMERIC(12,2)``, read back as a two-place ``Decimal``."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        # SQLite's driver has no Decimal; numeric text keeps exact cents and NUMERIC affinity.
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value: Decimal | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(CENT)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(CENT)


JSONDoc = JSON().with_variant(JSONB(), "postgresql")


# korsync's column types, most specific first: the PostgreSQL name that the batch upsert casts
# JSON fields to, and the name the schema docs show.
SQL_TYPES: tuple[tuple[type[Any], str, str], ...] = (
    (UTCDateTime, "timestamptz", "timestamptz (UTC)"),
    (Money, "numeric", "numeric(12,2)"),
    (Uuid, "uuid", "uuid"),
    (JSON, "jsonb", "jsonb"),
    (Boolean, "boolean", "boolean"),
    (Integer, "integer", "integer"),
    (Date, "date", "date"),
    (String, "text", "text"),
)


def pg_type(kind: TypeEngine[Any]) -> str:
    """The PostgreSQL type name of a column type korsync uses."""
    return next(name for cls, name, _doc in SQL_TYPES if isinstance(kind, cls))


def doc_type(kind: TypeEngine[Any]) -> str:
    """How the schema docs name a column type."""
    return next((doc for cls, _pg, doc in SQL_TYPES if isinstance(kind, cls)), str(kind).lower())
