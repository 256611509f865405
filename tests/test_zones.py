"""``KORSYNC_REPORTING_TIMEZONE`` and the UTC offset periods korsync stores for SQLite's views."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from korsync.config import SettingsError, load_settings
from korsync.zones import EARLIEST, FIRST, LAST, check_zone, zone_offsets


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KORSYNC_REPORTING_TIMEZONE", "KORSYNC_ENV_FILE", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)


def test_unset_means_utc() -> None:
    """Without the variable the views count UTC days, as before it existed."""
    assert load_settings().reporting_timezone == "UTC"


def test_an_iana_name_is_taken_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """A zone name such as Europe/Paris is the setting."""
    monkeypatch.setenv("KORSYNC_REPORTING_TIMEZONE", "Europe/Paris")
    assert load_settings().reporting_timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "value",
    [
        "",  # empty
        "Europe/Pariss",  # misspelt
        "europe/paris",  # zone names are case-sensitive files
        "+02:00",  # an offset is not a zone: it has no daylight-saving rules
        "UTC+2",
        "CET ",  # trailing space
        "x" * 100_000,  # huge
        "/etc/passwd",  # pointing elsewhere on the disk
        "../../../etc/passwd",
        "/usr/share/zoneinfo/Europe/Paris",
        "localtime",  # a file in the zone folder, not a zone
    ],
)
def test_anything_but_a_zone_name_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A value that is not an IANA zone name is one error line naming the variable; a huge one
    is not echoed back."""
    monkeypatch.setenv("KORSYNC_REPORTING_TIMEZONE", value)
    with pytest.raises(SettingsError, match=r"KORSYNC_REPORTING_TIMEZONE: .*time zone") as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300


def test_a_name_with_a_control_character_is_refused() -> None:
    """A NUL (which no environment variable can carry, but an env file line might) is refused."""
    with pytest.raises(ValueError, match="not an IANA time zone name"):
        check_zone("Europe/Paris\x00")


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Santiago", "Australia/Lord_Howe"])
def test_offset_periods_agree_with_zoneinfo(name: str) -> None:
    """At every period's start, just before it, and at noon of each day checked, the stored
    offset is the zone's own; the first period covers everything before 1970."""
    periods = zone_offsets(name)
    zone = zoneinfo.ZoneInfo(name)

    def stored(at: dt.datetime) -> int:
        return [minutes for starts, minutes in periods if starts <= at][-1]

    def actual(at: dt.datetime) -> int:
        offset = at.astimezone(zone).utcoffset()
        assert offset is not None
        return int(offset.total_seconds() // 60)

    assert periods[0][0] == EARLIEST and periods[0][1] == actual(FIRST)
    for starts, _minutes in periods[1:]:
        assert stored(starts) == actual(starts)
        assert stored(starts - dt.timedelta(seconds=1)) == actual(starts - dt.timedelta(seconds=1))
    at = FIRST
    while at < LAST:
        assert stored(at) == actual(at), at
        at += dt.timedelta(days=13, hours=5)
    assert len(periods) > 50  # each of these zones changed offset at least twice a year a while


def test_utc_has_one_period() -> None:
    """UTC never changes: one row, offset 0."""
    assert zone_offsets("UTC") == [(EARLIEST, 0)]
