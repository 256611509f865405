"""The peer a user would pick instead: dlt (``bench/dlt_pipeline.py``) against the same
simulator into the same PostgreSQL server, with the same figures as ``bench/backfill.py``.

Creates ``bench/.venv-dlt`` with ``pip install "dlt[postgres]"`` on first use. Writes
``bench/results/dlt-<orders>.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from typing import Any

from common import BENCH, db_name, measure, psql, save, scratch_postgres, simulator, table

DLT_VENV = BENCH / ".venv-dlt"
DLT_PYTHON = DLT_VENV / "bin" / "python"
COLUMNS = [
    "tool",
    "latency_ms",
    "orders",
    "wall_s",
    "orders_per_s",
    "requests",
    "cpu_s_per_1k_orders",
    "peak_rss_mb",
    "peak_pss_mb",
]


def ensure_venv() -> None:
    """Create the dlt venv unless it already imports dlt."""
    if DLT_PYTHON.exists():
        done = subprocess.run([str(DLT_PYTHON), "-c", "import dlt"], capture_output=True)
        if done.returncode == 0:
            return
    subprocess.run([sys.executable, "-m", "venv", str(DLT_VENV)], check=True)
    subprocess.run([str(DLT_PYTHON), "-m", "pip", "install", "-q", "dlt[postgres]"], check=True)


def run_one(orders: int, latency_ms: float) -> dict[str, Any]:
    """One full dlt load into a fresh database from a fresh simulator."""
    with (
        simulator(orders, latency_ms) as sim,
        scratch_postgres("bench_dlt") as url,
        tempfile.TemporaryDirectory(prefix="bench-dlt-") as pipelines,
    ):
        before = sim.requests()
        # dlt insists on a password; trust authentication ignores it.
        url = url.replace("postgres@", "postgres:unused@")
        command = [str(DLT_PYTHON), str(BENCH / "dlt_pipeline.py"), sim.base_url, sim.token]
        run = measure([*command, url, pipelines], {"RUNTIME__LOG_LEVEL": "WARNING"})
        requests = sim.requests() - before
        mirrored = int(psql("SELECT count(*) FROM korus.orders", db_name(url)))
        items = int(psql("SELECT count(*) FROM korus.orders__items", db_name(url)))
    return {
        "tool": "dlt",
        "latency_ms": latency_ms,
        "orders": mirrored,
        "items": items,
        "expected_orders": orders,
        "wall_s": run.wall_s,
        "cpu_s": run.cpu_s,
        "orders_per_s": mirrored / run.wall_s,
        "requests": requests,
        "requests_per_s": requests / run.wall_s,
        "cpu_s_per_1k_orders": run.cpu_s / mirrored * 1000,
        "peak_rss_mb": run.peak_rss_mb,
        "peak_pss_mb": run.peak_pss_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 100.0])
    args = parser.parse_args()
    ensure_venv()
    rows = []
    for latency in args.latency_ms:
        rows.append(run_one(args.orders, latency))
        print(table(rows[-1:], COLUMNS), flush=True)
    path = save(f"dlt-{args.orders}", rows, keys=("latency_ms",))
    print(table(rows, COLUMNS))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
