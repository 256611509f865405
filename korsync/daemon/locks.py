"""One daemon per SQLite file: SQLite allows one writer, so ``sqlite_daemon_lock`` holds an
exclusive ``flock`` on a file beside the database for the daemon's life and refuses a second
daemon with a clear message. (One run of a stream at a time, on either database, is
``korsync.db.locks``.)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from sqlalchemy.engine import URL

from korsync.db.locks import lock_file


class DaemonLockError(Exception):
    """Another korsync daemon already runs on this SQLite database; the message says which."""


@contextlib.contextmanager
def sqlite_daemon_lock(url: URL) -> Iterator[None]:
    """Hold the SQLite database's daemon lock; ``DaemonLockError`` if another daemon has it."""
    path = lock_file(url, "daemon")
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
