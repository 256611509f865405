"""korsync with default settings against the floor script, a rate-limited API, and tail mode.

1. ``backfill``: ``korsync backfill`` with no tuning at all (no ``KORSYNC_RATE_LIMIT``,
   ``KORSYNC_MAX_CONCURRENCY``, ``--workers`` or ``--processes``) and ``bench/floor.py`` (the
   naive-but-good script, 6 pages in flight) into fresh PostgreSQL databases, at each
   ``--latency-ms``: wall time, orders/s, CPU s per 1,000 orders (the tool's, and PostgreSQL's
   meanwhile), peak RSS, requests.
2. ``rate-limit``: a default backfill against the simulator's ``--rate-limit 10`` for
   ``--limited-s`` seconds; from the 30th second on, the requests answered per second and the
   share refused with a 429 (the simulator counts them).
3. ``freshness``: ``korsync run`` with default settings against a live simulator creating
   ``--arrival-rate`` orders a second (in bursts) for ``--fresh-s`` seconds; for each order
   created after the first minute, its row's ``synced_at`` minus its ``createdAt``: p50, p95,
   max.
4. ``idle``: ``korsync run`` against a simulator where nothing happens; orders requests per
   second from the 30th second to the end of ``--idle-s``.

Writes ``bench/results/throughput-<orders>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from common import (
    BENCH,
    KORSYNC,
    RESULTS,
    ROOT,
    Measured,
    Simulator,
    db_name,
    measure,
    psql,
    save,
    scratch_postgres,
    server_cpu_s,
    sim_server,
    table,
)

COLUMNS = ["tool", "latency_ms", "orders", "wall_s", "orders_per_s", "requests",
           "cpu_s_per_1k_orders", "server_cpu_s_per_1k_orders", "peak_rss_mb"]  # fmt: skip


def counts(sim: Simulator) -> dict[str, int]:
    result: dict[str, int] = httpx.get(f"{sim.base_url}/_bench/requests").json()
    return result


def korsync_env(url: str, sim: Simulator) -> dict[str, str]:
    """Only what korsync must be told: no tuning."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("KORSYNC_")}
    return base | {
        "KORSYNC_DATABASE_URL": url,
        "KORSYNC_API_URL": sim.base_url,
        "KORSYNC_API_TOKEN": sim.token,
        "KORSYNC_LOG_LEVEL": "WARNING",
    }


def measure_with_server(
    command: list[str], env: Mapping[str, str] | None = None
) -> tuple[Measured, float | None]:
    """``measure(command)`` and the CPU seconds PostgreSQL spent meanwhile (``None`` if unknown)."""
    before = server_cpu_s()
    run = measure(command, env)
    after = server_cpu_s()
    return run, None if before is None or after is None else after - before


def row(
    tool: str, latency: float, orders: int, measured: tuple[Measured, float | None], requests: int
) -> dict[str, Any]:
    run, server_cpu = measured
    return {
        "tool": tool,
        "latency_ms": latency,
        "orders": orders,
        "wall_s": run.wall_s,
        "orders_per_s": orders / run.wall_s,
        "requests": requests,
        "cpu_s_per_1k_orders": run.cpu_s / orders * 1000,
        "server_cpu_s_per_1k_orders": None if server_cpu is None else server_cpu / orders * 1000,
        "peak_rss_mb": run.peak_rss_mb,
    }


def backfills(
    orders: int, latency: float, flags: list[str], tools: list[str]
) -> list[dict[str, Any]]:
    """A korsync backfill (default settings, plus ``flags`` if any) and the floor script, each
    on a fresh database (those of ``tools``)."""
    rows = []
    tool = " ".join(["korsync backfill", *flags]) if flags else "korsync defaults"
    with sim_server("--orders", str(orders), "--latency-ms", str(latency)) as sim:
        if "korsync" in tools:
            rows.append(korsync_backfill(sim, tool, latency, flags))
        if "floor" not in tools:
            return rows
        with scratch_postgres("bench_tp_floor") as url:
            before = counts(sim)["requests"]
            command = [sys.executable, str(BENCH / "floor.py"), "--api-url", sim.base_url]
            command += ["--token", sim.token, "--database-url", url]
            run = measure_with_server(command)
            mirrored = int(psql("SELECT count(*) FROM orders", db_name(url)))
            rows.append(
                row(
                    "floor.py (6 in flight)",
                    latency,
                    mirrored,
                    run,
                    counts(sim)["requests"] - before,
                )
            )
    return rows


def korsync_backfill(sim: Simulator, tool: str, latency: float, flags: list[str]) -> dict[str, Any]:
    """One korsync backfill into a fresh database, measured."""
    with scratch_postgres("bench_tp_korsync") as url:
        env = korsync_env(url, sim)
        measure([KORSYNC, "db", "upgrade"], env)
        before = counts(sim)["requests"]
        run = measure_with_server([KORSYNC, "backfill", *flags], env)
        mirrored = int(psql("SELECT count(*) FROM orders", db_name(url)))
        return row(tool, latency, mirrored, run, counts(sim)["requests"] - before)


