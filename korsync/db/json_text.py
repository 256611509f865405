"""JSON as both databases take it: aware datetimes as ISO text, other values as their text, and
no NUL character anywhere (PostgreSQL's jsonb refuses it, so neither database stores it)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

# A ``\u0000`` escape in JSON text that is not itself escaped: an even run of backslashes before.
_ESCAPED_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; korsync stores UTC only")
        return value.isoformat()
    return str(value)  # UUID, date, Decimal: their text is what PostgreSQL parses


def json_text(value: Any) -> str:
    """``value`` as JSON text for the database, NUL characters removed from every string.

    PostgreSQL's jsonb refuses NUL, so both databases store JSON without it. Cleaning the
    encoded text costs one substring search when there is none (almost always), much less
    than walking every value in Python.
    """
    return without_nul(json.dumps(value, default=json_value))


def without_nul(encoded: str) -> str:
    return _ESCAPED_NUL.sub(r"\1", encoded) if "\\u0000" in encoded else encoded
