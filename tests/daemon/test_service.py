"""``korsync run`` as a real process against the simulator on a loopback port: cycles, systemd
notifications, SIGTERM, one daemon per SQLite file, two daemons on one PostgreSQL, and a
database that is down at start and lost mid-way."""

from __future__ import annotations

import contextlib
import itertools
import json
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from korsync.db.engine import make_engine
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import Simulator, serve
from korsync.models import Order
from korsync.sync.streams import STREAMS
from tests.support.daemon import Daemon, NotifySocket, make_sim, runs, succeeded, wait_for

pytestmark = pytest.mark.slow
Start = Callable[..., Daemon]


@pytest.fixture
def pg_db(scratch_postgres: str) -> Iterator[tuple[str, Engine]]:
    """A migrated PostgreSQL schema of its own: its URL and an engine on it."""
    engine = make_engine(scratch_postgres)
    upgrade_to_head(engine)
    yield scratch_postgres, engine
    engine.dispose()


def _every_stream_succeeded(engine: Engine, orders: int) -> bool:
    return succeeded(engine, "orders") >= orders and all(
        succeeded(engine, recorded) for recorded in STREAMS
    )


def test_run_syncs_in_cycles_notifies_systemd_and_stops_cleanly_on_sigterm(
    sqlite_db: tuple[str, Engine],
    sim: Simulator,
    sim_url: str,
    start_daemon: Start,
    notify_socket: NotifySocket,
) -> None:
    """A daemon syncs in cycles, notifies systemd, logs JSON and exits 0 within 10 s of SIGTERM."""
    url, engine = sqlite_db
    daemon = start_daemon(
        url, sim_url, sim.token, NOTIFY_SOCKET=notify_socket.path, WATCHDOG_USEC="1000000",
        KORSYNC_LOG_FORMAT="json",
    )  # fmt: skip
    wait_for(lambda: "READY=1" in notify_socket.messages(), "READY=1")
    wait_for(lambda: _every_stream_succeeded(engine, orders=3), "3 orders runs and every stream")
    wait_for(lambda: "WATCHDOG=1" in notify_socket.messages(), "a watchdog ping")
    wait_for(
        lambda: any(m.startswith("STATUS=orders succeeded at ") for m in notify_socket.messages()),
        "STATUS= with the last result",
    )
    code, took = daemon.stop()
    assert code == 0 and took < 10, daemon.stderr()[-2000:]
    messages = notify_socket.messages()
    assert messages[-2:] == ["STOPPING=1", "STATUS=stopping"]
    with Session(engine) as session:
        assert (session.scalar(select(func.count()).select_from(Order)) or 0) > 0
    assert not [run for run in runs(engine) if run.status in ("running", "failed")]
    lines = daemon.stderr().splitlines()
    assert lines and all(json.loads(line)["level"] for line in lines)
    assert sim.token not in daemon.stderr()


def test_sighup_reloads_the_settings_and_keeps_them_when_invalid(
    sqlite_db: tuple[str, Engine],
    sim: Simulator,
    sim_url: str,
    start_daemon: Start,
    notify_socket: NotifySocket,
    tmp_path: Path,
) -> None:
    """SIGHUP re-reads the env file (new intervals apply); a bad file keeps the old settings."""
    url, _ = sqlite_db
    env_file = tmp_path / "korsync.env"
    env_file.write_text("KORSYNC_ORDERS_INTERVAL=2\n")
    daemon = start_daemon(
        url, sim_url, sim.token, NOTIFY_SOCKET=notify_socket.path,
        KORSYNC_ENV_FILE=str(env_file), KORSYNC_ORDERS_INTERVAL=None,
    )  # fmt: skip
    wait_for(lambda: "orders: every 2s" in daemon.stderr(), "the interval from the env file")
    wait_for(lambda: "READY=1" in notify_socket.messages(), "READY=1")
    env_file.write_text("KORSYNC_ORDERS_INTERVAL=3\n")
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "orders: now every 3s" in daemon.stderr(), "the new interval")
    assert "RELOADING=1" in notify_socket.messages()
    env_file.write_text("KORSYNC_ORDERS_INTERVAL=soon\n")
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed, keeping the current settings" in daemon.stderr(), "refusal")
    assert "KORSYNC_ORDERS_INTERVAL" in daemon.stderr() and daemon.process.poll() is None
    assert daemon.stop()[0] == 0


