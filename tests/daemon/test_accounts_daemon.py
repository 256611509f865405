"""The daemon with several accounts (PostgreSQL): one job per (account, stream), each account
with its own client and pace, so a hung or refused account leaves the others fresh; several
daemons share the work through the stream locks, never run one (account, stream) twice at
once, and take over from a daemon killed mid-run."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from korsync.cli import main
from korsync.db.engine import make_engine
from korsync.fake_api import Simulator, serve
from tests.support.accounts import AccountsFile, drop_accounts, write_accounts
from tests.support.daemon import Daemon, NotifySocket, make_sim, runs, succeeded, wait_for
from tests.support.sync import assert_orders_mirrored

pytestmark = pytest.mark.postgres
Start = Callable[..., Daemon]


@pytest.fixture
def accounts_of(
    tmp_path: Path, postgres_url: str
) -> Iterator[Callable[..., tuple[AccountsFile, Simulator]]]:
    """Served simulators with ``count`` organizations, an accounts file of them, migrated;
    their schemas and roles dropped afterwards."""
    made: list[AccountsFile] = []
    with contextlib.ExitStack() as stack:

        def make(
            count: int, extra: str = "", api_urls: dict[int, str] | None = None, **sim: Any
        ) -> tuple[AccountsFile, Simulator]:
            simulator = make_sim(organizations=count, shared_catalogue=True, **sim)
            base_url = stack.enter_context(serve(simulator))
            accounts = write_accounts(
                tmp_path, simulator, base_url, postgres_url, count, extra, api_urls
            )
            made.append(accounts)
            done = CliRunner().invoke(main, ["db", "upgrade"], env=accounts.env())
            assert done.exit_code == 0, done.output
            return accounts, simulator

        yield make
    admin = make_engine(postgres_url)
    for accounts in made:
        drop_accounts(admin, accounts)
    admin.dispose()


def _daemon(start: Start, accounts: AccountsFile, **env: str) -> Daemon:
    """``korsync run`` on the accounts file (credentials come from it, not the environment)."""
    return start(accounts.database_url, "http://unused.invalid", "unused",
                 KORSYNC_API_TOKEN=None, KORSYNC_API_URL=None, **accounts.env(), **env)  # fmt: skip


def _engines(accounts: AccountsFile) -> list[Engine]:
    return [accounts.engine(k) for k in range(len(accounts.names))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _overlaps(engine: Engine, stream: str) -> list[tuple[object, object]]:
    """Pairs of runs of ``stream`` that were running at the same time."""
    recorded = [r for r in runs(engine, stream) if r.finished_at is not None]
    return [
        (a.started_at, b.started_at)
        for a, b in itertools.pairwise(recorded)
        if a.finished_at is not None and b.started_at < a.finished_at
    ]


def test_a_hung_and_a_refused_account_leave_the_others_fresh(
    accounts_of: Callable[..., tuple[AccountsFile, Simulator]], start_daemon: Start
) -> None:
    """Account 0's API accepts connections and never answers, account 1's refuses its token
    (401); accounts 2 and 3 keep syncing on their intervals, mirrored exactly."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)  # the kernel accepts connections; nobody ever answers
    hung_url = f"http://127.0.0.1:{hung.getsockname()[1]}"
    accounts, sim = accounts_of(4, api_urls={0: hung_url})
    (accounts.path.parent / f"{accounts.names[1]}.token").write_text("kt-sim-refused\n")
    daemon = _daemon(start_daemon, accounts, KORSYNC_MAX_PARALLEL_RUNS="10")
    engines = _engines(accounts)
    try:
        wait_for(lambda: all(succeeded(e, "orders") >= 4 for e in engines[2:]) or
                 daemon.process.poll() is not None, "fresh orders runs of the healthy accounts",
                 timeout=90)  # fmt: skip
        assert daemon.process.poll() is None, daemon.stderr()[-2000:]
        for k in (2, 3):
            assert_orders_mirrored(engines[k], sim, org=k)
        assert succeeded(engines[0], "orders") == 0 and succeeded(engines[1], "orders") == 0
        assert any(r.status == "failed" for r in runs(engines[1], "orders"))  # the 401
        assert "kt-sim-refused" not in daemon.stderr()
    finally:
        daemon.kill()
        hung.close()
        for engine in engines:
            engine.dispose()


def _scrape(port: int) -> dict[str, float]:
    """Runs by status, summed over accounts and streams, from one daemon's /metrics."""
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "korsync_stream_runs_total":
                status = sample.labels["status"]
                totals[status] = totals.get(status, 0.0) + sample.value
    return totals


