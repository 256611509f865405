"""Catalogue models, scale and the remaining read routes."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.fake_api import client_for, make_sim

ORDERS = "/v1/booking/orders"


def _catalog_iri(api: httpx.Client) -> str:
    iri: str = api.get("/v1/ticketing/catalogs").json()["member"][0]["@id"]
    return iri


@pytest.mark.parametrize(
    ("model", "served", "missing"),
    [
        ("product_bases", "product_bases", "events"),
        ("events", "events", "product_bases"),
    ],
)
def test_an_account_answers_404_on_the_other_model(model: str, served: str, missing: str) -> None:
    """Each single-model account serves its model's routes and 404s the other's."""
    sim = make_sim(catalog_model=model, orders=20)
    with client_for(sim) as api:
        catalog = _catalog_iri(api)
        assert api.get(f"{catalog}/{served}").json()["totalItems"] > 0
        response = api.get(f"{catalog}/{missing}")
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert sim.catalogue_truth()[missing] == []


def test_events_model_routes(sim_events: httpx.Client) -> None:
    """Events list their sessions; session availability and forms answer."""
    catalog = _catalog_iri(sim_events)
    event = sim_events.get(f"{catalog}/events").json()["member"][0]
    sessions = sim_events.get(f"{event['@id']}/sessions").json()
    assert sessions["totalItems"] > 0
    session = sessions["member"][0]
    availability = sim_events.get(f"{session['@id']}/availability").json()
    assert availability["@type"] == "TicketingSessionAvailability"
    assert availability["availableQuantity"] == session["availableQuantity"]


@pytest.fixture
def sim_events() -> httpx.Client:
    """A client of an events-model account."""
    return client_for(make_sim(catalog_model="events", orders=10))


def test_product_base_sub_collections(api: httpx.Client) -> None:
    """Products, options and option values of a product base are listed."""
    base = api.get(f"{_catalog_iri(api)}/product_bases").json()["member"][0]
    assert api.get(f"{base['@id']}/products").json()["totalItems"] >= 2
    options = api.get(f"{base['@id']}/options").json()["member"]
    assert options
    values = api.get(f"{options[0]['@id']}/values").json()
    assert values["totalItems"] >= 2
    assert api.get(f"{base['@id']}/options/zone/values").status_code in (200, 404)


def test_offer_price_and_availability(api: httpx.Client) -> None:
    """An offer's price and availability endpoints agree with the offer."""
    offer = api.get(f"{_catalog_iri(api)}/offers").json()["member"][0]
    price = api.get(f"{offer['@id']}/price").json()
    assert price["amountInclTax"] == offer["price"]["amountInclTax"]
    availability = api.get(f"{offer['@id']}/availability").json()
    assert availability["availableQuantity"] == offer["availableQuantity"]


def test_method_not_allowed(api: httpx.Client) -> None:
    """A known path with an unsupported method answers 405 (the _bulk path is POST only)."""
    assert api.delete(ORDERS).status_code == 405
    assert api.get(f"{ORDERS}/_bulk").status_code == 405


def test_a_million_orders_start_fast_and_page_anywhere() -> None:
    """1,000,000 orders: instant start, any page, filters and the last order by id."""
    started = time.perf_counter()
    sim = make_sim(orders=1_000_000)
    assert time.perf_counter() - started < 10  # generous: figures are measured in bench/
    with client_for(sim) as api:
        body = api.get(ORDERS, params={"itemsPerPage": 50, "page": 12_345}).json()
        assert body["totalItems"] == 1_000_000
        assert len(body["member"]) == 50
        assert body["view"]["last"].endswith("page=20000")
        newest = api.get(ORDERS, params={"order[createdAt]": "desc", "itemsPerPage": 1}).json()
        last = newest["member"][0]
        assert api.get(last["@id"]).json() == {"@context": "/contexts/BookingOrder", **last}
        after = api.get(ORDERS, params={"createdAt[after]": last["createdAt"]}).json()
        assert after["member"][-1]["id"] == last["id"]
        assert 1 <= after["totalItems"] <= 80