@contextmanager
def running(command: list[str], env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env=dict(env), cwd=ROOT, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rate_limited(limit: float, seconds: float) -> dict[str, Any]:
    """A default backfill against ``--rate-limit``; figures from the 30th second on."""
    orders = int(limit * 50 * seconds * 2)  # more than it can fetch in the time
    limited = ("--orders", str(orders), "--rate-limit", str(limit))
    with sim_server(*limited) as sim, scratch_postgres("bench_tp_limited") as url:
        env = korsync_env(url, sim)
        measure([KORSYNC, "db", "upgrade"], env)
        with running([KORSYNC, "backfill"], env):
            time.sleep(30)
            first = counts(sim)
            time.sleep(seconds - 30)
            last = counts(sim)
    answered = last["answered"] - first["answered"]
    refused = last["refused"] - first["refused"]
    return {
        "limit_per_s": limit,
        "window_s": seconds - 30,
        "answered_per_s": answered / (seconds - 30),
        "share_of_limit": answered / (seconds - 30) / limit,
        "share_429": refused / max(1, answered + refused),
        "answered_first_30s": first["answered"],
        "refused_first_30s": first["refused"],
    }


def daemon(
    arrival_rate: float, seconds: float, settle_s: float
) -> tuple[dict[str, int], dict[str, int], str]:
    """``korsync run`` with defaults for ``seconds``; the simulator's counts after ``settle_s``
    and at the end and, with arrivals, how long each order created from ``settle_s`` to 35 s
    before the end took to reach PostgreSQL. After the daemon stops one more sweep reads what
    it missed, so a missed order counts with the time it waited, not as absent."""
    live = ["--live", "--orders", "2000", "--arrival-rate", str(arrival_rate)]
    with sim_server(*live) as sim, scratch_postgres("bench_tp_daemon") as url:
        env = korsync_env(url, sim)
        measure([KORSYNC, "db", "upgrade"], env)
        with running([KORSYNC, "run"], env):
            time.sleep(settle_s)
            first, since = counts(sim), time.time()
            time.sleep(seconds - settle_s)
            last, until = counts(sim), time.time() - 35
        if not arrival_rate:
            return first, last, ""
        measure(
            [KORSYNC, "sync", "--stream", "orders"], env | {"KORSYNC_ORDERS_SWEEP_INTERVAL": "0"}
        )
        latencies = psql(
            "SELECT extract(epoch FROM synced_at - created_at) FROM orders"
            f" WHERE created_at >= to_timestamp({since}) AND created_at < to_timestamp({until})",
            db_name(url),
        )
        return first, last, latencies


def freshness(arrival_rate: float, seconds: float) -> dict[str, Any]:
    _, _, text = daemon(arrival_rate, seconds, settle_s=60)
    values = sorted(float(v) for v in text.split())
    return {
        "arrival_rate": arrival_rate,
        "orders": len(values),
        "p50_s": statistics.median(values) if values else None,
        "p95_s": values[int(0.95 * (len(values) - 1))] if values else None,
        "max_s": values[-1] if values else None,
    }


def idle(seconds: float) -> dict[str, Any]:
    first, last, _ = daemon(0.0, seconds, settle_s=30)
    orders = last["orders_requests"] - first["orders_requests"]
    everything = last["requests"] - first["requests"]
    window = seconds - 30
    return {
        "window_s": window,
        "orders_req_per_s": orders / window,
        "all_req_per_s": everything / window,
    }


def earlier_parts(name: str) -> dict[str, Any]:
    """The rate-limit, freshness and idle figures already in the results file, kept when this
    run does not measure them again."""
    path = RESULTS / f"{name}.json"
    document = json.loads(path.read_text()) if path.exists() else {}
    return {
        part: document[part] for part in ("rate_limit", "freshness", "idle") if part in document
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=30_000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[20.0, 100.0])
    parser.add_argument(
        "--parts", nargs="+", default=["backfill", "rate-limit", "freshness", "idle"]
    )
    parser.add_argument(
        "--korsync-flags", default="", help='extra backfill flags, e.g. "--processes 2"'
    )
    parser.add_argument("--tools", nargs="+", default=["korsync", "floor"])
    parser.add_argument("--limited-s", type=float, default=90.0)
    parser.add_argument("--arrival-rate", type=float, default=3.0)
    parser.add_argument("--fresh-s", type=float, default=180.0)
    parser.add_argument("--idle-s", type=float, default=120.0)
    args = parser.parse_args()
    extra: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    if "backfill" in args.parts:
        for latency in args.latency_ms:
            rows += backfills(args.orders, latency, args.korsync_flags.split(), args.tools)
            print(table(rows[-len(args.tools) :], COLUMNS), flush=True)
    if "rate-limit" in args.parts:
        extra["rate_limit"] = rate_limited(10.0, args.limited_s)
        print("rate limit:", extra["rate_limit"], flush=True)
    if "freshness" in args.parts:
        extra["freshness"] = freshness(args.arrival_rate, args.fresh_s)
        print("freshness:", extra["freshness"], flush=True)
    if "idle" in args.parts:
        extra["idle"] = idle(args.idle_s)
        print("idle:", extra["idle"], flush=True)
    name = f"throughput-{args.orders}"
    path = save(name, rows, keys=("tool", "latency_ms"), extra=earlier_parts(name) | extra)
    print(table(rows, COLUMNS))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
