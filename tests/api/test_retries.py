"""Retry rules of ApiClient against the simulator's faults: what is retried, how long it waits
(Retry-After in seconds, as a date, 0 or missing), when it gives up, and what is never retried."""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING

import pytest
import stamina

from korsync.api import (
    ApiClient,
    ClientOptions,
    DeadlineExceededError,
    NotFoundError,
    RetriesExhaustedError,
    StatusError,
)
from korsync.fake_api import SimConfig, serve

if TYPE_CHECKING:
    from tests.support.api import HarnessFactory, SimHarness

ORDERS = "/v1/booking/orders"
RETRIED_FAULTS = ["429", "500", "502", "503", "504", "truncated", "invalid_json", "reset", "slow"]


def retry_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The retry warnings korsync.api logged."""
    return [r for r in caplog.records if r.name == "korsync.api" and r.levelno == logging.WARNING]


@pytest.mark.parametrize("kind", RETRIED_FAULTS)
def test_fault_is_retried_until_success(
    harness: SimHarness, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each retryable fault (status, broken body, reset, timeout) is retried and logged."""
    client = harness.client()
    client.get_json("/v1/ticketing/catalogs")  # token fetched before the faults start
    harness.sim.inject(kind, count=2, path_prefix=ORDERS)
    caplog.set_level(logging.WARNING, logger="korsync.api")
    body = client.get_json(ORDERS)
    assert body["totalItems"] == 120
    assert len(harness.recorder.paths(ORDERS)) == 3
    records = retry_records(caplog)
    assert len(records) == 2
    assert all(ORDERS in r.getMessage() for r in records)


def test_retries_are_bounded_by_attempts(harness: SimHarness) -> None:
    """After max_attempts failures the error names URL, attempts and the last status."""
    harness.sim.inject("503", count=10, path_prefix=ORDERS)
    with pytest.raises(RetriesExhaustedError) as caught:
        harness.client(max_attempts=3).get_json(ORDERS, {"page": 2})
    error = caught.value
    assert (error.attempts, error.status) == (3, 503)
    assert "http://korus.test/v1/booking/orders?page=2" in str(error)
    assert "last status 503" in str(error)
    assert len(harness.recorder.paths(ORDERS)) == 3


def test_client_error_is_not_retried(harness: SimHarness) -> None:
    """A 400 from the API fails at once, naming the URL and the server's detail."""
    with pytest.raises(StatusError) as caught:
        harness.client().get_json(ORDERS, {"page": 0})
    assert caught.value.status == 400
    assert "Page should not be less than 1" in str(caught.value)
    assert len(harness.recorder.paths(ORDERS)) == 1


def test_other_catalogue_model_answers_not_found(make_harness: HarnessFactory) -> None:
    """An account on the product-base model answers 404 on event endpoints: NotFoundError."""
    harness = make_harness(SimConfig(seed=3, orders=0, catalog_model="product_bases"))
    with harness.client() as client:
        catalog = next(client.iter_pages("/v1/ticketing/catalogs")).items[0]["id"]
        with pytest.raises(NotFoundError):
            list(client.iter_pages(f"/v1/ticketing/catalogs/{catalog}/events"))
        assert list(client.iter_pages(f"/v1/ticketing/catalogs/{catalog}/product_bases"))
    assert len(harness.recorder.paths(f"/v1/ticketing/catalogs/{catalog}/events")) == 1


