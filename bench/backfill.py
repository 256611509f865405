"""korsync's backfill and incremental no-op sync against ``bench/sim_server.py``.

For each database (PostgreSQL, SQLite) and simulated latency: a fresh database, ``korsync db
upgrade`` (not measured), then ``korsync backfill --workers N --processes P`` (P on PostgreSQL
only; N larger when there is latency to hide) measured as a child process (wall, CPU, peak
memory of its process tree) with the requests the simulator served, then ``korsync sync
--stream orders`` (the no-op incremental pass: nothing new upstream). Writes
``bench/results/backfill-<orders>.json``.
"""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any

from common import (
    KORSYNC,
    db_name,
    measure,
    psql,
    save,
    scratch_postgres,
    scratch_sqlite,
    simulator,
    table,
)

COLUMNS = [
    "database",
    "latency_ms",
    "orders",
    "wall_s",
    "orders_per_s",
    "requests",
    "requests_per_s",
    "cpu_s_per_1k_orders",
    "peak_rss_mb",
    "peak_pss_mb",
    "noop_requests",
    "noop_wall_s",
]


def count_orders(url: str) -> int:
    """Orders in the mirror at ``url``."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return int(connection.execute("SELECT count(*) FROM orders").fetchone()[0])
    return int(psql("SELECT count(*) FROM orders", db_name(url)))


def run_one(
    database: str, orders: int, latency_ms: float, workers: int, processes: int
) -> dict[str, Any]:
    """One backfill plus one no-op sync on a fresh database and simulator."""
    scratch = scratch_postgres if database == "postgresql" else scratch_sqlite
    with simulator(orders, latency_ms) as sim, scratch("bench_korsync") as url:
        env = {
            "KORSYNC_DATABASE_URL": url,
            "KORSYNC_API_URL": sim.base_url,
            "KORSYNC_API_TOKEN": sim.token,
            "KORSYNC_RATE_LIMIT": "100000",
            "KORSYNC_MAX_CONCURRENCY": str(workers),
            "KORSYNC_LOG_LEVEL": "WARNING",
        }
        measure([KORSYNC, "db", "upgrade"], env)
        before = sim.requests()
        command = [KORSYNC, "backfill", "--workers", str(workers)]
        if database == "postgresql":  # SQLite has one writer: korsync walks it in one process
            command += ["--processes", str(processes)]
        backfill = measure(command, env)
        requests = sim.requests() - before
        mirrored = count_orders(url)
        noop = measure([KORSYNC, "sync", "--stream", "orders"], env)
        noop_requests = sim.requests() - before - requests
    return {
        "database": database,
        "latency_ms": latency_ms,
        "orders": mirrored,
        "expected_orders": orders,
        "workers": workers,
        "processes": processes if database == "postgresql" else 1,
        "wall_s": backfill.wall_s,
        "cpu_s": backfill.cpu_s,
        "orders_per_s": mirrored / backfill.wall_s,
        "requests": requests,
        "requests_per_s": requests / backfill.wall_s,
        "cpu_s_per_1k_orders": backfill.cpu_s / mirrored * 1000,
        "peak_rss_mb": backfill.peak_rss_mb,
        "peak_pss_mb": backfill.peak_pss_mb,
        "noop_requests": noop_requests,
        "noop_wall_s": noop.wall_s,
        "noop_cpu_s": noop.cpu_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 100.0])
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    parser.add_argument("--workers", type=int, default=4, help="slices at once at 0 ms")
    parser.add_argument(
        "--latency-workers",
        type=int,
        default=8,
        help="slices at once (and requests in flight) when there is latency to hide",
    )
    parser.add_argument("--processes", type=int, default=2, help="korsync backfill --processes")
    args = parser.parse_args()
    rows = []
    for database in args.databases:
        for latency in args.latency_ms:
            workers = args.latency_workers if latency > 0 else args.workers
            rows.append(run_one(database, args.orders, latency, workers, args.processes))
            print(table(rows[-1:], COLUMNS), flush=True)
    path = save(f"backfill-{args.orders}", rows, keys=("database", "latency_ms"))
    print(table(rows, COLUMNS))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
