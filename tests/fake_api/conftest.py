"""Fixtures for the simulator's tests: a small frozen-clock simulator and httpx clients on it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from korsync.fake_api import Simulator
from tests.support.fake_api import client_for, make_sim


@pytest.fixture(scope="module")
def sim() -> Simulator:
    """A read-only simulator shared by a test module (tests must not mutate it)."""
    return make_sim()


@pytest.fixture(scope="module")
def api(sim: Simulator) -> Iterator[httpx.Client]:
    """An authenticated in-process client of the shared simulator."""
    with client_for(sim) as client:
        yield client


@pytest.fixture
def fresh() -> Simulator:
    """A simulator of its own, for tests that change data, faults or the clock."""
    return make_sim()


@pytest.fixture
def fresh_api(fresh: Simulator) -> Iterator[httpx.Client]:
    """An authenticated in-process client of ``fresh``."""
    with client_for(fresh) as client:
        yield client
