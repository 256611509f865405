"""How long each reporting view takes to read whole, on PostgreSQL and SQLite, in the zone
korsync is told to count days in (UTC, and Europe/Paris whose offsets SQLite looks up per row).

For each database: a fresh database filled by ``korsync demo --orders N`` (not measured), then
for each zone ``korsync db upgrade`` (writes the zone) and every view read in full
(``SELECT * FROM view``, all rows fetched), timed in this process, best of three. Writes
``bench/results/views-<orders>.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from typing import Any

from common import KORSYNC, save, scratch_postgres, scratch_sqlite, table
from sqlalchemy import create_engine, text

VIEWS = ["order_lines", "daily_sales", "session_sales", "slot_sales", "orders_as_sent"]
ZONES = ["UTC", "Europe/Paris"]
COLUMNS = ["database", "zone", "orders", "view", "rows", "best_s"]


def _korsync(url: str, *args: str, zone: str = "UTC") -> None:
    env = {"KORSYNC_DATABASE_URL": url, "KORSYNC_REPORTING_TIMEZONE": zone, "PATH": "/usr/bin"}
    subprocess.run([KORSYNC, *args], env=env, check=True, capture_output=True)


def _read(url: str, view: str) -> tuple[int, float]:
    """Rows of ``view`` and the best of three full reads (seconds)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    best, count = float("inf"), 0
    with engine.connect() as connection:
        for _ in range(3):
            started = time.perf_counter()
            count = len(connection.execute(text(f"SELECT * FROM {view}")).all())
            best = min(best, time.perf_counter() - started)
    engine.dispose()
    return count, best


def _measure(database: str, url: str, orders: int) -> list[dict[str, Any]]:
    _korsync(url, "demo", "--orders", str(orders))
    rows = []
    for zone in ZONES:
        _korsync(url, "db", "upgrade", zone=zone)
        for view in VIEWS:
            count, best = _read(url, view)
            rows.append({"database": database, "zone": zone, "orders": orders, "view": view,
                         "rows": count, "best_s": round(best, 3)})  # fmt: skip
            print(table(rows[-1:], COLUMNS).splitlines()[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"])
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for database in args.databases:
        scratch = scratch_postgres if database == "postgresql" else scratch_sqlite
        with scratch("bench_views") as url:
            rows += _measure(database, url, args.orders)
    print(table(rows, COLUMNS))
    path = save(f"views-{args.orders}", rows, ["database", "zone", "view"])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
