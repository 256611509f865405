"""Reading API values into column values: timestamps, dates, money, ids, references and text.

Every reader accepts ``None`` (an absent or null field) and raises ``MappingError`` naming the
field when a value is present but cannot be understood; the item then becomes a rejected
record instead of a wrong row. Text loses NUL characters, which PostgreSQL cannot store
(``db.json_text`` does the same for JSON values).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from korsync.api import jsonld


class MappingError(ValueError):
    """An item cannot be turned into rows; the message says which field and why."""


def timestamp(item: Mapping[str, Any], field: str) -> dt.datetime | None:
    """An ISO 8601 date-time field as an aware UTC datetime (no offset: taken as UTC)."""
    value = item.get(field)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise MappingError(f"{field}: not a date-time: {value!r:.60}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def date(item: Mapping[str, Any], field: str) -> dt.date | None:
    """A plain date field (a date-time is cut to its date)."""
    value = item.get(field)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise MappingError(f"{field}: not a date: {value!r:.60}") from None


_MONEY_LIMIT = Decimal("1e10")


def money(item: Mapping[str, Any], field: str) -> Decimal | None:
    """A decimal-string amount; floats and ints are accepted, anything else refused."""
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool):
        raise MappingError(f"{field}: not an amount: {value!r}")
    try:
        amount = Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise MappingError(f"{field}: not an amount: {value!r:.60}") from None
    if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
        raise MappingError(f"{field}: amount out of range: {value!r:.60}")
    return amount


def integer(item: Mapping[str, Any], field: str) -> int | None:
    """An integer field (integral strings accepted)."""
    value = item.get(field)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MappingError(f"{field}: not an integer: {value!r:.60}") from None


def boolean(item: Mapping[str, Any], field: str) -> bool | None:
    """A boolean field; anything but true/false/null is refused."""
    value = item.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise MappingError(f"{field}: not a boolean: {value!r:.60}")


def text(item: Mapping[str, Any] | None, field: str) -> str | None:
    """A text field; numbers are kept as their text, NUL characters removed."""
    if item is None:
        return None
    value = item.get(field)
    if value is None:
        return None
    if type(value) is str:  # nearly always: no conversion, no other checks
        return value.replace("\x00", "")
    if isinstance(value, dict | list):
        raise MappingError(f"{field}: expected text, got a JSON {type(value).__name__}")
    return str(value).replace("\x00", "")


def item_id(item: Mapping[str, Any], field: str = "id") -> uuid.UUID:
    """The item's own UUID (required)."""
    value = jsonld.as_uuid(item.get(field))
    if value is None:
        raise MappingError(f"{field}: missing or not a UUID: {item.get(field)!r:.60}")
    return value


def jsonld_id(item: Mapping[str, Any]) -> uuid.UUID | None:
    """The item's ``id``, else the UUID ending its ``@id``, else ``None``."""
    return jsonld.as_uuid(item.get("id")) or jsonld.iri_id(item.get("@id"))


@functools.cache
def snake(name: str) -> str:
    """``amountInclTax`` → ``amount_incl_tax``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def ref(item: Mapping[str, Any], field: str) -> uuid.UUID | None:
    """The id a reference points at: an IRI string, or an embedded object with ``@id``/``id``."""
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, dict):
        return jsonld.as_uuid(value.get("id")) or jsonld.iri_id(value.get("@id"))
    parsed = jsonld.iri_id(value)
    if parsed is None:
        raise MappingError(f"{field}: not a reference: {value!r:.80}")
    return parsed


def ref_parents(item: Mapping[str, Any], field: str) -> dict[str, uuid.UUID]:
    """The ids along a reference's IRI path, e.g. ``{"catalog": …, "product": …}``."""
    value = item.get(field)
    if isinstance(value, dict):
        value = value.get("@id")
    return jsonld.iri_ids(value) if isinstance(value, str) else {}
