"""Fixtures for korsync.api tests: stamina's test mode (no backoff waits) for every test, clients
on the simulator behind a recording WSGI middleware (what the server saw), and clients on
hand-written servers (``httpx.MockTransport``) for behaviours the simulator cannot produce."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina

from korsync.api import ApiClient, ClientOptions
from korsync.fake_api import SimConfig, Simulator
from tests.support.api import BASE_URL, TOKEN, Handler, HarnessFactory, Recorder, SimHarness


@pytest.fixture(autouse=True)
def no_backoff_waits() -> Iterator[None]:
    """Backoff waits are removed (attempt caps of each client kept); tests that measure real
    waits switch test mode off themselves."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture
def static_token() -> str:
    """The static token mock_client uses unless told otherwise."""
    return TOKEN


@pytest.fixture
def mock_client() -> Iterator[Callable[..., ApiClient]]:
    """Build ApiClients (static token unless overridden) served by a request handler."""
    clients: list[ApiClient] = []

    def build(handler: Handler, **options: Any) -> ApiClient:
        options.setdefault("token", TOKEN)
        options.setdefault("adaptive", False)
        client = ApiClient(
            ClientOptions(base_url=BASE_URL, **options), transport=httpx.MockTransport(handler)
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def make_harness() -> Iterator[HarnessFactory]:
    """Build harnesses on new simulators: ``make_harness(SimConfig(...), drop_api_auth=False)``."""
    made: list[SimHarness] = []

    def build(config: SimConfig, *, drop_api_auth: bool = False) -> SimHarness:
        sim = Simulator(config)
        made.append(SimHarness(sim, Recorder(sim.wsgi, drop_api_auth=drop_api_auth)))
        return made[-1]

    yield build
    for harness in made:
        for client in harness.clients:
            client.close()


@pytest.fixture
def harness(make_harness: HarnessFactory) -> SimHarness:
    """A simulator with 120 orders (three pages of 50) and the default 30-minute tokens."""
    return make_harness(SimConfig(seed=7, orders=120))
