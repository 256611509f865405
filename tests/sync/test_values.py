"""Values are read exactly or refused: what a column cannot hold exactly, the same on both
databases, makes the item a rejected record rather than a silently altered row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from korsync.sync import values as v


@pytest.mark.parametrize(
    ("sent", "read"),
    [("12.34", "12.34"), ("12.340", "12.340"), (12.5, "12.5"), (7, "7"), ("-0.01", "-0.01")],
)
def test_money_with_at_most_two_decimals_is_read_exactly(sent: Any, read: str) -> None:
    """Amounts NUMERIC(12,2) holds exactly are read as they are (trailing zeros included)."""
    assert v.money({"a": sent}, "a") == Decimal(read)


@pytest.mark.parametrize("sent", ["12.345", 0.1 + 0.2, "9999999999.999", "1e10", "NaN", True])
def test_money_numeric_12_2_cannot_hold_exactly_is_refused(sent: Any) -> None:
    """A third decimal, ten integer digits, NaN or a boolean: refused, never rounded."""
    with pytest.raises(v.MappingError, match=r"^a: "):
        v.money({"a": sent}, "a")


@pytest.mark.parametrize(("sent", "read"), [(3, 3), (3.0, 3), ("12", 12), (-(2**31), -(2**31))])
def test_whole_numbers_within_32_bits_are_integers(sent: Any, read: int) -> None:
    """Whole numbers, as numbers or strings, within what INTEGER holds."""
    assert v.integer({"q": sent}, "q") == read


@pytest.mark.parametrize(
    "sent", [3.9, "3.9", True, 2**31, 2**40, "1_000", float("inf"), float("nan"), [1]]
)
def test_other_integers_are_refused(sent: Any) -> None:
    """Not whole, not a number, or beyond 32 bits: refused, never truncated."""
    with pytest.raises(v.MappingError, match=r"^q: "):
        v.integer({"q": sent}, "q")


@pytest.mark.parametrize(
    "sent",
    [
        "9999-12-31T23:00:00-05:00",
        "9999-12-31T00:00:00+00:00",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T12:00:00+00:00",
        "2024-06-14T10:00:00garbage",
        "yesterday",
    ],
)
def test_timestamps_out_of_range_or_malformed_are_refused(sent: str) -> None:
    """Overflowing once in UTC, too near either end of what a datetime holds, or not ISO."""
    with pytest.raises(v.MappingError, match=r"^t: "):
        v.timestamp({"t": sent}, "t")


def test_timestamps_are_converted_to_utc() -> None:
    """An offset is applied; no offset means UTC; the far ends inside the bounds are kept."""
    assert v.timestamp({"t": "2024-06-14T23:30:00-05:00"}, "t") == dt.datetime(
        2024, 6, 15, 4, 30, tzinfo=dt.UTC
    )
    assert v.timestamp({"t": "9999-12-30T23:59:59"}, "t") == dt.datetime(
        9999, 12, 30, 23, 59, 59, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("sent", "read"),
    [("2024-06-14", dt.date(2024, 6, 14)), ("2024-06-14T23:30:00-05:00", dt.date(2024, 6, 14))],
)
def test_dates_and_date_times_give_their_date(sent: str, read: dt.date) -> None:
    """A date, or the date a date-time was written with."""
    assert v.date({"d": sent}, "d") == read


@pytest.mark.parametrize("sent", ["2024-06-14garbage", "2024-06-14 and more", "2024-13-01", 5])
def test_dates_with_anything_else_are_refused(sent: Any) -> None:
    """Trailing text after a date is no date (it used to be cut off and read)."""
    with pytest.raises(v.MappingError, match=r"^d: "):
        v.date({"d": sent}, "d")


def test_key_text_is_bounded_for_its_index() -> None:
    """Text stored in an indexed column is refused beyond ``MAX_KEY_TEXT`` characters."""
    assert v.key_text({"r": "KT-1"}, "r") == "KT-1"
    with pytest.raises(v.MappingError, match=r"^r: longer than"):
        v.key_text({"r": "x" * (v.MAX_KEY_TEXT + 1)}, "r")
