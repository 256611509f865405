"""The ``createdAt`` filter format the API accepts, as korsync remembers it.

The first walk that sends one of these filters is itself the probe of the preferred format
(the first of ``korsync.api.filters.CANDIDATES``): answered, the format is kept in
``sync_state`` (stream ``api``, scope ``filter_format``, the cursor naming it) at no extra
request; a backfill, whose failure would cost a run, probes every candidate first. When an
orders request is answered 400 naming the filter, ``walk_with_format`` probes every candidate,
remembers the answer and walks once more with it. A probe that cannot tell remembers nothing.
Accepting only dates is said once in the log, when the probe finds it, and in ``korsync
status``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.api.filters import DEFAULT, TimeFormat, probe_time_format, refuses_filter
from korsync.sync import state
from korsync.sync.mapping import utcnow

STREAM, SCOPE = "api", "filter_format"
T = TypeVar("T")
log = logging.getLogger("korsync.sync")


def remembered(session: Session) -> tuple[TimeFormat, dt.datetime] | None:
    """The accepted format and when it was probed, if a probe has told."""
    saved = state.load(session, STREAM, SCOPE)
    name = (saved.cursor or {}).get("createdAt") if saved else None
    if saved is None or name not in set(TimeFormat):  # nothing, or another version's word
        return None
    return TimeFormat(name), saved.updated_at


def current(sessions: sessionmaker[Session]) -> TimeFormat:
    """The remembered format, or the default when none is (without probing)."""
    with sessions() as session:
        known = remembered(session)
    return known[0] if known else DEFAULT


def probe(client: ApiClient, sessions: sessionmaker[Session]) -> TimeFormat | None:
    """Probe the API now and remember what it accepts; ``None`` (nothing remembered, logged)
    when the probe cannot tell."""
    found = probe_time_format(client, utcnow())
    refused = ", ".join(f.shown for f in found.refused) or "none"
    if found.accepted is None:
        log.warning(
            "could not tell which createdAt filter format the API accepts (%s; refused: %s);"
            " sending %s, and probing again next run",
            found.error,
            refused,
            DEFAULT.shown,
        )
        return None
    remember(sessions, found.accepted, found.refused)
    if found.accepted is TimeFormat.DATE:
        log.warning(
            "the API's createdAt filters accept only a date: orders are re-read a day at a time"
            " (still exact: re-reads are upserts)"
        )
    else:
        log.info("the API's createdAt filters accept a %s", found.accepted.shown)
    return found.accepted


def remember(
    sessions: sessionmaker[Session], accepted: TimeFormat, refused: tuple[TimeFormat, ...] = ()
) -> None:
    """Keep ``accepted`` (and the formats ``refused`` before it) in ``sync_state``."""
    with sessions.begin() as session:
        cursor = {"createdAt": str(accepted), "refused": [str(f) for f in refused]}
        state.save(session, STREAM, SCOPE, cursor=cursor)


def walk_with_format(
    client: ApiClient,
    sessions: sessionmaker[Session],
    walk: Callable[[TimeFormat], T],
    *,
    filtered: bool = True,
    probe_first: bool = False,
) -> T:
    """``walk`` with the remembered format, else the default (or, with ``probe_first``, what a
    probe finds); a ``filtered`` walk that succeeds proves its format, which is remembered.
    When it fails with a 400 naming a ``createdAt`` filter, the API is probed again and, if it
    now accepts another format, ``walk`` runs once more with that one; otherwise the 400 is
    raised."""
    with sessions() as session:
        known = remembered(session)
    found = probe(client, sessions) if known is None and filtered and probe_first else None
    used = known[0] if known else found or DEFAULT
    try:
        result = walk(used)
    except Exception as exc:
        if not refuses_filter(exc):
            raise
        log.warning("the API refused a createdAt filter sent as %s; probing again", used.shown)
        now = probe(client, sessions)
        if now is None or now is used:
            raise
        return walk(now)
    if known is None and found is None and filtered:  # the walk's answers proved the format
        remember(sessions, used)
    return result