def test_retry_after_seconds_is_honoured(
    harness: SimHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Retry-After: 7 makes the next attempt wait 7 s (waits removed by stamina's test mode)."""
    harness.sim.faults.retry_after = 7
    harness.sim.inject("429", path_prefix=ORDERS)
    caplog.set_level(logging.WARNING, logger="korsync.api")
    harness.client().get_json(ORDERS)
    [record] = retry_records(caplog)
    assert record.retry_wait == 7.0  # type: ignore[attr-defined]  # an extra= of the log call
    assert "Retry-After" in record.getMessage()


def test_retry_after_http_date_is_honoured(
    harness: SimHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """Retry-After as an HTTP date 30 s ahead makes the next attempt wait about 30 s."""
    harness.sim.faults.retry_after = 30
    harness.sim.faults.retry_after_format = "date"
    harness.sim.inject("429", path_prefix=ORDERS)
    caplog.set_level(logging.WARNING, logger="korsync.api")
    harness.client().get_json(ORDERS)
    [record] = retry_records(caplog)
    assert 28.0 <= record.retry_wait <= 30.0  # type: ignore[attr-defined]  # an extra= of the log call


def test_missing_retry_after_backs_off_exponentially(
    harness: SimHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 without Retry-After waits the exponential backoff (growing), not zero."""
    harness.sim.faults.retry_after = None
    harness.sim.inject("429", count=2, path_prefix=ORDERS)
    caplog.set_level(logging.WARNING, logger="korsync.api")
    harness.client(backoff_initial_s=0.5).get_json(ORDERS)
    waits = [r.retry_wait for r in retry_records(caplog)]  # type: ignore[attr-defined]  # an extra= of the log call
    assert waits == [0.5, 1.0]


def test_retry_after_zero_really_backs_off(harness: SimHarness) -> None:
    """Retry-After: 0 still sleeps the backoff (0.1 s, then 0.2 s): no tight retry loop."""
    harness.sim.faults.retry_after = 0
    harness.sim.inject("429", count=2, path_prefix=ORDERS)
    client = harness.client(backoff_initial_s=0.1, backoff_jitter_s=0.0)
    with stamina.set_testing(False):
        started = time.monotonic()
        client.get_json(ORDERS)
        elapsed = time.monotonic() - started
    assert len(harness.recorder.paths(ORDERS)) == 3
    assert elapsed >= 0.3


def test_retry_after_beyond_deadline_gives_up_at_once(harness: SimHarness) -> None:
    """A Retry-After longer than the deadline ends the call after one request."""
    harness.sim.faults.retry_after = 3600
    harness.sim.inject("429", path_prefix=ORDERS)
    with pytest.raises(DeadlineExceededError, match="Retry-After of 3600s") as caught:
        harness.client(deadline_s=60).get_json(ORDERS)
    assert caught.value.status == 429
    assert len(harness.recorder.paths(ORDERS)) == 1


def test_total_deadline_stops_retries(harness: SimHarness) -> None:
    """With real backoff, attempts stop once the next one could not start before the deadline."""
    harness.sim.inject("503", count=100, path_prefix=ORDERS)
    client = harness.client(
        max_attempts=50, deadline_s=0.5, backoff_initial_s=0.1, backoff_jitter_s=0.0
    )
    with stamina.set_testing(False), pytest.raises(DeadlineExceededError) as caught:
        client.get_json(ORDERS)
    assert caught.value.attempts == 3  # waits 0.1 + 0.2; a third wait of 0.4 would pass 0.5 s
    assert len(harness.recorder.paths(ORDERS)) == 3
    assert "0.5s deadline" in str(caught.value)


def test_connect_errors_are_retried_then_reported() -> None:
    """A refused connection is retried up to max_attempts; the error has no status."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = ClientOptions(base_url=f"http://127.0.0.1:{port}", token="t0ken", max_attempts=3)
    with ApiClient(options) as client, pytest.raises(RetriesExhaustedError) as caught:
        client.get_json(ORDERS)
    assert (caught.value.attempts, caught.value.status) == (3, None)
    assert "ConnectError" in str(caught.value)


@pytest.mark.parametrize("kind", ["reset", "truncated", "slow"])
def test_socket_faults_over_a_real_server(
    kind: str, caplog: pytest.LogCaptureFixture, make_harness: HarnessFactory
) -> None:
    """On a real socket, a TCP reset, a cut-short body and a stalled reply are each retried."""
    harness = make_harness(SimConfig(seed=5, orders=60))
    harness.sim.faults.slow_seconds = 1.0
    harness.sim.inject(kind, path_prefix=ORDERS)
    caplog.set_level(logging.WARNING, logger="korsync.api")
    with serve(harness.sim) as base_url:
        options = ClientOptions(base_url=base_url, token=harness.sim.token, timeout_s=0.3)
        with ApiClient(options) as client:
            assert client.get_json(ORDERS)["totalItems"] == 60
    [record] = retry_records(caplog)
    expected = {
        "reset": ("ReadError", "RemoteProtocolError"),  # RST before or after the request is read
        "truncated": ("RemoteProtocolError",),
        "slow": ("ReadTimeout",),
    }
    assert any(f"{name}: " in record.getMessage() for name in expected[kind])


def test_walk_over_a_real_server_with_random_faults(make_harness: HarnessFactory) -> None:
    """A full walk over sockets with random 429/503/reset/truncated faults loses nothing."""
    harness = make_harness(SimConfig(seed=11, orders=260))
    for kind, rate in {"429": 0.1, "503": 0.1, "reset": 0.05, "truncated": 0.05}.items():
        harness.sim.faults.set(kind, rate)
    harness.sim.faults.retry_after = 0
    truth = {order["id"] for order in harness.sim.orders_truth()}
    with serve(harness.sim) as base_url:
        options = ClientOptions(base_url=base_url, token=harness.sim.token, max_attempts=10)
        with ApiClient(options) as client:
            ids = [item["id"] for page in client.iter_pages(ORDERS) for item in page.items]
    assert sorted(ids) == sorted(truth)


def test_each_retry_is_logged_once_in_all(
    harness: SimHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """One line per retry: korsync's, with the reason; stamina's own line is not added."""
    client = harness.client(backoff_initial_s=0.001, backoff_max_s=0.001, backoff_jitter_s=0)
    client.get_json("/v1/ticketing/catalogs")
    harness.sim.inject("503", count=2, path_prefix=ORDERS)
    caplog.set_level(logging.DEBUG)
    with stamina.set_testing(False):  # testing mode would skip stamina's hooks
        client.get_json(ORDERS)
    retries = [r for r in caplog.records if "retr" in r.getMessage().lower()]
    assert len(retries) == 2
    assert {r.name for r in retries} == {"korsync.api"}
