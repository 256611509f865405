"""``korsync demo``: the whole product in one command, on the embedded default.

It starts the bundled simulator on a free loopback port, migrates the database, syncs every
stream over real HTTP exactly as against KorusTicket, then prints the rows per table, the time
taken and the answer of one reporting query.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import Engine, text

from korsync import status
from korsync.api.client import ApiClient, ClientOptions
from korsync.db.engine import make_session_factory
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import SimConfig, Simulator, serve
from korsync.sync.streams import SyncOptions, run_streams

REVENUE_BY_CATALOG = """
SELECT c.name AS catalog,
       COUNT(*) AS orders,
       SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
       ROUND(SUM(CASE WHEN o.status <> 'cancelled' THEN o.total_amount_incl_tax ELSE 0 END), 2)
         AS revenue
FROM orders o LEFT JOIN catalogs c ON c.id = o.catalog_id
GROUP BY c.name ORDER BY revenue DESC
"""


def run(engine: Engine, *, orders: int, seed: int, echo: Callable[[str], None]) -> bool:
    """Run the demo; returns whether every stream succeeded."""
    began = time.monotonic()
    simulator = Simulator(SimConfig(seed=seed, orders=orders, now=dt.datetime.now(dt.UTC)))
    upgrade_to_head(engine)
    echo(f"database: {engine.url.render_as_string(hide_password=True)} (migrated)")
    with serve(simulator) as base_url:
        echo(f"simulator: {base_url} with {orders} orders (seed {seed})")
        options = ClientOptions(base_url=base_url, token=simulator.token, adaptive=False)
        with ApiClient(options) as client:
            outcomes = run_streams(client, make_session_factory(engine), SyncOptions())
    for outcome in outcomes:
        echo(f"  {outcome.name}: {outcome.run.summary() if outcome.run else outcome.error}")
    report = status.collect(engine)
    echo("rows per table:")
    for table, count in report.row_counts.items():
        echo(f"  {table:<24}{count:>8}")
    echo("revenue by catalog (cancelled orders excluded):")
    with engine.connect() as connection:
        for row in connection.execute(text(REVENUE_BY_CATALOG)):
            name = row.catalog or "?"
            line = f"{row.orders:>6} orders {row.cancelled:>5} cancelled {row.revenue:>14} EUR"
            echo(f"  {name:<40}{line}")
    echo(f"done in {time.monotonic() - began:.1f}s")
    return all(outcome.ok for outcome in outcomes)
