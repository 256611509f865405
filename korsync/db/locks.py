"""One writer per stream, whoever starts it (the daemon, ``korsync sync``, ``korsync backfill``).

On PostgreSQL, ``stream_lock`` takes a session-level ``pg_try_advisory_lock`` on a connection of
its own, held for the whole run and released afterwards (or by the server, should the
connection or the process die). The key is a hash of the database, the schema and the stream,
so accounts kept in different schemas or databases of one server never block each other. On a
SQLite file it holds an exclusive ``flock`` on ``<database>.korsync-locks/<stream>`` (released
by the kernel when the process dies). A caller that needs another stream's lock besides its own
(the audit, the orders stream's) may wait for it a little, polling, rather than give up at once.
Holding a stream's lock also proves that a run of it still recorded ``running`` belongs to a
process that is gone.

``AdvisoryLocks`` holds several such locks, shared or exclusive, on one connection of its own,
for work that several processes share (a backfill's participants and the slices each claims).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

log = logging.getLogger("korsync.locks")


def lock_key(namespace: str, stream: str) -> int:
    """The signed 64-bit advisory-lock key of ``stream`` in ``namespace`` (database.schema)."""
    digest = hashlib.blake2b(f"korsync:{namespace}:{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_file(url: URL, name: str) -> Path | None:
    """The lock file ``name`` of a SQLite database file, or ``None`` (another dialect, memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    path = Path(database.removeprefix("file:")).resolve()
    return path.with_name(f"{path.name}.korsync-{name}")


POLL_S = 0.1  # between tries while waiting for a lock


@contextlib.contextmanager
def stream_lock(engine: Engine, stream: str, wait: float = 0.0) -> Iterator[bool]:
    """Yield whether this process took ``stream``'s lock (``False``: another process had it
    for the whole of ``wait`` seconds).

    Connection errors while taking the lock propagate (the run cannot happen anyway).
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, stream, wait) as held:
            yield held
        return
    folder = lock_file(engine.url, "locks")
    if folder is None:
        yield True
        return
    folder.mkdir(mode=0o700, exist_ok=True)  # one entry beside the database, not one per stream
    with _file_lock(folder / stream, wait) as held:
        yield held


def poll(take: Callable[[], bool], wait: float) -> bool:
    """Try ``take`` until it succeeds or ``wait`` seconds have passed (at least once)."""
    deadline = time.monotonic() + wait
    while not take():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True


@contextlib.contextmanager
def _advisory_lock(engine: Engine, stream: str, wait: float) -> Iterator[bool]:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        namespace = connection.scalar(text("SELECT current_database() || '.' || current_schema()"))
        key = lock_key(str(namespace), stream)

        take = text("SELECT pg_try_advisory_lock(:key)")
        held = poll(lambda: bool(connection.scalar(take, {"key": key})), wait)
        try:
            yield held
        finally:
            if held:
                _unlock(connection, key, stream)


class AdvisoryLocks:
    """Session-level advisory locks of one namespace (database.schema) held on one connection
    of their own, opened on first use; thread-safe. The server releases them all when the
    connection or the process dies, which is what lets another process take the work over.
    Off PostgreSQL every lock is granted: SQLite has one writer, kept by ``stream_lock``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mutex = threading.Lock()
        self._connection: Connection | None = None
        self._namespace = ""

    def try_lock(self, name: str, *, shared: bool = False) -> bool:
        """Take ``name``'s lock now if no other session holds it (in a conflicting mode)."""
        function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
        return self._call(function, name)

    def lock(self, name: str, *, shared: bool = False) -> None:
        """Take ``name``'s lock, waiting for whoever holds it in a conflicting mode."""
        self._call("pg_advisory_lock_shared" if shared else "pg_advisory_lock", name)

    def unlock(self, name: str, *, shared: bool = False) -> None:
        """Release one hold of ``name``'s lock taken by this object."""
        self._call("pg_advisory_unlock_shared" if shared else "pg_advisory_unlock", name)

    def _call(self, function: str, name: str) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        with self._mutex:
            connection = self._open()
            key = lock_key(self._namespace, name)
            result = connection.scalar(text(f"SELECT {function}(:key)"), {"key": key})
        return result is not False  # pg_advisory_lock returns void (None)

    def _open(self) -> Connection:
        if self._connection is None:
            connection = self.engine.connect()
            connection.execution_options(isolation_level="AUTOCOMMIT")
            found = connection.scalar(text("SELECT current_database() || '.' || current_schema()"))
            self._connection, self._namespace = connection, str(found)
        return self._connection

    def close(self) -> None:
        """Release every lock held (by closing the connection; the server drops them)."""
        with self._mutex:
            if self._connection is not None:
                self._connection.invalidate()  # never back to the pool with locks held
                self._connection.close()
                self._connection = None


def _unlock(connection: Connection, key: int, stream: str) -> None:
    """Release the lock; if that fails, drop the connection, which releases it server-side."""
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except Exception as exc:
        log.debug("%s: unlocking failed (%s); discarding the connection", stream, exc)
        connection.invalidate()


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def take() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        yield poll(take, wait)
    finally:
        os.close(fd)  # releases the lock
