"""The command line's own value types: a moment in time as people write one (an ISO 8601 date or
date-time, with or without offset — UTC when none — or a span ago such as ``30d``, ``12h``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import click

_AGO = re.compile(r"(\d{1,6})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


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
            return dt.datetime.now(dt.UTC).replace(microsecond=0) - span
        try:
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
