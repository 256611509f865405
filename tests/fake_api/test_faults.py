"""Faults: each kind through ``inject``, the spec parser, rate draws that follow the seed."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime

import httpx
import pytest

from korsync.fake_api import FAULT_KINDS, Faults, Simulator
from tests.support.fake_api import client_for, make_sim

ORDERS = "/v1/booking/orders"


def test_fault_spec_parses_rates_and_settings() -> None:
    """A CLI spec sets rates, Retry-After and the slow delay, and round-trips through spec()."""
    faults = Faults.parse("429=0.05, 500=0.02,slow=0.01,retry_after=date:3,slow_seconds=2.5")
    assert faults.rate("429") == 0.05 and faults.rate("slow") == 0.01 and faults.rate("502") == 0
    assert (faults.retry_after, faults.retry_after_format, faults.slow_seconds) == (3, "date", 2.5)
    assert Faults.parse(faults.spec()) == faults
    assert Faults.parse("retry_after=none").retry_after is None


@pytest.mark.parametrize("spec", ["teapot=0.1", "500=2", "500", "500=x", "retry_after=soon"])
def test_bad_fault_specs_are_refused(spec: str) -> None:
    """Unknown kinds, rates outside 0..1 and malformed entries raise ValueError."""
    with pytest.raises(ValueError):
        Faults.parse(spec)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("retry_after=7", "7"), ("retry_after=0", "0"), ("retry_after=none", None)],
)
def test_429_carries_retry_after_as_configured(
    fresh: Simulator, fresh_api: httpx.Client, setting: str, expected: str | None
) -> None:
    """429 comes with Retry-After seconds, 0, or no header, as configured."""
    fresh.faults = Faults.parse(setting)
    fresh.inject("429")
    response = fresh_api.get(ORDERS)
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert response.headers.get("retry-after") == expected
    assert fresh_api.get(ORDERS).status_code == 200


def test_429_retry_after_as_http_date(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """retry_after=date sends an HTTP date."""
    fresh.faults = Faults.parse("retry_after=date:2")
    fresh.inject("429")
    header = fresh_api.get(ORDERS).headers["retry-after"]
    assert parsedate_to_datetime(header).tzinfo is not None


def test_500_is_a_problem_document(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """500 answers with the backend's problem document."""
    fresh.inject("500")
    response = fresh_api.get(ORDERS)
    assert response.status_code == 500
    assert response.json()["@type"] == "Error"


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_html_pages(
    fresh: Simulator, fresh_api: httpx.Client, status: int
) -> None:
    """502/503/504 come from the load balancer as HTML, not JSON."""
    fresh.inject(str(status), count=2)
    for _ in range(2):
        response = fresh_api.get(ORDERS)
        assert response.status_code == status
        assert response.headers["content-type"] == "text/html"
        assert f"<h1>{status}" in response.text
    assert fresh_api.get(ORDERS).status_code == 200


def test_slow_in_process_raises_read_timeout(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """In-process, a slow response is the client's read timeout."""
    fresh.inject("slow")
    with pytest.raises(httpx.ReadTimeout):
        fresh_api.get(ORDERS)


def test_reset_in_process_raises_read_error(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """In-process, a reset connection is an httpx.ReadError."""
    fresh.inject("reset")
    with pytest.raises(httpx.ReadError):
        fresh_api.get(ORDERS)
    assert fresh_api.get(ORDERS).status_code == 200


def test_truncated_body_is_cut_mid_json(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """A truncated body is the first half of the JSON, with the full Content-Length."""
    fresh.inject("truncated")
    response = fresh_api.get(ORDERS)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_invalid_json_body(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """invalid_json prefixes a PHP warning to an otherwise valid body."""
    fresh.inject("invalid_json")
    response = fresh_api.get(ORDERS)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_repeat_page_serves_the_previous_page(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """repeat_page waits for page >= 2 and then serves page 1's members again."""
    fresh.inject("repeat_page")
    first = fresh_api.get(ORDERS, params={"page": 1}).json()
    second = fresh_api.get(ORDERS, params={"page": 2}).json()
    assert second["member"] == first["member"]
    assert second["view"]["@id"].endswith("page=2")
    again = fresh_api.get(ORDERS, params={"page": 2}).json()
    assert again["member"] != first["member"]


def test_unknown_fields_appear_on_members(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """unknown_field adds fields the spec does not define to members and order items."""
    fresh.inject("unknown_field")
    member = fresh_api.get(ORDERS).json()["member"][0]
    assert "loyaltyPoints" in member and "vatRate" in member["items"][0]


def test_bad_enum_value_on_one_member(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """bad_enum gives the first order the undocumented status 'refunded'."""
    fresh.inject("bad_enum")
    members = fresh_api.get(ORDERS).json()["member"]
    assert members[0]["status"] == "refunded"
    assert all(m["status"] in ("confirmed", "cancelled") for m in members[1:])


def test_injection_targets_a_path_prefix(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """A prefixed injection skips other paths and can hit the token endpoint."""
    fresh.inject("503", path_prefix="/v1/ticketing")
    assert fresh_api.get(ORDERS).status_code == 200
    assert fresh_api.get("/v1/ticketing/catalogs").status_code == 503
    fresh.inject("500", path_prefix="/realms/")
    assert fresh_api.post(fresh.token_path, data={}).status_code == 500


def test_control_api_is_never_faulted(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """With every request failing, /_sim/ still answers."""
    fresh.faults.set("500", 1.0)
    assert fresh_api.get(ORDERS).status_code == 500
    assert fresh_api.get("/_sim/state").status_code == 200


def _statuses(seed: int) -> list[int]:
    sim = make_sim(seed=seed, faults=Faults.parse("500=0.2,503=0.1,429=0.1"))
    with client_for(sim) as api:
        return [api.get(ORDERS, params={"itemsPerPage": 1}).status_code for _ in range(60)]


def test_rate_faults_follow_the_seed() -> None:
    """Equal seeds give the same fault sequence; rates are roughly honoured."""
    first, second = _statuses(3), _statuses(3)
    assert first == second
    assert 10 <= sum(status != 200 for status in first) <= 40
    assert first != _statuses(4)


def test_every_kind_is_known() -> None:
    """The documented fault kinds are all accepted."""
    expected = {"429", "500", "502", "503", "504", "slow", "truncated", "invalid_json"}
    expected |= {"reset", "repeat_page", "unknown_field", "bad_enum"}
    assert set(FAULT_KINDS) == expected
    for kind in FAULT_KINDS:
        Faults().set(kind, 0.5)
