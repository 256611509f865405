"""Fixtures for daemon tests: a simulator on a loopback port, ``korsync run`` as a real process
with short intervals, and a notify socket standing in for systemd."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from korsync.db.engine import make_engine
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import Simulator, serve
from tests.support.daemon import FAST, Daemon, NotifySocket, make_sim


@pytest.fixture
def sim() -> Simulator:
    """A small simulator."""
    return make_sim()


@pytest.fixture
def sim_url(sim: Simulator) -> Iterator[str]:
    """The simulator served over HTTP on a loopback port."""
    with serve(sim) as base_url:
        yield base_url


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    """A notify socket for one test."""
    listener = NotifySocket()
    yield listener
    listener.close()


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start ``korsync run`` processes (killed at teardown if still running)."""
    started: list[Daemon] = []

    def start(database_url: str, api_url: str, token: str, **env: str | None) -> Daemon:
        """``env`` adds variables; a ``None`` value removes one (e.g. a fast interval)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("KORSYNC_", "NOTIFY_"))}
        for name in ("WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"):
            base.pop(name, None)
        full: dict[str, str | None] = {
            **base,
            **FAST,
            "KORSYNC_DATABASE_URL": database_url,
            "KORSYNC_API_URL": api_url,
            "KORSYNC_API_TOKEN": token,
            **env,
        }
        given = {name: value for name, value in full.items() if value is not None}
        daemon = Daemon(given, tmp_path / f"daemon-{len(started)}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated SQLite database: its URL and an engine on it."""
    url = f"sqlite:///{tmp_path / 'korsync.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    yield url, engine
    engine.dispose()
