"""The simulator in a process of its own, counting the API requests it serves.

Like ``korsync fake-api`` but also answers ``GET /_bench/requests`` with the number of requests
served so far (``/_sim/`` and ``/_bench/`` calls excluded), so a benchmark can tell how many
requests the measured tool made. Prints ``URL <base>`` and ``TOKEN <token>`` then serves until
SIGTERM.
"""

from __future__ import annotations

import argparse
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
        self.lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_bench/requests":
            body = json.dumps({"requests": self.count}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if not path.startswith("/_sim/"):
            with self.lock:
                self.count += 1
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sim = build_simulator(args.seed, args.orders, "both", Faults(), args.latency_ms, 0.0, 86_400)
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
