"""The ceiling: how fast the orders can be fetched, and how fast their rows can be loaded.

Fetch-only: korsync's own ``ApiClient`` walking the same ``createdAt`` slices as the backfill
with the same number of threads (HTTP + JSON parsing, no database, no row mapping), against
``bench/sim_server.py`` in its own process. Load-only: the fetched orders mapped to korsync's
rows beforehand (not timed), then loaded into a freshly migrated PostgreSQL database with
``COPY … FROM STDIN`` in one transaction, one table after another (the timed part). Writes
``bench/results/ceiling-<orders>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import psycopg
from common import KORSYNC, measure, save, scratch_postgres, simulator, table
from psycopg.types.json import Jsonb, set_json_dumps

from korsync.api.client import ApiClient, ClientOptions
from korsync.api.pagination import Page
from korsync.models import metadata
from korsync.sync.backfill.walker import plan_slices
from korsync.sync.mapping import map_page
from korsync.sync.order_rows import order_rows
from korsync.sync.orders import ORDERS_PATH, api_time
from korsync.sync.values import timestamp

COLUMNS = ["part", "latency_ms", "orders", "seconds", "orders_per_s", "requests_per_s", "rows"]


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fetch_all(client: ApiClient, workers: int, keep: bool) -> tuple[list[Page], int]:
    """Walk every order in ``workers * 4`` createdAt slices, ``workers`` at a time."""
    first = client.get_json(ORDERS_PATH, {"order[createdAt]": "asc", "itemsPerPage": 1})
    start = timestamp(first["member"][0], "createdAt")
    assert start is not None
    end = dt.datetime.now(dt.UTC)
    kept: list[Page] = []
    counts: list[int] = []

    def walk(start: dt.datetime, end: dt.datetime) -> None:
        params = {
            "order[createdAt]": "asc",
            "createdAt[after]": api_time(start),
            "createdAt[strictly_before]": api_time(end),
        }
        for page in client.iter_pages(ORDERS_PATH, params):
            counts.append(len(page.items))
            if keep:
                kept.append(page)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = plan_slices(start, end, workers * 4)
        for future in [pool.submit(walk, part.start, part.end) for part in parts]:
            future.result()
    return kept, sum(counts)


def fetch_only(
    orders: int, latency_ms: float, workers: int, keep: bool
) -> tuple[dict[str, Any], list[Page]]:
    with simulator(orders, latency_ms) as sim:
        options = ClientOptions(
            base_url=sim.base_url, token=sim.token, rate_limit_per_s=None, max_concurrency=workers
        )
        with ApiClient(options) as client:
            before, cpu = sim.requests(), cpu_now()
            started = time.perf_counter()
            pages, fetched = fetch_all(client, workers, keep)
            seconds = time.perf_counter() - started
            requests = sim.requests() - before
    row = {
        "part": "fetch-only",
        "latency_ms": latency_ms,
        "workers": workers,
        "orders": fetched,
        "seconds": seconds,
        "orders_per_s": fetched / seconds,
        "requests": requests,
        "requests_per_s": requests / seconds,
        "cpu_s_per_1k_orders": (cpu_now() - cpu) / fetched * 1000,
    }
    return row, pages


def prebuilt_rows(pages: list[Page]) -> dict[str, list[dict[str, Any]]]:
    """korsync's rows of every page by table, placeholders (not already full rows) first."""
    now = dt.datetime.now(dt.UTC)
    full: dict[str, dict[Any, dict[str, Any]]] = defaultdict(dict)
    stubs: dict[str, dict[Any, dict[str, Any]]] = defaultdict(dict)
    for page in pages:
        rows, _ = map_page(page, order_rows, now)
        for name, table_rows in rows.rows.items():
            full[name].update((row["id"], row) for row in table_rows)
        for name, table_rows in rows.placeholders.items():
            stubs[name].update((row["id"], row) for row in table_rows)
    ordered: dict[str, list[dict[str, Any]]] = {}
    for name in [t.name for t in metadata.sorted_tables]:
        extra = [row for key, row in stubs[name].items() if key not in full[name]]
        if extra:
            ordered[f"{name}#placeholders"] = extra
        if full[name]:
            ordered[name] = list(full[name].values())
    return ordered


def adapt(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict | list) else value


# The fastest JSON encoder korsync has (its own write path uses orjson too).
set_json_dumps(lambda value: orjson.dumps(value, default=str))


def load_only(pages: list[Page], orders: int) -> dict[str, Any]:
    """COPY the pre-built rows into a migrated database; only the COPYs and commit are timed."""
    by_table = prebuilt_rows(pages)
    total_rows = sum(len(rows) for rows in by_table.values())
    with scratch_postgres("bench_ceiling") as url:
        measure([KORSYNC, "db", "upgrade"], {"KORSYNC_DATABASE_URL": url})
        with psycopg.connect(url) as connection:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for key, rows in by_table.items():
                    name = key.split("#")[0]
                    columns = sorted({column for row in rows for column in row})
                    sql = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
                    with cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row([adapt(row.get(c)) for c in columns])
            connection.commit()
            seconds = time.perf_counter() - started
    return {
        "part": "load-only (COPY)",
        "latency_ms": None,
        "orders": orders,
        "seconds": seconds,
        "orders_per_s": orders / seconds,
        "rows": total_rows,
        "rows_per_s": total_rows / seconds,
        "tables": {key: len(rows) for key, rows in by_table.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 100.0])
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    kept: list[Page] = []
    for latency in args.latency_ms:
        row, pages = fetch_only(args.orders, latency, args.workers, keep=not kept)
        kept = kept or pages
        rows.append(row)
        print(table(rows[-1:], COLUMNS), flush=True)
    rows.append(load_only(kept, rows[0]["orders"]))
    print(table(rows[-1:], COLUMNS), flush=True)
    path = save(f"ceiling-{args.orders}", rows, keys=("part", "latency_ms"))
    print(table(rows, COLUMNS))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
