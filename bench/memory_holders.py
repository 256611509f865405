"""What holds korsync's memory during a backfill: ``tracemalloc`` snapshots of one process.

Runs ``korsync backfill --processes 1`` in this process against ``bench/sim_server.py`` into a
fresh PostgreSQL database, with ``tracemalloc`` on (which slows it down about twofold), takes a
snapshot every few seconds and keeps the one with the most memory traced; at the end prints the
allocation sites holding the most of it, grouped by ``--group`` (``lineno`` or ``traceback``).
Python allocations only: malloc arenas, mapped buffers and the interpreter itself are not
counted, so compare with the RSS ``bench/backfill.py`` prints. With ``--malloc``, no
``tracemalloc``: every ``--every-s`` it prints the process's RSS beside what glibc's malloc and
Python's allocator hold (``malloc_probe``), to tell fragmentation from live objects.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import tracemalloc

from common import scratch_postgres, simulator
from malloc_probe import line, sample


def watch(every_s: float, done: threading.Event, peak: list[tracemalloc.Snapshot]) -> None:
    """Keep in ``peak`` the snapshot holding the most memory, until ``done``."""
    best = 0
    while not done.wait(every_s):
        current, _ = tracemalloc.get_traced_memory()
        if current > best:
            best = current
            peak[:] = [tracemalloc.take_snapshot()]


def watch_malloc(every_s: float, done: threading.Event) -> None:
    """Print a ``malloc_probe`` reading every ``every_s`` seconds, and a last one at ``done``."""
    started = time.monotonic()
    while not done.wait(every_s):
        print(line(sample(started)), flush=True)
    print("end: " + line(sample(started)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--every-s", type=float, default=5.0)
    parser.add_argument("--group", choices=["lineno", "traceback"], default="lineno")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--frames", type=int, default=1, help="traceback depth kept")
    parser.add_argument("--malloc", action="store_true", help="allocators' sizes, no tracemalloc")
    args = parser.parse_args()
    from korsync.cli import main as korsync_main

    with simulator(args.orders, 0.0) as sim, scratch_postgres("bench_korsync") as url:
        os.environ.update(
            KORSYNC_DATABASE_URL=url,
            KORSYNC_API_URL=sim.base_url,
            KORSYNC_API_TOKEN=sim.token,
            KORSYNC_LOG_LEVEL="WARNING",
        )
        korsync_main(["db", "upgrade"], standalone_mode=False)
        done, peak = threading.Event(), list[tracemalloc.Snapshot]()
        if args.malloc:
            watcher = threading.Thread(target=watch_malloc, args=(args.every_s, done))
        else:
            tracemalloc.start(args.frames)
            watcher = threading.Thread(target=watch, args=(args.every_s, done, peak), daemon=True)
        watcher.start()
        command = ["backfill", "--processes", "1", "--workers", str(args.workers)]
        try:
            korsync_main(command, standalone_mode=False)
        finally:
            done.set()
            watcher.join()
    if args.malloc:
        return
    if not peak:
        print("no snapshot taken: the backfill ended before the first one")
        return
    stats = peak[0].statistics(args.group)
    total = sum(stat.size for stat in stats)
    print(f"peak traced: {total / 2**20:.1f} MiB in {len(stats)} sites; the largest:")
    for stat in stats[: args.top]:
        where = stat.traceback.format(limit=4 if args.group == "traceback" else 1)
        print(f"{stat.size / 2**20:8.2f} MiB {stat.count:9d} blocks  " + " <- ".join(where))


if __name__ == "__main__":
    main()
