"""Fixtures for the simulator's tests: a small frozen-clock simulator, httpx clients on it, and
``korsync fake-api`` started as a real process."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from korsync.fake_api import Simulator
from tests.support.fake_api import StartFakeApi, client_for, korsync_env, make_sim


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


@pytest.fixture
def start_fake_api() -> Iterator[StartFakeApi]:
    """Start ``korsync fake-api`` on a free port; returns what its ``export`` lines set. Each
    process is stopped with SIGTERM afterwards and must exit 0."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> dict[str, str]:
        command = [sys.executable, "-m", "korsync", "fake-api", "--port", "0", *args]
        process = subprocess.Popen(command, env=korsync_env(), stdout=subprocess.PIPE, text=True)
        started.append(process)
        exports: dict[str, str] = {}
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").strip().partition("=")
                exports[name] = shlex.split(value)[0]
            if line.startswith("Press Ctrl-C"):
                return exports
        raise AssertionError(f"fake-api exited with {process.wait()} before it was ready")

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
