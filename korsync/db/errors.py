"""How an error is described wherever korsync shows or stores it (logs, ``sync_runs.error``,
``korsync status``, ``STATUS=``): one line, and for a database error only the server's first
line — its ``DETAIL`` (``Failing row contains (…)``, ``Key (…)=(…)``) and the statement's
parameters can hold customers' data."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

MAX_CHARS = 300


def describe(error: BaseException | str) -> str:
    """``Kind: first line`` of ``error``, at most ``MAX_CHARS`` characters."""
    if isinstance(error, str):
        return _first_line(error, "error")
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    return f"{type(error).__name__}: {_first_line(str(error), 'no detail')}"[:MAX_CHARS]


def _first_line(text: str, empty: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:MAX_CHARS] if lines else empty
