"""Reading API values into column values: timestamps, dates, money, integers, ids, references
and text.

Every reader accepts ``None`` (an absent or null field) and raises ``MappingError`` naming the
field when a value is present but cannot be understood, or cannot be stored exactly — in the
column it goes to, the same on PostgreSQL and SQLite — never a wrong row or a write that
fails. The mapper decides what follows: the item becomes a rejected record (its ``raw`` as
sent), or, for a part of an order, the column is left NULL and the order recorded as partial
(``order_rows``). The rule, per kind:

- money: a decimal (string or number) with at most two decimals that are not zero, below
  10^10 in size (``NUMERIC(12,2)``); ``"12.340"`` is 12.34, ``"12.345"`` is refused;
- integers: whole numbers (``3`` or ``3.0``, never ``3.9`` nor ``true``) within a 32-bit
  ``INTEGER``;
- timestamps: ISO 8601, whole (no trailing text), between 0001-01-02 and 9999-12-30 UTC once
  converted, so that any time zone reading them back stays within years 1 to 9999;
- dates: ISO 8601 dates, or date-times cut to their date (again whole, no trailing text);
- key text (references stored in an index): at most ``MAX_KEY_TEXT`` characters.

Text loses NUL characters, which PostgreSQL cannot store (``db.json_text`` does the same for JSON
values): the one alteration korsync makes, since no database could keep them.
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


# Bounds of a stored timestamp (UTC): a day inside what Python holds, so no time zone's reading
# of it, nor a watermark's overlap taken from it, leaves years 1 to 9999.
MIN_TIMESTAMP = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
MAX_TIMESTAMP = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def timestamp(item: Mapping[str, Any], field: str) -> dt.datetime | None:
    """An ISO 8601 date-time field as an aware UTC datetime (no offset: taken as UTC)."""
    value = item.get(field)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value if type(value) is str else str(value))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        utc = parsed.astimezone(dt.UTC)
    except ValueError:
        raise MappingError(f"{field}: not a date-time: {value!r:.60}") from None
    except OverflowError:
        raise MappingError(f"{field}: date-time out of range: {value!r:.60}") from None
    if not MIN_TIMESTAMP <= utc < MAX_TIMESTAMP:
        raise MappingError(f"{field}: date-time out of range: {value!r:.60}")
    return utc


def date(item: Mapping[str, Any], field: str) -> dt.date | None:
    """A plain date field; a date-time is cut to its date (as written, no conversion)."""
    value = item.get(field)
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise MappingError(f"{field}: not a date: {value!r:.60}") from None


_MONEY_DIGITS = 9  # NUMERIC(12,2): ten digits before the point, so below 10^10
_CENT = Decimal("0.01")


def money(item: Mapping[str, Any], field: str) -> Decimal | None:
    """A decimal-string amount; floats and ints are accepted, anything else refused, and so is
    an amount ``NUMERIC(12,2)`` cannot hold exactly (a third decimal, ten digits or more)."""
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool):
        raise MappingError(f"{field}: not an amount: {value!r}")
    try:
        amount = Decimal(value if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise MappingError(f"{field}: not an amount: {value!r:.60}") from None
    # adjusted(): the power of ten of the first digit; 9 at most below 10^10.
    if not amount.is_finite() or amount.adjusted() > _MONEY_DIGITS:
        raise MappingError(f"{field}: amount out of range: {value!r:.60}")
    if amount.quantize(_CENT) != amount:
        raise MappingError(f"{field}: amount has more than two decimals: {value!r:.60}")
    return amount


INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # INTEGER on PostgreSQL (SQLite holds more)


def integer(item: Mapping[str, Any], field: str) -> int | None:
    """A whole number within a 32-bit ``INTEGER`` (integral strings and floats accepted)."""
    value = item.get(field)
    if value is None:
        return None
    if type(value) is int:  # nearly always
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and "_" not in value:
        try:
            number = int(value)
        except ValueError:
            raise MappingError(f"{field}: not an integer: {value!r:.60}") from None
    else:
        raise MappingError(f"{field}: not an integer: {value!r:.60}")
    if not INT_MIN <= number <= INT_MAX:
        raise MappingError(f"{field}: integer out of range: {value!r:.60}")
    return number


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


MAX_KEY_TEXT = 500  # 4 bytes a character at most: within PostgreSQL's 2,704-byte index rows


def key_text(item: Mapping[str, Any] | None, field: str) -> str | None:
    """``text`` for a column with an index (references, status): at most ``MAX_KEY_TEXT``
    characters."""
    value = text(item, field)
    if value is not None and len(value) > MAX_KEY_TEXT:
        raise MappingError(f"{field}: longer than {MAX_KEY_TEXT} characters: {value!r:.60}")
    return value


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


def ref_parent(item: Mapping[str, Any], field: str, name: str) -> uuid.UUID | None:
    """``ref_parents(item, field).get(name)``, without building the dict (mapping's hot path)."""
    value = item.get(field)
    if isinstance(value, dict):
        value = value.get("@id")
    return jsonld.iri_id_of(value, name) if isinstance(value, str) else None
