"""Who may run what: one run of a stream at a time across daemons, one daemon per SQLite file.

On PostgreSQL, ``stream_lock`` takes a session-level ``pg_try_advisory_lock`` on a connection of
its own, held for the whole run and released afterwards (or by the server, should the
connection or the process die). The key is a hash of the database, the schema and the stream,
so accounts kept in different schemas or databases of one server never block each other. A
lock already taken means another daemon is running that stream: the caller skips the run.
SQLite allows one writer, so instead ``sqlite_daemon_lock`` holds an exclusive ``flock`` on a
file beside the database for the daemon's life and refuses a second daemon with a clear message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL

log = logging.getLogger("korsync.daemon.locks")


class DaemonLockError(Exception):
    """Another korsync daemon already runs on this SQLite database; the message says which."""


def lock_key(namespace: str, stream: str) -> int:
    """The signed 64-bit advisory-lock key of ``stream`` in ``namespace`` (database.schema)."""
    digest = hashlib.blake2b(f"korsync:{namespace}:{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def stream_lock(engine: Engine, stream: str) -> Iterator[bool]:
    """Yield whether this process may run ``stream`` now; always ``True`` off PostgreSQL.

    Connection errors while taking the lock propagate (the run cannot happen anyway).
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        namespace = connection.scalar(text("SELECT current_database() || '.' || current_schema()"))
        key = lock_key(str(namespace), stream)
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
        try:
            yield held
        finally:
            if held:
                _unlock(connection, key, stream)


def _unlock(connection: Connection, key: int, stream: str) -> None:
    """Release the lock; if that fails, drop the connection, which releases it server-side."""
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except Exception as exc:
        log.debug("%s: unlocking failed (%s); discarding the connection", stream, exc)
        connection.invalidate()


def sqlite_lock_path(url: URL) -> Path | None:
    """The lock file of a SQLite database file, or ``None`` (another dialect, in memory)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        return None
    path = Path(database.removeprefix("file:")).resolve()
    return path.with_name(path.name + ".korsync-daemon")


@contextlib.contextmanager
def sqlite_daemon_lock(url: URL) -> Iterator[None]:
    """Hold the SQLite database's daemon lock; ``DaemonLockError`` if another daemon has it."""
    path = sqlite_lock_path(url)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise DaemonLockError(
                f"another korsync daemon (pid {holder}) is already running on "
                f"{path.with_name(path.name.removesuffix('.korsync-daemon'))}; SQLite has one "
                "writer, so stop that daemon first, or use PostgreSQL to run several"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
