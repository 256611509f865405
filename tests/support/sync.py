"""Helpers for sync tests: a simulator with a standing clock, a client talking to it in-process
through a counting transport, and a check that compares the mirror with the simulator's ground
truth."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from korsync.api.client import ApiClient, ClientOptions
from korsync.fake_api import SimConfig, Simulator
from korsync.models import Order, OrderItem, OrderItemTicket

# A recent "now", so orders fall inside the reconcile window of the real clock.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)


class CountingTransport(httpx.BaseTransport):
    """The simulator's in-process transport, counting requests and running server-side
    events before the n-th request (to make things happen mid-walk)."""

    def __init__(self, sim: Simulator) -> None:
        self.inner = httpx.WSGITransport(app=sim.wsgi)
        self.requests: list[httpx.Request] = []
        self.before: dict[int, Callable[[], Any]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        event = self.before.pop(len(self.requests), None)
        if event is not None:
            event()
        return self.inner.handle_request(request)


def make_sim(**config: Any) -> Simulator:
    """A simulator whose clock stands still at ``NOW`` unless the test moves it."""
    defaults: dict[str, Any] = {"seed": 3, "orders": 180, "now": NOW, "clock_running": False}
    return Simulator(SimConfig(**{**defaults, **config}))


def make_client(
    sim: Simulator, transport: httpx.BaseTransport | None = None, **options: Any
) -> ApiClient:
    """An ``ApiClient`` on the simulator, with short backoffs so retries stay fast."""
    defaults: dict[str, Any] = {
        "base_url": "http://korus.test",
        "token": sim.token,
        "adaptive": False,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "backoff_jitter_s": 0.01,
    }
    return ApiClient(
        ClientOptions(**{**defaults, **options}), transport=transport or CountingTransport(sim)
    )


def open_ticket(sim: Simulator) -> tuple[str, str]:
    """(order id, ticket id) of the first confirmed order's ticket waiting for a beneficiary."""
    for order in sim.orders_truth():
        for item in order["items"]:
            for ticket in item["tickets"]:
                if (
                    ticket["status"] == "waiting_beneficiary_data"
                    and order["status"] == "confirmed"
                ):
                    return order["id"], ticket["id"]
    raise AssertionError("the simulator made no ticket waiting for a beneficiary")


def _json(value: Any) -> Any:
    """A JSON value read from a view (SQLite returns its text)."""
    return json.loads(value) if isinstance(value, str) else value


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "@context"}


def assert_orders_mirrored(engine: Engine, sim: Simulator, org: int = 0) -> None:
    """The orders tables hold exactly the simulator's orders (of organization ``org``), field
    for field (rebuilt from their rows by the ``orders_as_sent`` view), and no order repeats its
    items in ``raw``."""
    truth = {o["id"]: _comparable(o) for o in sim.orders_truth(org)}
    with Session(engine) as session:
        rebuilt = session.execute(text("SELECT raw FROM orders_as_sent")).scalars()
        mirrored = {o["id"]: _comparable(o) for o in map(_json, rebuilt)}
        repeating = sum("items" in (raw or {}) for raw in session.scalars(select(Order.raw)))
        items = session.scalar(select(func.count()).select_from(OrderItem))
        tickets = session.scalar(select(func.count()).select_from(OrderItemTicket))
    assert mirrored.keys() == truth.keys(), "order ids differ"
    assert repeating == 0, "orders.raw repeats items"
    differing = [order_id for order_id, order in truth.items() if mirrored[order_id] != order]
    assert not differing, f"{len(differing)} orders differ, e.g. {differing[:3]}"
    assert items == sum(len(o["items"]) for o in truth.values())
    assert tickets == sum(len(i["tickets"]) for o in truth.values() for i in o["items"])


def korsync_process(
    database_url: str, base_url: str, token: str, *args: str
) -> subprocess.Popen[bytes]:
    """``korsync *args`` in its own process against ``base_url`` (a test kills it at will)."""
    env = {
        **os.environ,
        "KORSYNC_DATABASE_URL": database_url,
        "KORSYNC_API_URL": base_url,
        "KORSYNC_API_TOKEN": token,
        "KORSYNC_RATE_LIMIT": "1000",
    }
    command = [sys.executable, "-m", "korsync", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
