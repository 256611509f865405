"""The real HTTP server (``serve``) and the ``fake-api`` command's option parsing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from korsync.fake_api import Faults, Simulator, serve
from korsync.fake_api import command as command_module
from korsync.fake_api.command import fake_api
from tests.support.fake_api import make_sim

ORDERS = "/v1/booking/orders"


def test_serve_answers_over_http_with_keep_alive() -> None:
    """A real socket: token endpoint, API and control API, several requests on one connection."""
    sim = make_sim(orders=120)
    with serve(sim) as base_url, httpx.Client(base_url=base_url) as client:
        assert base_url.startswith("http://127.0.0.1:")
        form = {
            "grant_type": "client_credentials",
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        }
        token = client.post(sim.token_path, data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        pages = [client.get(ORDERS, params={"page": p}, headers=headers) for p in (1, 2, 3)]
        assert [p.status_code for p in pages] == [200, 200, 200]
        assert pages[0].json()["totalItems"] == 120
        assert client.get("/_sim/orders").json()["orders"][0] == next(sim.orders_truth())


@pytest.fixture
def served() -> Iterator[tuple[Simulator, httpx.Client]]:
    """A served simulator and a client with a short timeout."""
    sim = make_sim(orders=30, faults=Faults(slow_seconds=1.0))
    headers = {"Authorization": f"Bearer {sim.token}"}
    with (
        serve(sim) as base_url,
        httpx.Client(base_url=base_url, headers=headers, timeout=0.3) as client,
    ):
        yield sim, client


def test_reset_closes_the_socket_without_a_response(served: tuple[Simulator, httpx.Client]) -> None:
    """On the wire, reset is a transport error, and the next request works."""
    sim, client = served
    sim.inject("reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get(ORDERS)
    assert client.get(ORDERS).status_code == 200


def test_truncated_body_breaks_the_message(served: tuple[Simulator, httpx.Client]) -> None:
    """On the wire, a truncated body ends the connection before Content-Length is reached."""
    sim, client = served
    sim.inject("truncated")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(ORDERS)
    assert client.get(ORDERS).status_code == 200


def test_slow_response_times_the_client_out(served: tuple[Simulator, httpx.Client]) -> None:
    """On the wire, slow stalls longer than the client's timeout."""
    sim, client = served
    sim.inject("slow")
    with pytest.raises(httpx.ReadTimeout):
        client.get(ORDERS)


def test_command_options_build_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """fake-api parses its options into the simulator and prints URL, token and client."""
    seen: dict[str, Any] = {}

    @contextlib.contextmanager
    def fake_serve(sim: Simulator, host: str, port: int) -> Iterator[str]:
        seen.update(sim=sim, host=host, port=port)
        yield f"http://{host}:{port}"

    class Instant:
        def wait(self, timeout: float) -> bool:
            return True

    monkeypatch.setattr(command_module, "serve", fake_serve)
    monkeypatch.setattr("korsync.fake_api.command.threading.Event", Instant)
    args = ["--port", "9911", "--seed", "5", "--orders", "77", "--catalog-model", "events"]
    args += ["--faults", "429=0.5,retry_after=0", "--latency-ms", "3", "--token-lifetime", "60"]
    result = CliRunner().invoke(fake_api, [*args, "--arrival-rate", "1.5"])
    assert result.exit_code == 0, result.output
    sim: Simulator = seen["sim"]
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9911)
    config = sim.config
    assert (config.seed, config.orders, config.catalog_model) == (5, 77, "events")
    assert (config.latency_ms, config.arrival_rate, config.token_lifetime) == (3, 1.5, 60)
    assert (config.faults.rate("429"), config.faults.retry_after) == (0.5, 0)
    assert "http://127.0.0.1:9911" in result.output
    assert sim.token in result.output and sim.client_secret in result.output


def test_command_rejects_a_bad_fault_spec() -> None:
    """An invalid --faults value is a usage error."""
    result = CliRunner().invoke(fake_api, ["--faults", "teapot=1"])
    assert result.exit_code == 2
    assert "unknown fault kind" in result.output
