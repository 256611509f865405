"""Many accounts, several daemons: the time to a full first mirror of N accounts x M orders with
1, 2 and 3 ``korsync run`` daemons sharing one PostgreSQL database, and each daemon's peak RSS
and CPU time.

The simulator (its own process) serves N organizations sharing one catalogue's ids at their own
prices. The accounts are migrated once (``korsync db upgrade``, not timed); before each daemon
count every account's tables are emptied. Then the daemons start together and the clock runs
until every account has its M orders and a successful catalogue, orders, documents and
reservations run (polled every 2 s through the cross-account views). Prints a Markdown table and
writes ``bench/results/accounts-<N>x<M>.json``.

    .venv/bin/python bench/accounts.py [--accounts 100] [--orders 2000] [--daemons 1 2 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from common import KORSYNC, psql, save, scratch_postgres, sim_server, table, tree_memory_kb

from korsync.fake_api.auth import credentials

SEED = 1
FIRST_STREAMS = ("catalogue", "orders", "documents", "reservations")
DATABASE = "bench_accounts"


def write_accounts(folder: Path, base_url: str, count: int) -> Path:
    """An accounts file of ``count`` accounts ``a000``…, one token file each."""
    lines = ['views_schema = "korsync_all"']
    for k in range(count):
        name = f"a{k:03d}"
        (folder / f"{name}.token").write_text(credentials(SEED, k).static_token + "\n")
        lines += [
            f"[accounts.{name}]",
            f'api_url = "{base_url}"',
            f'api_token_file = "{name}.token"',
        ]
    path = folder / "accounts.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def empty_accounts(count: int) -> None:
    """Empty every account's tables (the schemas stay migrated)."""
    for k in range(count):
        schema = f"korsync_a{k:03d}"
        tables = psql(
            "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_tables"
            f" WHERE schemaname = '{schema}' AND tablename <> 'alembic_version'",
            DATABASE,
        )
        psql(f"TRUNCATE {tables} CASCADE", DATABASE)


def progress(count: int, orders: int) -> tuple[int, int]:
    """(orders mirrored over all accounts, accounts whose first streams all succeeded)."""
    mirrored = int(psql("SELECT count(*) FROM korsync_all.orders", DATABASE) or 0)
    streams = ", ".join(f"'{s}'" for s in FIRST_STREAMS)
    done = psql(
        "SELECT count(*) FROM (SELECT account FROM korsync_all.sync_runs WHERE status ="
        f" 'succeeded' AND stream IN ({streams}) GROUP BY account"
        f" HAVING count(DISTINCT stream) = {len(FIRST_STREAMS)}) AS complete",
        DATABASE,
    )
    return mirrored, int(done or 0)


LOGS = Path(tempfile.gettempdir()) / "korsync-bench-accounts"


@contextlib.contextmanager
def daemons(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` ``korsync run`` processes (stderr in ``LOGS``); stopped with SIGTERM on exit."""
    LOGS.mkdir(exist_ok=True)
    started = []
    for index in range(count):
        with (LOGS / f"daemon-{count}-{index}.log").open("wb") as log:
            command = [KORSYNC, "run"]
            started.append(subprocess.Popen(command, env={**os.environ, **env}, stderr=log))
    try:
        yield started
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)


def measure_daemons(
    count: int, env: dict[str, str], accounts: int, orders: int
) -> dict[str, float]:
    """Start ``count`` daemons and wait for the full first mirror; its figures."""
    peaks: dict[int, int] = {}
    stop = threading.Event()
    started = time.perf_counter()
    with daemons(count, env) as processes:

        def sample() -> None:
            while not stop.wait(0.5):
                for process in processes:
                    peaks[process.pid] = max(
                        peaks.get(process.pid, 0), tree_memory_kb(process.pid)[0]
                    )

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        while True:
            mirrored, complete = progress(accounts, orders)
            if mirrored >= accounts * orders and complete == accounts:
                break
            if any(p.poll() is not None for p in processes):
                raise RuntimeError(f"a daemon exited before the mirror was complete; see {LOGS}")
            time.sleep(2)
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
    cpu = []
    for process in processes:
        _, _, usage = os.wait4(process.pid, 0)
        cpu.append(usage.ru_utime + usage.ru_stime)
    rss = [kb / 1024 for kb in peaks.values()]
    return {
        "daemons": count,
        "first_mirror_s": round(wall, 1),
        "peak_rss_mb_max": round(max(rss), 1),
        "peak_rss_mb_mean": round(sum(rss) / len(rss), 1),
        "cpu_s_per_daemon": round(sum(cpu) / len(cpu), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--daemons", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--parallel-runs", type=int, default=8, help="KORSYNC_MAX_PARALLEL_RUNS")
    args = parser.parse_args()
    organizations = ["--organizations", str(args.accounts), "--shared-catalogue"]
    server_args = ["--orders", str(args.orders), "--seed", str(SEED), *organizations]
    rows = []
    with (
        sim_server(*server_args) as sim,
        scratch_postgres(DATABASE) as url,
        tempfile.TemporaryDirectory() as folder,
    ):
        env = {
            "KORSYNC_ACCOUNTS_FILE": str(write_accounts(Path(folder), sim.base_url, args.accounts)),
            "KORSYNC_DATABASE_URL": url,
            "KORSYNC_LOG_LEVEL": "WARNING",
            "KORSYNC_MAX_PARALLEL_RUNS": str(args.parallel_runs),
        }
        upgraded = time.perf_counter()
        subprocess.run([KORSYNC, "db", "upgrade"], env={**os.environ, **env}, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        print(f"db upgrade of {args.accounts} schemas: {time.perf_counter() - upgraded:.0f} s")
        for count in args.daemons:
            empty_accounts(args.accounts)
            row = measure_daemons(count, env, args.accounts, args.orders)
            print(row, flush=True)
            rows.append(row)
    columns = [
        "daemons",
        "first_mirror_s",
        "peak_rss_mb_max",
        "peak_rss_mb_mean",
        "cpu_s_per_daemon",
    ]
    runs = f"KORSYNC_MAX_PARALLEL_RUNS={args.parallel_runs}"
    print(f"\n{args.accounts} accounts x {args.orders} orders, {runs}\n")
    print(table(rows, columns))
    extra = {"accounts": args.accounts, "orders": args.orders, "parallel_runs": args.parallel_runs}
    path = save(f"accounts-{args.accounts}x{args.orders}", rows, ["daemons"], extra)
    print(f"\nwrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
