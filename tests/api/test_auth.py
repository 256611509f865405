"""Authentication against the simulator's token endpoint: client credentials, renewal before
expiry, refresh on a 401 mid-walk, a second 401, refused credentials, and that no token or
secret ever reaches a log line, an error message or a repr."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import pytest

from korsync.api import ApiError, AuthError
from korsync.fake_api import SimConfig

if TYPE_CHECKING:
    from tests.support.api import HarnessFactory, SimHarness

ORDERS = "/v1/booking/orders"


def test_client_credentials_grant_and_bearer(harness: SimHarness) -> None:
    """The client POSTs a client_credentials form once and sends the token as Bearer."""
    client = harness.client()
    client.get_json(ORDERS)
    client.get_json("/v1/ticketing/catalogs")
    [token_request] = harness.token_requests()
    assert token_request["method"] == "POST" and token_request["status"] == 200
    api = harness.api_requests()
    assert len(api) == 2
    assert api[0]["authorization"].startswith("Bearer ey")
    assert api[0]["authorization"] == api[1]["authorization"]


def test_token_shared_by_threads(harness: SimHarness) -> None:
    """Eight threads starting together share a single token request."""
    client = harness.client(max_concurrency=8)
    errors: list[Exception] = []

    def call() -> None:
        try:
            client.get_json(ORDERS)
        except Exception as exc:  # pragma: no cover - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(harness.token_requests()) == 1
    assert len(harness.api_requests()) == 8


def test_token_expiring_mid_walk_is_refreshed_on_401(make_harness: HarnessFactory) -> None:
    """A token that expires between pages gets a 401, one refresh, and the walk completes."""
    harness = make_harness(SimConfig(seed=7, orders=120, token_lifetime=2))
    client = harness.client()
    ids: list[str] = []
    for page in client.iter_pages(ORDERS):
        ids += [item["id"] for item in page.items]
        if page.page == 1:
            harness.sim.clock.advance(10)  # the server now sees our cached token as expired
    assert len(set(ids)) == 120
    assert [r["status"] for r in harness.api_requests()] == [200, 401, 200, 200]
    assert len(harness.token_requests()) == 2


def test_token_renewed_before_it_expires(make_harness: HarnessFactory) -> None:
    """With 1 s tokens and a slow walk, fresh tokens are fetched in time: no 401 at all."""
    harness = make_harness(SimConfig(seed=7, orders=120, token_lifetime=1))
    client = harness.client()
    pages = 0
    for _ in client.iter_pages(ORDERS):
        pages += 1
        time.sleep(0.45)
    assert pages == 3
    assert all(r["status"] == 200 for r in harness.api_requests())
    assert len(harness.token_requests()) >= 2


def test_second_401_is_a_clear_auth_error(make_harness: HarnessFactory) -> None:
    """A 401 that survives one token refresh raises AuthError without further retries."""
    harness = make_harness(SimConfig(seed=7, orders=10), drop_api_auth=True)
    with pytest.raises(AuthError, match="401 Unauthorized even with a freshly fetched token"):
        harness.client().get_json(ORDERS)
    assert len(harness.token_requests()) == 2
    assert len(harness.api_requests()) == 2


def test_refused_static_token(harness: SimHarness) -> None:
    """A static token the API refuses is an AuthError after a single request."""
    with pytest.raises(AuthError, match="API token was refused") as caught:
        harness.client(oidc=False, token="not-the-right-token").get_json(ORDERS)
    assert caught.value.status == 401
    assert len(harness.api_requests()) == 1


def test_refused_client_secret(harness: SimHarness) -> None:
    """Wrong client credentials end in an AuthError after one token request."""
    with pytest.raises(AuthError, match="token endpoint refused the client credentials") as caught:
        harness.client(client_secret="wrong-secret-value").get_json(ORDERS)
    assert "invalid_client" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value)
    assert len(harness.token_requests()) == 1
    assert harness.api_requests() == []


def test_token_endpoint_outage_is_retried(harness: SimHarness) -> None:
    """A 503 from the token endpoint is retried like any other request."""
    harness.sim.inject("503", count=2, path_prefix=harness.sim.token_path)
    harness.client().get_json(ORDERS)
    assert [r["status"] for r in harness.token_requests()] == [503, 503, 200]


def test_token_request_form(harness: SimHarness) -> None:
    """The token request is a form with grant_type, client_id and client_secret."""
    harness.client().get_json(ORDERS)
    [token_request] = harness.token_requests()
    form = parse_qs(token_request["body"].decode())
    assert form == {
        "grant_type": ["client_credentials"],
        "client_id": [harness.sim.client_id],
        "client_secret": [harness.sim.client_secret],
    }


def test_no_secret_in_logs_errors_or_reprs(
    caplog: pytest.LogCaptureFixture, make_harness: HarnessFactory
) -> None:
    """Across retries, refreshes and final errors, no token or secret is logged or shown."""
    harness = make_harness(SimConfig(seed=9, orders=120, token_lifetime=2))
    caplog.set_level(logging.DEBUG)
    client = harness.client(max_attempts=5)
    for kind in ("429", "503", "reset", "invalid_json"):
        harness.sim.inject(kind, path_prefix=ORDERS)
    pages = client.iter_pages(ORDERS)
    next(pages)
    harness.sim.clock.advance(10)
    list(pages)
    errors: list[ApiError] = []
    harness.sim.inject("503", count=5, path_prefix=ORDERS)
    with pytest.raises(ApiError) as exhausted:
        client.get_json(ORDERS)
    errors.append(exhausted.value)
    with pytest.raises(AuthError) as refused:
        harness.client(client_secret=harness.sim.client_secret + "x").get_json(ORDERS)
    errors.append(refused.value)
    with pytest.raises(AuthError) as static:
        harness.client(oidc=False, token=harness.sim.token + "x").get_json(ORDERS)
    errors.append(static.value)

    issued = {r["authorization"].split()[-1] for r in harness.api_requests() if r["authorization"]}
    secrets = {harness.sim.client_secret, harness.sim.token, *issued}
    assert len(issued) >= 2  # the refresh happened, so there is more than one token to hide
    shown = [caplog.text, repr(client), repr(client.options)]
    shown += [text for error in errors for text in (str(error), repr(error))]
    for secret in secrets:
        assert all(secret not in text for text in shown)
    assert "retrying GET" in caplog.text  # the logs were really captured