def test_a_second_daemon_on_the_same_sqlite_database_is_refused(
    sqlite_db: tuple[str, Engine],
    sim: Simulator,
    sim_url: str,
    start_daemon: Start,
    notify_socket: NotifySocket,
) -> None:
    """While one daemon runs on a SQLite file, a second exits 1 naming the first one's pid."""
    url, _ = sqlite_db
    first = start_daemon(url, sim_url, sim.token, NOTIFY_SOCKET=notify_socket.path)
    wait_for(lambda: "READY=1" in notify_socket.messages(), "the first daemon's READY=1")
    second = start_daemon(url, sim_url, sim.token)
    assert second.process.wait(timeout=30) == 1
    assert f"another korsync daemon (pid {first.process.pid}) is already running" in (
        second.stderr()
    )
    assert first.process.poll() is None
    assert first.stop()[0] == 0


def test_two_daemons_on_one_postgres_never_run_a_stream_at_once(
    pg_db: tuple[str, Engine], start_daemon: Start
) -> None:
    """Two daemons share the work of one PostgreSQL: runs of a stream never overlap in time."""
    url, engine = pg_db
    sim = make_sim(latency_ms=5)  # runs long enough for the daemons to contend
    with serve(sim) as base_url:
        daemons = [start_daemon(url, base_url, sim.token) for _ in range(2)]
        wait_for(lambda: _every_stream_succeeded(engine, orders=6), "6 orders runs", timeout=120)
        assert [daemon.stop()[0] for daemon in daemons] == [0, 0]
    for recorded in STREAMS:
        spans = [(run.started_at, run.finished_at) for run in runs(engine, recorded)]
        assert all(finished is not None for _, finished in spans)
        for (_, finished), (started, _) in itertools.pairwise(spans):
            assert finished is not None and finished <= started, (
                f"{recorded}: runs overlap: {spans}"
            )
    for daemon in daemons:
        assert "run started" in daemon.stderr(), "each daemon took part"


class Proxy:
    """A TCP forwarder on a port of its own to PostgreSQL: nothing listens until ``up``, and
    ``down`` closes the listener and every forwarded connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def up(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def down(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would leave the
            # old listener accepting in the background.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        for connection in self._open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self._open.clear()


def test_database_down_at_start_then_up_then_lost_and_back(
    pg_db: tuple[str, Engine],
    sim: Simulator,
    sim_url: str,
    start_daemon: Start,
    notify_socket: NotifySocket,
) -> None:
    """An unreachable database is retried until up (READY only then); runs survive an outage."""
    url, engine = pg_db
    direct = make_url(url)
    proxy = Proxy((direct.host or "127.0.0.1", direct.port or 5432))
    via_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    daemon = start_daemon(via_proxy, sim_url, sim.token, NOTIFY_SOCKET=notify_socket.path)
    try:
        wait_for(lambda: daemon.stderr().count("unreachable") >= 2, "two failed attempts")
        assert daemon.process.poll() is None and "READY=1" not in notify_socket.messages()
        assert any(
            m.startswith("STATUS=waiting for the database") for m in notify_socket.messages()
        )
        proxy.up()
        wait_for(lambda: "READY=1" in notify_socket.messages(), "READY=1 once the database is up")
        wait_for(lambda: succeeded(engine, "orders") >= 1, "an orders run")
        proxy.down()
        wait_for(lambda: "database unreachable" in daemon.stderr(), "a run failing on the outage")
        before = succeeded(engine, "orders")
        proxy.up()
        wait_for(lambda: succeeded(engine, "orders") > before, "an orders run after the outage", 60)
        assert daemon.stop()[0] == 0
    finally:
        proxy.down()
