"""What change history costs: a backfill and a reconcile pass with history on and off.

For each database and each setting (``KORSYNC_HISTORY=all`` / ``none``), on a fresh database and
a fresh simulator process (seed 1): ``korsync db upgrade`` (not timed), ``korsync backfill``
(timed: wall, CPU of the process tree), then ``--changes`` orders cancelled upstream through the
simulator's control API and one ``korsync sync --stream reconcile`` re-reading every order
(``KORSYNC_RECONCILE_DAYS`` covering the whole history; timed). Rows written: the mirror's rows
and the history's versions after each step. Prints one Markdown table and writes
``bench/results/history-<orders>.json``.
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx
from common import (
    KORSYNC,
    Simulator,
    machine,
    measure,
    save,
    scratch_postgres,
    scratch_sqlite,
    simulator,
    table,
)
from sqlalchemy import create_engine, func, select

from korsync.config import normalize_database_url
from korsync.models import metadata
from korsync.models.history import HISTORY_TABLES, history_name

COLUMNS = (
    "database", "history", "backfill_s", "backfill_cpu_s", "mirror_rows", "history_rows",
    "reconcile_s", "reconcile_cpu_s", "changed_orders", "reconcile_history_rows",
)  # fmt: skip


def rows_in(url: str) -> tuple[int, int]:
    """(rows of the tables that keep history, versions in their history tables)."""
    engine = create_engine(normalize_database_url(url))
    with engine.connect() as connection:
        counts = [
            sum(
                connection.scalar(select(func.count()).select_from(metadata.tables[name])) or 0
                for name in names
            )
            for names in (HISTORY_TABLES, [history_name(t) for t in HISTORY_TABLES])
        ]
    engine.dispose()
    return counts[0], counts[1]


def cancel_orders(sim: Simulator, url: str, count: int) -> int:
    """Cancel upstream ``count`` orders the mirror holds as confirmed, spread over the
    history; returns how many."""
    engine = create_engine(normalize_database_url(url))
    orders = metadata.tables["orders"]
    with engine.connect() as connection:
        query = select(orders.c.id).where(orders.c.status == "confirmed").order_by(orders.c.id)
        confirmed = [str(order_id) for order_id in connection.scalars(query)]
    engine.dispose()
    chosen = confirmed[:: max(1, len(confirmed) // max(1, count))][:count]
    with httpx.Client(base_url=sim.base_url, timeout=60) as client:
        for order_id in chosen:
            client.post(f"/_sim/orders/{order_id}/cancel", json={"at": None}).raise_for_status()
    return len(chosen)


def run_one(database: str, history: str, orders: int, changes: int) -> dict[str, Any]:
    """One backfill and one reconcile pass on a fresh database and simulator."""
    scratch = scratch_postgres if database == "postgresql" else scratch_sqlite
    with simulator(orders, 0.0) as sim, scratch("bench_history") as url:
        env = {
            "KORSYNC_DATABASE_URL": url,
            "KORSYNC_API_URL": sim.base_url,
            "KORSYNC_API_TOKEN": sim.token,
            "KORSYNC_RATE_LIMIT": "100000",
            "KORSYNC_MAX_CONCURRENCY": "4",
            "KORSYNC_LOG_LEVEL": "WARNING",
            "KORSYNC_HISTORY": history,
            "KORSYNC_RECONCILE_DAYS": "36500",
        }
        measure([KORSYNC, "db", "upgrade"], env)
        command = [KORSYNC, "backfill", "--workers", "4"]
        if database == "postgresql":
            command += ["--processes", "2"]
        backfill = measure(command, env)
        mirror_rows, history_rows = rows_in(url)
        changed = cancel_orders(sim, url, changes)
        reconcile = measure([KORSYNC, "sync", "--stream", "reconcile"], env)
        _, after = rows_in(url)
    for step in (backfill, reconcile):
        if step.returncode != 0:
            raise SystemExit(f"korsync failed ({database}, history {history}): {step.output}")
    return {
        "database": database,
        "history": history,
        "orders": orders,
        "backfill_s": backfill.wall_s,
        "backfill_cpu_s": backfill.cpu_s,
        "mirror_rows": mirror_rows,
        "history_rows": history_rows,
        "reconcile_s": reconcile.wall_s,
        "reconcile_cpu_s": reconcile.cpu_s,
        "changed_orders": changed,
        "reconcile_history_rows": after - history_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=1000, help="orders cancelled upstream")
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    args = parser.parse_args()
    described = machine()
    rows = [
        run_one(database, history, args.orders, args.changes)
        for database in args.databases
        for history in ("none", "all")
    ]
    print(table(rows, COLUMNS))
    save(f"history-{args.orders}", rows, ("database", "history"), {"machine": described})


if __name__ == "__main__":
    main()
