"""An older-model session's start (``startsAt``, a name inferred: the docs show none) read into
``sessions.starts_at``: absent, malformed, huge, out of range, or given in another offset."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from korsync.sync import catalogue_rows as cr
from korsync.sync import fields
from korsync.sync.values import MappingError

NOW = dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)
CATALOG, EVENT, SESSION = (uuid.uuid4() for _ in range(3))


def _row(item: dict[str, object]) -> dict[str, object]:
    rows = cr.session_rows(CATALOG, EVENT)({"id": str(SESSION), **item}, NOW).rows["sessions"]
    assert len(rows) == 1
    return rows[0]


def test_the_name_is_declared_as_inferred() -> None:
    """``korsync check --data`` reports the column as a guess to verify on a real account."""
    field = fields.FIELDS["sessions"]["starts_at"]
    assert (field.path, field.evidence) == ("startsAt", "inferred")


def test_a_start_is_stored_in_utc() -> None:
    """A start with any offset is stored as the same instant in UTC (how tickets' occursAt is
    stored, so the two compare equal in slot_sales)."""
    row = _row({"startsAt": "2025-06-03T20:00:00+02:00"})
    assert row["starts_at"] == dt.datetime(2025, 6, 3, 18, tzinfo=dt.UTC)
    assert row["event_id"] == EVENT


@pytest.mark.parametrize("item", [{}, {"startsAt": None}])
def test_no_start_is_null(item: dict[str, object]) -> None:
    """A session without a start keeps the row, start NULL (its slot then matches no sale)."""
    assert _row(item)["starts_at"] is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("tomorrow", "not a date-time"),
        ("2025-06-03T18:00:00+00:00 and more", "not a date-time"),
        ("9" * 100_000, "not a date-time"),
        ("0001-01-01T00:00:00+01:00", "date-time out of range"),
        ("9999-12-31T23:00:00-05:00", "date-time out of range"),
        (1_717_000_000, "not a date-time"),
    ],
)
def test_an_unreadable_start_names_the_field(value: object, reason: str) -> None:
    """Malformed, huge or out-of-range values are refused with a short reason naming
    ``startsAt`` (the session goes to rejected_records with it), never a long echo."""
    with pytest.raises(MappingError, match=f"startsAt: {reason}") as caught:
        _row({"startsAt": value})
    assert len(str(caught.value)) < 120
