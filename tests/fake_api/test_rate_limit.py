"""``--rate-limit``: a token bucket per token answers requests beyond it with a 429 and
``Retry-After`` (a problem document); the control API is never limited. The bucket runs on a
fake clock here."""

from __future__ import annotations

import subprocess
import sys

import pytest

from korsync.fake_api.messages import Request
from korsync.fake_api.ratelimit import RateLimit
from tests.support.fake_api import client_for, korsync_env, make_sim


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def _request(token: str) -> Request:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/booking/orders", "QUERY_STRING": ""}
    return Request.from_environ({**environ, "HTTP_AUTHORIZATION": f"Bearer {token}"})


def test_bucket_allows_a_burst_then_refuses_until_a_token_is_back() -> None:
    """Two per second: two at once pass, the third gets a 429 with Retry-After 1; half a
    second later one more passes. Another token has a bucket of its own."""
    clock = Clock()
    limit = RateLimit(2.0, clock=clock)
    assert limit.refusal(_request("a")) is None
    assert limit.refusal(_request("a")) is None
    refused = limit.refusal(_request("a"))
    assert refused is not None and refused.status == 429
    assert ("Retry-After", "1") in refused.headers
    assert limit.refusal(_request("b")) is None
    clock.now += 0.5
    assert limit.refusal(_request("a")) is None
    assert (limit.allowed, limit.refused) == (4, 1)


def test_a_limit_below_one_per_second_still_lets_one_through() -> None:
    """0.5/s: one request passes, the next waits two seconds for its token."""
    clock = Clock()
    limit = RateLimit(0.5, clock=clock)
    assert limit.refusal(_request("a")) is None
    refused = limit.refusal(_request("a"))
    assert refused is not None and ("Retry-After", "2") in refused.headers


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan")])
def test_nonsense_limits_are_refused(value: float) -> None:
    """A limit that is not a positive finite number is refused by the simulator's config."""
    with pytest.raises(ValueError, match="rate_limit"):
        make_sim(rate_limit=value)


def test_simulator_answers_429_as_a_problem_document() -> None:
    """Past its limit the simulator answers 429 with a problem document and Retry-After; its
    control API is never limited."""
    sim = make_sim(rate_limit=1.0)
    with client_for(sim) as api:
        assert api.get("/v1/booking/orders").status_code == 200
        refused = api.get("/v1/booking/orders")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["status"] == 429
        assert api.get("/_sim/state").status_code != 429


@pytest.mark.parametrize("value", ["0", "-3", "many", "1e400", "inf", "2000000"])
def test_rate_limit_option_border(value: str) -> None:
    """A --rate-limit that is not a positive number up to a million is a usage error (2)."""
    done = subprocess.run(
        [sys.executable, "-m", "korsync", "fake-api", "--port", "0", "--rate-limit", value],
        env=korsync_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--rate-limit" in done.stderr
    assert "Traceback" not in done.stderr