def test_two_daemons_share_the_work_and_never_overlap(
    accounts_of: Callable[..., tuple[AccountsFile, Simulator]], start_daemon: Start
) -> None:
    """Two daemons on the same accounts: both run streams, each (account, stream) has one run
    at a time (the runs recorded never overlap), and the mirrors are exact."""
    accounts, sim = accounts_of(2)
    ports = [_free_port(), _free_port()]
    daemons = [_daemon(start_daemon, accounts, KORSYNC_METRICS_PORT=str(p)) for p in ports]
    engines = _engines(accounts)
    try:
        wait_for(lambda: all(succeeded(e, "orders") >= 8 for e in engines), "orders runs", 90)
        totals = [_scrape(port) for port in ports]
        assert all(t.get("succeeded", 0) > 0 for t in totals), totals  # both did work
        assert sum(t.get("skipped", 0) for t in totals) > 0, totals  # and met each other
        for daemon in daemons:
            assert daemon.process.poll() is None, daemon.stderr()[-2000:]
        for k, engine in enumerate(engines):
            for stream in ("orders", "documents", "reservations", "reconcile"):
                assert _overlaps(engine, stream) == [], (accounts.names[k], stream)
            assert_orders_mirrored(engine, sim, org=k)
    finally:
        for daemon in daemons:
            daemon.kill()
        for engine in engines:
            engine.dispose()


def _running(engine: Engine) -> bool:
    """Whether an orders run is in progress, past its first page."""
    return any(r.status == "running" and r.pages >= 1 for r in runs(engine, "orders"))


def test_a_daemon_killed_mid_run_is_taken_over(
    accounts_of: Callable[..., tuple[AccountsFile, Simulator]], start_daemon: Start
) -> None:
    """kill -9 of the daemon running an account's first (long) orders run: the other daemon's
    next turn takes the stream (the server released the lock with the connection) and
    finishes the mirror; the killed run is recorded as not succeeded."""
    accounts, sim = accounts_of(1, orders=1500, latency_ms=15)
    engine = accounts.engine(0)
    first = _daemon(start_daemon, accounts)
    try:
        wait_for(lambda: _running(engine), "a long orders run in progress", 60)
        second = _daemon(start_daemon, accounts)
        os.kill(first.process.pid, 9)
        first.process.wait()
        wait_for(lambda: succeeded(engine, "orders") >= 1 or second.process.poll() is not None,
                 "the second daemon finishing the orders", 120)  # fmt: skip
        assert second.process.poll() is None, second.stderr()[-2000:]
        assert_orders_mirrored(engine, sim)
        killed = runs(engine, "orders")[0]
        wait_for(lambda: runs(engine, "orders")[0].status != "running", "the killed run closed")
        assert runs(engine, "orders")[0].id == killed.id
        assert runs(engine, "orders")[0].status != "succeeded"
    finally:
        first.kill()
        engine.dispose()


def test_twenty_accounts_each_mirror_their_own(
    accounts_of: Callable[..., tuple[AccountsFile, Simulator]], start_daemon: Start
) -> None:
    """One daemon, twenty accounts sharing a catalogue's ids: every schema equals its own
    organization's orders."""
    accounts, sim = accounts_of(20, orders=15)
    daemon = _daemon(start_daemon, accounts, KORSYNC_MAX_PARALLEL_RUNS="8")
    engines = _engines(accounts)
    try:
        wait_for(
            lambda: (
                all(succeeded(e, "orders") >= 1 for e in engines)
                or daemon.process.poll() is not None
            ),
            "every account's first orders run",
            180,
        )
        assert daemon.process.poll() is None, daemon.stderr()[-2000:]
        for k, engine in enumerate(engines):
            assert_orders_mirrored(engine, sim, org=k)
    finally:
        daemon.kill()
        for engine in engines:
            engine.dispose()


def _status_after_reload(notify_socket: NotifySocket) -> str | None:
    """The ``STATUS=`` sent with ``READY=1`` once the reload is done (the same datagram)."""
    sent = notify_socket.messages()
    if "RELOADING=1" not in sent:
        return None
    tail = sent[sent.index("RELOADING=1") :]
    ready = tail.index("READY=1") if "READY=1" in tail else len(tail)
    return tail[ready + 1] if ready + 1 < len(tail) else None


def test_status_after_a_reload_summarises_every_account(
    accounts_of: Callable[..., tuple[AccountsFile, Simulator]],
    start_daemon: Start,
    notify_socket: NotifySocket,
) -> None:
    """The second account's token is refused: after a SIGHUP, ``STATUS=`` counts both accounts
    and names the second one's failing stream, not only the first account's state."""
    accounts, _ = accounts_of(2)
    (accounts.path.parent / f"{accounts.names[1]}.token").write_text("kt-sim-refused\n")
    daemon = _daemon(start_daemon, accounts, NOTIFY_SOCKET=notify_socket.path)
    engines = _engines(accounts)
    try:
        wait_for(lambda: succeeded(engines[0], "orders") >= 1, "the first account's orders")
        failing = f"{accounts.names[1]}/orders"
        wait_for(lambda: any(failing in m for m in notify_socket.messages()), "a failure")
        daemon.process.send_signal(signal.SIGHUP)
        status = wait_for(lambda: _status_after_reload(notify_socket), "STATUS= after the reload")
        assert status.startswith("STATUS=2 accounts; last: ") and failing in status, status
        assert "kt-sim-refused" not in status
    finally:
        daemon.kill()
        for engine in engines:
            engine.dispose()
