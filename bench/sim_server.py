"""The simulator in a process of its own, counting the API requests it serves.

Like ``korsync fake-api`` but also answers ``GET /_bench/requests`` with the number of requests
served so far (``/_sim/`` and ``/_bench/`` calls excluded), those to the orders collection, and
with ``--rate-limit`` how many were answered and refused with a 429, so a benchmark can tell
what the measured tool asked for. ``--live`` starts the simulated clock at the real now (orders
created while it runs, at ``--arrival-rate`` a second, carry real timestamps);
``--organizations N --shared-catalogue`` serves N accounts (their tokens follow from the seed:
``korsync.fake_api.auth.credentials``). Prints
``URL <base>`` and ``TOKEN <token>`` then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import threading
from collections.abc import Callable, Iterable
from typing import Any

from korsync.fake_api import serve
from korsync.fake_api.command import build_simulator
from korsync.fake_api.faults import Faults


class CountingApp:
    """WSGI wrapper counting API requests; every other attribute is the wrapped app's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.count = 0
        self.orders = 0
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/requests":
            limit = self.app.rate_limit
            counts = {"requests": self.count, "orders_requests": self.orders}
            if limit is not None:
                counts |= {"answered": limit.allowed, "refused": limit.refused}
            body = json.dumps(counts).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if not path.startswith("/_sim/"):
            with self.lock:
                self.count += 1
                self.orders += path.startswith("/v1/booking/orders")
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate-limit", type=float, default=None)
    parser.add_argument("--arrival-rate", type=float, default=0.0)
    parser.add_argument("--live", action="store_true")
    parser.add_argument("--organizations", type=int, default=1)
    parser.add_argument("--shared-catalogue", action="store_true")
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC) if args.live else None
    sim = build_simulator(
        args.seed, args.orders, "both", Faults(), args.latency_ms, args.arrival_rate, 86_400,
        args.organizations, now=now, rate_limit=args.rate_limit,
        shared_catalogue=args.shared_catalogue,
    )  # fmt: skip
    sim.wsgi = CountingApp(sim.wsgi)  # type: ignore[assignment]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serve(sim) as base_url:
        print(f"URL {base_url}", flush=True)
        print(f"TOKEN {sim.token}", flush=True)
        while not stop.wait(0.5):
            pass


if __name__ == "__main__":
    main()
