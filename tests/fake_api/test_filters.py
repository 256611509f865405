"""Filters: createdAt bounds (on same-second bursts), external_reference, offers, product bases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import httpx
import pytest

from korsync.fake_api import Simulator

ORDERS = "/v1/booking/orders"


def _all(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        response = api.get(path, params={**params, "itemsPerPage": 50, "page": page})
        assert response.status_code == 200, response.text
        found += response.json()["member"]
        if "next" not in response.json()["view"]:
            return found
        page += 1


def _busiest_second(sim: Simulator) -> str:
    counts: Counter[str] = Counter(o["createdAt"] for o in sim.orders_truth())
    return max(counts, key=lambda stamp: (counts[stamp], stamp))


@pytest.mark.parametrize(
    ("bound", "keep"),
    [
        ("after", lambda c, b: c >= b),
        ("strictly_after", lambda c, b: c > b),
        ("before", lambda c, b: c <= b),
        ("strictly_before", lambda c, b: c < b),
    ],
)
def test_created_at_bounds_on_a_burst_second(
    sim: Simulator, api: httpx.Client, bound: str, keep: Any
) -> None:
    """Each createdAt bound keeps exactly the orders the truth says, at a shared second."""
    second = _busiest_second(sim)
    expected = [
        o["id"]
        for o in sim.orders_truth()
        if keep(dt.datetime.fromisoformat(o["createdAt"]), dt.datetime.fromisoformat(second))
    ]
    found = _all(api, ORDERS, **{f"createdAt[{bound}]": second})
    assert [o["id"] for o in found] == expected
    body = api.get(ORDERS, params={f"createdAt[{bound}]": second}).json()
    assert body["totalItems"] == len(expected)


def test_a_burst_is_one_bulk_second(sim: Simulator, api: httpx.Client) -> None:
    """after + before on the same second return exactly that second's burst."""
    second = _busiest_second(sim)
    found = _all(api, ORDERS, **{"createdAt[after]": second, "createdAt[before]": second})
    assert len(found) >= 2
    assert {o["createdAt"] for o in found} == {second}


def test_date_only_and_other_offsets_are_accepted(sim: Simulator, api: httpx.Client) -> None:
    """A plain date means midnight UTC; a +02:00 offset is converted."""
    orders = list(sim.orders_truth())
    day = orders[len(orders) // 2]["createdAt"][:10]
    midnight = dt.datetime.fromisoformat(day + "T00:00:00+00:00")
    expected = sum(dt.datetime.fromisoformat(o["createdAt"]) >= midnight for o in orders)
    plain = api.get(ORDERS, params={"createdAt[after]": day}).json()["totalItems"]
    shifted = api.get(ORDERS, params={"createdAt[after]": day + "T02:00:00+02:00"})
    assert plain == expected == shifted.json()["totalItems"]


@pytest.mark.parametrize("value", ["yesterday", "2025-13-01", "2025-02-30", "2025-01-01Tnoon"])
def test_malformed_date_filter_is_a_400_problem(api: httpx.Client, value: str) -> None:
    """A value that is not a date gets a 400 problem document naming the parameter."""
    response = api.get(ORDERS, params={"createdAt[strictly_after]": value})
    assert response.status_code == 400
    assert "createdAt[strictly_after]" in response.json()["detail"]


def test_bad_sort_direction_is_a_400_problem(api: httpx.Client) -> None:
    """order[createdAt] accepts asc/desc only."""
    assert api.get(ORDERS, params={"order[createdAt]": "sideways"}).status_code == 400


def test_external_reference_matches_exactly(sim: Simulator, api: httpx.Client) -> None:
    """external_reference finds the one order with that reference and nothing for others."""
    order = next(o for o in sim.orders_truth() if o["externalReference"])
    body = api.get(ORDERS, params={"external_reference": order["externalReference"]}).json()
    assert [m["id"] for m in body["member"]] == [order["id"]]
    missing = api.get(ORDERS, params={"external_reference": "WEB-9999999"}).json()
    assert missing["totalItems"] == 0
    assert api.get(ORDERS, params={"external_reference": "x" * 51}).status_code == 400


def test_external_reference_finds_posted_orders(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """Orders created later are found by their external reference too."""
    created = fresh.add_orders(2)
    reference = created[1]["externalReference"]
    body = fresh_api.get(ORDERS, params={"external_reference": reference}).json()
    assert [m["id"] for m in body["member"]] == [created[1]["id"]]


def _catalog(api: httpx.Client) -> str:
    iri: str = api.get("/v1/ticketing/catalogs").json()["member"][0]["@id"]
    return iri


def test_offer_date_bounds_and_ordering(api: httpx.Client) -> None:
    """date[after]/date[strictly_before] keep dated offers in range; order[date] sorts them."""
    catalog = _catalog(api)
    every = _all(api, f"{catalog}/offers")
    dates = sorted({o["date"] for o in every if o["date"]})
    low, high = dates[2], dates[5]
    found = _all(
        api,
        f"{catalog}/offers",
        **{"date[after]": low, "date[strictly_before]": high, "order[date]": "desc"},
    )
    assert found
    assert all(low <= o["date"] < high for o in found)
    assert [o["date"] for o in found] == sorted((o["date"] for o in found), reverse=True)
    assert len(found) == sum(1 for o in every if o["date"] and low <= o["date"] < high)


def test_offers_without_date_come_last_ascending(api: httpx.Client) -> None:
    """order[date]=asc puts offers without a date after the dated ones."""
    offers = _all(api, f"{_catalog(api)}/offers", **{"order[date]": "asc"})
    flags = [o["date"] is None for o in offers]
    assert True in flags
    assert flags == sorted(flags)


def test_offers_filter_by_product(api: httpx.Client) -> None:
    """product[] (IRI) keeps only that product's offers."""
    catalog = _catalog(api)
    first = api.get(f"{catalog}/offers").json()["member"][0]
    product = first["product"]["@id"]
    found = _all(api, f"{catalog}/offers", **{"product[]": product})
    assert found and all(o["product"]["@id"] == product for o in found)


def test_product_bases_hide_disabled_unless_asked(sim: Simulator, api: httpx.Client) -> None:
    """withDisabled=true lists disabled bases too; the default hides them; junk is a 400."""
    catalog = _catalog(api)
    default = _all(api, f"{catalog}/product_bases")
    every = _all(api, f"{catalog}/product_bases", withDisabled="true")
    assert not any(b["disabled"] for b in default)
    assert any(b["disabled"] for b in every)
    assert {b["id"] for b in default} < {b["id"] for b in every}
    bad = api.get(f"{catalog}/product_bases", params={"withDisabled": "maybe"})
    assert bad.status_code == 400
