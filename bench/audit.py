"""What a clean ``korsync audit`` costs in API requests, and what healing one window adds.

The simulator (in-process, seed 1, 1,000,000 orders over 3 years by default) is counted by a
transport around it. The mirror is filled directly with one row per simulated order (its
``createdAt``, a random id), not by a backfill: a clean audit only compares counts, so the rows'
content plays no part in what it requests, and a backfill of a million orders would take most
of the run. The orders watermark is set to the newest order, as a sync leaves it. Then:
``clean`` — the audit of the whole history; ``healing`` — the audit again after 3 orders were
committed late into one second two years back (the counts narrow them to an hour, which is
re-walked). Both with the content sample off; what the default 1 % sample adds to a clean
audit is computed, not run (the mirror's rows here are not the orders' content, so a re-read
would find every sampled day changed): one page per 50 orders of the sampled days, plus one
count each. Prints one Markdown table; writes nothing else. SQLite, in a temporary file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from korsync.api.client import ApiClient, ClientOptions
from korsync.db.engine import make_engine, make_session_factory
from korsync.db.migrate import upgrade_to_head
from korsync.fake_api import SimConfig, Simulator
from korsync.models import Order
from korsync.sync import state
from korsync.sync.audit import audit_orders
from korsync.sync.audit.sample import days_of, sample
from korsync.sync.orders import OrdersOptions

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


class Counting(httpx.BaseTransport):
    """The simulator's in-process transport, counting requests."""

    def __init__(self, sim: Simulator) -> None:
        self.inner, self.count = httpx.WSGITransport(app=sim.wsgi), 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return self.inner.handle_request(request)


def fill_mirror(sim: Simulator, url: str) -> int:
    """One orders row per simulated order (random id, its createdAt); returns the count."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    timeline = sim.orgs[0].generator.timeline
    newest = 0
    with engine.begin() as connection:
        for start in range(0, timeline.count, 50_000):
            rows: list[dict[str, Any]] = []
            for index in range(start, min(timeline.count, start + 50_000)):
                second = timeline.created(index)
                newest = max(newest, second)
                at = dt.datetime.fromtimestamp(second, dt.UTC)
                rows.append({"id": uuid.uuid4(), "created_at": at, "raw": {}, "synced_at": at})
            connection.execute(insert(Order), rows)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        state.save(session, "orders", watermark=dt.datetime.fromtimestamp(newest, dt.UTC))
    engine.dispose()
    return int(timeline.count)


def audit(sim: Simulator, url: str) -> dict[str, Any]:
    """One audit in-process; its requests, windows, healed, differing and wall time."""
    engine = make_engine(url)
    transport = Counting(sim)
    options = ClientOptions(base_url="http://korus.test", token=sim.token, rate_limit_per_s=None)
    started = time.perf_counter()
    with ApiClient(options, transport=transport) as client:
        outcome = audit_orders(client, make_session_factory(engine), OrdersOptions())
    wall = time.perf_counter() - started
    engine.dispose()
    return {
        "requests": transport.count,
        "windows": outcome.counted,
        "healed": len(outcome.healed),
        "differing": len(outcome.differing),
        "wall_s": round(wall, 2),
    }


def sample_cost(sim: Simulator, percent: float) -> tuple[int, int]:
    """Days a clean audit's first sample re-reads at ``percent``, and the requests that takes
    (pages of 50 plus one count per day), from the simulator's own counts."""
    org = sim.orgs[0]
    timeline = org.generator.timeline
    first = dt.datetime.fromtimestamp(timeline.created(0), dt.UTC)
    last = dt.datetime.fromtimestamp(timeline.created(timeline.count - 1), dt.UTC)
    days = sample(days_of(first, last), percent, None)
    requests = 0
    for day in days:
        total = org.orders.window(int(day.start.timestamp()), int(day.end.timestamp())).total
        requests += max(1, -(-total // 50)) + 1
    return len(days), requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()
    config = SimConfig(
        seed=1, orders=args.orders, history_days=365 * args.years, now=NOW, clock_running=False
    )
    sim = Simulator(config)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'audit.db'}"
        started = time.perf_counter()
        count = fill_mirror(sim, url)
        filled = time.perf_counter() - started
        clean = audit(sim, url)
        late = NOW - dt.timedelta(days=730, hours=5, minutes=17)
        sim.add_orders(3, created_at=late)
        healing = audit(sim, url)
        days, sampled = sample_cost(sim, 1.0)
    print(f"{count:,} orders over {args.years} years; mirror filled in {filled:.0f} s (SQLite)\n")
    print("| audit | requests | windows counted | healed | still differing | wall_s |")
    print("|---|---|---|---|---|---|")
    for name, row in (("clean", clean), ("healing 3 late orders", healing)):
        print(
            f"| {name} | {row['requests']} | {row['windows']} | {row['healed']} |"
            f" {row['differing']} | {row['wall_s']} |"
        )
    print(
        f"\nThe default 1 % content sample adds {days} days re-read: {sampled} requests"
        f" (computed), so a clean audit with it costs {clean['requests'] + sampled} requests."
    )


if __name__ == "__main__":
    main()
