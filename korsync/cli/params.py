"""The command line's own value types: a moment in time as people write one (an ISO 8601 date or
date-time, with or without offset — UTC when none — or a span ago such as ``30d``, ``12h``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click

_AGO = re.compile(r"(\d{1,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MAX_CHARS = 35  # 2026-03-01T12:00:00.123456+01:00 is 32


class Moment(click.ParamType):  # type: ignore[type-arg]  # generic in new clicks only
    """An aware UTC datetime; the error names the option and the forms it takes."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        text = str(value).strip()
        ago = _AGO.fullmatch(text)
        if ago:
            span = dt.timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
            try:
                return dt.datetime.now(dt.UTC).replace(microsecond=0) - span
            except OverflowError:
                self.fail(f"{text!r} reaches back before year 1", param, ctx)
        try:
            # Longer than any ISO 8601 date-time: fromisoformat would read a prefix of it.
            if len(text) > MAX_CHARS:
                raise ValueError(text)
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{text[:40]!r} is not a date: use 2026-03-01, 2026-03-01T12:00:00+01:00"
                " (UTC without an offset) or a span ago such as 30d, 12h, 45m",
                param,
                ctx,
            )
        return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


MOMENT = Moment()
