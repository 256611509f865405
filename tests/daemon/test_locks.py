"""The daemon's locks: one daemon per SQLite file, one holder per stream's advisory lock on
PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from korsync.daemon.locks import DaemonLockError, sqlite_daemon_lock
from korsync.db.engine import make_engine
from korsync.db.locks import lock_key, stream_lock


def test_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    """The SQLite daemon lock is exclusive, names the holder's pid, and is free again after."""
    url = make_engine(f"sqlite:///{tmp_path / 'k.db'}").url
    refused = pytest.raises(DaemonLockError, match=rf"pid {os.getpid()}\).*k\.db.*PostgreSQL")
    with sqlite_daemon_lock(url), refused, sqlite_daemon_lock(url):
        pass
    with sqlite_daemon_lock(url):
        pass


def test_advisory_lock_admits_one_holder_per_stream(pg_engine: Engine) -> None:
    """Per stream, one connection at a time holds the lock; other streams are independent."""
    other = make_engine(pg_engine.url)
    try:
        with (
            stream_lock(pg_engine, "orders") as first,
            stream_lock(other, "orders") as second,
            stream_lock(other, "reconcile") as third,
        ):
            assert (first, second, third) == (True, False, True)
        with stream_lock(other, "orders") as again:
            assert again
    finally:
        other.dispose()
    assert lock_key("db.a", "orders") != lock_key("db.b", "orders")


@pytest.fixture
def two_engines(engine: Engine) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database (SQLite file, PostgreSQL), standing for two processes."""
    theirs = make_engine(engine.url)
    yield engine, theirs
    theirs.dispose()


def test_a_lock_released_within_the_wait_is_taken(two_engines: tuple[Engine, Engine]) -> None:
    """``wait`` polls: a holder letting go half a second later hands the lock over."""
    ours, theirs = two_engines
    holder = contextlib.ExitStack()
    assert holder.enter_context(stream_lock(theirs, "orders"))
    release = threading.Timer(0.5, holder.close)
    release.start()
    try:
        with stream_lock(ours, "orders", wait=30) as held:
            assert held
    finally:
        release.join()


def test_a_lock_kept_past_the_wait_is_not_taken(two_engines: tuple[Engine, Engine]) -> None:
    """Held for the whole wait, the lock is refused after it, as without a wait."""
    ours, theirs = two_engines
    with stream_lock(theirs, "orders") as theirs_held, stream_lock(ours, "orders", 0.3) as held:
        assert (theirs_held, held) == (True, False)
