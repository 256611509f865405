"""Helpers for the simulator's tests: a frozen-clock simulator and an authenticated in-process
httpx client of it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import httpx

from korsync.fake_api import SimConfig, Simulator

NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
BASE_URL = "http://korus.test"


def make_sim(**overrides: Any) -> Simulator:
    """A simulator with a frozen clock at ``NOW`` (overrides go to ``SimConfig``)."""
    options: dict[str, Any] = {"seed": 1, "orders": 300, "now": NOW, "clock_running": False}
    options.update(overrides)
    return Simulator(SimConfig(**options))


def client_for(sim: Simulator, token: str | None = None) -> httpx.Client:
    """An in-process client of ``sim`` sending ``token`` (default: the static token)."""
    headers = {"Accept": "application/ld+json", "Authorization": f"Bearer {token or sim.token}"}
    return httpx.Client(
        transport=httpx.WSGITransport(app=sim.wsgi), base_url=BASE_URL, headers=headers
    )


def korsync_env(**extra: str) -> dict[str, str]:
    """This environment without any ``KORSYNC_*`` setting, quiet, plus ``extra``: for a korsync
    process that must see only what the test gives it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("KORSYNC_")}
    return {**base, "KORSYNC_LOG_LEVEL": "WARNING", **extra}


StartFakeApi = Callable[..., dict[str, str]]  # the ``start_fake_api`` fixture: args -> exports
