"""Helpers for daemon tests: ``korsync run`` as a real process with short intervals, a notify
socket standing in for systemd, deadline-bounded polling, and the runs a database recorded."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from korsync.fake_api import SimConfig, Simulator
from korsync.models import SyncRun

T = TypeVar("T")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
FAST = {  # seconds between runs: a few cycles in a few seconds
    "KORSYNC_ORDERS_INTERVAL": "0.5",
    "KORSYNC_RECONCILE_INTERVAL": "1",
    "KORSYNC_DOCUMENTS_INTERVAL": "1",
    "KORSYNC_RESERVATIONS_INTERVAL": "1",
    "KORSYNC_CATALOGUE_INTERVAL": "30",
    "KORSYNC_RATE_LIMIT": "2000",
    "KORSYNC_DB_RETRY_MAX": "1",
}


def wait_for(check: Callable[[], T | Literal[False] | None], what: str, timeout: float = 30.0) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def make_sim(**config: Any) -> Simulator:
    """A small simulator whose clock stands still an hour ago."""
    defaults: dict[str, Any] = {
        "seed": 6,
        "orders": 60,
        "catalogs": 1,
        "now": NOW,
        "clock_running": False,
    }
    return Simulator(SimConfig(**{**defaults, **config}))


class NotifySocket:
    """An ``AF_UNIX`` datagram socket standing in for systemd's ``$NOTIFY_SOCKET``."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="ksn")  # short: socket paths are limited to 108
        self.path = str(Path(self._dir) / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Drain the socket as systemd would, so the daemon never waits on us."""
        while True:
            try:
                datagram = self.sock.recv(4096)
            except OSError:
                return
            self.received += datagram.decode().splitlines()

    def messages(self) -> list[str]:
        """Every ``KEY=value`` line received so far, in order."""
        return list(self.received)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._reader.join(5)
        Path(self.path).unlink(missing_ok=True)
        Path(self._dir).rmdir()


class Daemon:
    """A ``korsync run`` process, its stderr kept in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "korsync", "run"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; the exit status and how long the exit took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def runs(engine: Engine, stream: str | None = None) -> list[SyncRun]:
    """Every recorded run (of ``stream``), oldest first."""
    query = select(SyncRun).order_by(SyncRun.started_at)
    if stream is not None:
        query = query.where(SyncRun.stream == stream)
    with Session(engine) as session:
        return list(session.scalars(query))


def succeeded(engine: Engine, stream: str) -> int:
    """How many runs of ``stream`` succeeded; a row standing for a streak of idle runs
    (``korsync.sync.run_records``) counts each of them."""
    return sum(
        (run.details or {}).get("idle_runs", 1)
        for run in runs(engine, stream)
        if run.status == "succeeded"
    )
