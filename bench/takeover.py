"""Takeover time: how long after a ``kill -9`` of the daemon running an account's orders stream
another daemon starts that stream again, against the issue's bound of 2 x the stream's interval.

One account (an accounts file, its own schema), a slow simulator so that the first orders run
is long, and ``--interval`` for the orders stream. Each trial empties the account, starts daemon
A, waits until A's orders run has committed a page, starts daemon B, lets it schedule its jobs,
kills A with SIGKILL and polls ``sync_runs`` until an orders run starts after the kill (B's: A
is gone). The takeover time is that run's ``started_at`` minus the kill's time (one machine,
one clock). Prints a Markdown table and writes ``bench/results/takeover.json``.

    .venv/bin/python bench/takeover.py [--trials 3] [--interval 10] [--orders 5000]
        [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from accounts import write_accounts
from common import KORSYNC, psql, save, scratch_postgres, sim_server, table

DATABASE = "bench_takeover"  # never accounts.py's: that bench may run meanwhile
SCHEMA = "korsync_a000"
RUNS = f"{SCHEMA}.sync_runs"
LOGS = Path(tempfile.gettempdir()) / "korsync-bench-takeover"
B_START_S = 5.0  # for daemon B to start and schedule its jobs before A is killed


def orders_runs_since(epoch: float, pages: int = 0) -> float | None:
    """The start (epoch s) of the first orders run started after ``epoch`` with at least
    ``pages`` committed, or ``None``."""
    found = psql(
        f"SELECT extract(epoch FROM min(started_at)) FROM {RUNS} WHERE stream = 'orders'"
        f" AND extract(epoch FROM started_at) > {epoch} AND pages >= {pages}",
        DATABASE,
    )
    return float(found) if found else None


def empty_account() -> None:
    """Empty the account's tables (its schema stays migrated)."""
    tables = psql(
        "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables"
        f" WHERE schemaname = '{SCHEMA}' AND tablename <> 'alembic_version'",
        DATABASE,
    )
    psql(f"TRUNCATE {tables} CASCADE", DATABASE)


def start_daemon(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    """``korsync run`` with its stderr in ``LOGS/<name>.log``."""
    LOGS.mkdir(exist_ok=True)
    with (LOGS / f"{name}.log").open("wb") as log:
        return subprocess.Popen([KORSYNC, "run"], env={**os.environ, **env}, stderr=log)


def poll(what: str, probe: Callable[[], float | None], timeout: float) -> float:
    """Call ``probe`` every 0.1 s until it returns a value; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return float(value)
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}; see {LOGS}")


def trial(env: dict[str, str], interval: float) -> dict[str, float]:
    """One kill and takeover; its figures."""
    empty_account()
    started = time.time()
    first = start_daemon(env, "a")
    second = None
    try:
        poll("daemon A's orders run to commit a page", lambda: orders_runs_since(started, 1), 120)
        second = start_daemon(env, "b")
        time.sleep(B_START_S)
        os.kill(first.pid, signal.SIGKILL)
        killed = time.time()
        first.wait()
        taken = poll(
            "an orders run after the kill", lambda: orders_runs_since(killed), 10 * interval
        )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
    return {
        "interval_s": interval,
        "takeover_s": round(taken - killed, 1),
        "bound_s": 2 * interval,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10.0, help="KORSYNC_ORDERS_INTERVAL")
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    server = ["--orders", str(args.orders), "--latency-ms", str(args.latency_ms), "--seed", "1"]
    with (
        sim_server(*server) as sim,
        scratch_postgres(DATABASE) as url,
        tempfile.TemporaryDirectory() as folder,
    ):
        env = {
            "KORSYNC_ACCOUNTS_FILE": str(write_accounts(Path(folder), sim.base_url, 1)),
            "KORSYNC_DATABASE_URL": url,
            "KORSYNC_LOG_LEVEL": "WARNING",
            "KORSYNC_ORDERS_INTERVAL": str(args.interval),
        }
        subprocess.run([KORSYNC, "db", "upgrade"], env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        rows = []
        for number in range(args.trials):
            row = {"trial": number + 1, **trial(env, args.interval)}
            print(row, flush=True)
            rows.append(row)
    print()
    print(table(rows, ["trial", "interval_s", "takeover_s", "bound_s"]))
    extra = {"orders": args.orders, "latency_ms": args.latency_ms}
    path = save("takeover", rows, ["trial"], extra)
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
