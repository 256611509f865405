"""The control API and the Python mutations: what they change is what the API then serves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from korsync.fake_api import Simulator
from tests.support.fake_api import NOW, make_sim

ORDERS = "/v1/booking/orders"


def _order(sim: Simulator, predicate: Any) -> dict[str, Any]:
    order: dict[str, Any] = next(o for o in sim.orders_truth() if predicate(o))
    return order


def _waiting(order: dict[str, Any]) -> bool:
    tickets = [t for i in order["items"] for t in i["tickets"]]
    return order["status"] == "confirmed" and any(t["voucher"] is None for t in tickets)


def test_state_describes_the_simulator(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """GET /_sim/state reports the clock, counts, credentials and faults."""
    body = fresh_api.get("/_sim/state").json()
    assert body["now"] == NOW.isoformat()
    assert body["organizations"][0]["orders"] == fresh.order_count()
    assert body["organizations"][0]["client_id"] == fresh.client_id


def test_add_orders_share_one_second(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """add_orders creates a same-second burst that the API lists last and counts."""
    before = fresh.order_count()
    created = fresh.add_orders(5)
    assert {o["createdAt"] for o in created} == {NOW.isoformat()}
    body = fresh_api.get(ORDERS, params={"order[createdAt]": "desc", "itemsPerPage": 5}).json()
    assert body["totalItems"] == before + 5
    assert {m["id"] for m in body["member"]} == {o["id"] for o in created}
    assert all(fresh_api.get(o["reservation"]).json()["order"] == o["@id"] for o in created)


def test_add_orders_in_the_past_lands_in_order(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """Orders created at an earlier instant appear at their place in createdAt order."""
    middle = list(fresh.orders_truth())[150]["createdAt"]
    when = dt.datetime.fromisoformat(middle)
    created = fresh.add_orders(3, created_at=when)
    stamps = [o["createdAt"] for o in fresh.orders_truth()]
    assert stamps == sorted(stamps)
    window = {"createdAt[after]": middle, "createdAt[before]": middle, "order[createdAt]": "desc"}
    found = fresh_api.get(ORDERS, params=window).json()
    assert [m["id"] for m in found["member"][:3]] == [o["id"] for o in reversed(created)]
    assert {m["createdAt"] for m in found["member"]} == {middle}


def test_cancel_order_over_http(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """POST /_sim/orders/{id}/cancel sets status and cancelledAt on the served order."""
    order = _order(fresh, lambda o: o["status"] == "confirmed")
    response = fresh_api.post(f"/_sim/orders/{order['id']}/cancel", json={})
    assert response.status_code == 200
    served = fresh_api.get(order["@id"]).json()
    assert (served["status"], served["cancelledAt"]) == ("cancelled", NOW.isoformat())
    assert served == fresh.order_truth(order["id"])


def test_validate_fills_vouchers_and_beneficiaries(
    fresh: Simulator, fresh_api: httpx.Client
) -> None:
    """Validating an order's tickets sets status, voucher and required beneficiaries."""
    order = _order(fresh, _waiting)
    fresh_api.post(f"/_sim/orders/{order['id']}/validate", json={})
    served = fresh_api.get(order["@id"]).json()
    for ticket in (t for i in served["items"] for t in i["tickets"]):
        assert ticket["status"] == "validated" and ticket["voucher"]
        assert ticket["beneficiary"] or not ticket["requiredBeneficiaryFields"]


def test_update_one_ticket(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """POST /_sim/orders/{id}/tickets/{ticket} overwrites one ticket's fields."""
    order = _order(fresh, _waiting)
    ticket = order["items"][0]["tickets"][0]
    body = {"voucher": "123", "status": "validated", "beneficiaryAmendable": False}
    fresh_api.post(f"/_sim/orders/{order['id']}/tickets/{ticket['id']}", json=body)
    served = fresh_api.get(ticket["@id"]).json()
    assert (served["voucher"], served["status"], served["beneficiaryAmendable"]) == (
        "123",
        "validated",
        False,
    )
    assert served["@type"] == "BookingOrderItemTicket"


def test_documents_appear_later(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """A document added to an order shows in its documents list and resolves."""
    order = _order(fresh, lambda o: not o["documents"])
    added = fresh_api.post(f"/_sim/orders/{order['id']}/documents", json={}).json()
    served = fresh_api.get(order["@id"]).json()
    assert served["documents"] == [added["@id"]]
    assert fresh_api.get(added["@id"]).json()["downloadableAt"] == NOW.isoformat()
    listed = fresh_api.get(f"/_sim/orders/{order['id']}/documents").json()["documents"]
    assert listed == [added]


def test_catalogue_update_disable_and_remove(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """Control routes change, disable and remove catalogue rows as the API then shows."""
    truth = fresh.catalogue_truth()
    offer, base = truth["offers"][0], next(b for b in truth["product_bases"] if not b["disabled"])
    fresh_api.patch(f"/_sim/catalogue/offers/{offer['id']}", json={"availableQuantity": 0})
    assert fresh_api.get(f"{offer['@id']}/availability").json()["availableQuantity"] == 0
    fresh_api.post(f"/_sim/product_bases/{base['id']}/disable", json={"disabled": True})
    assert fresh_api.get(base["@id"]).json()["disabled"] is True
    assert fresh_api.delete(f"/_sim/catalogue/offers/{offer['id']}").status_code == 204
    assert fresh_api.get(offer["@id"]).status_code == 404
    assert offer["id"] not in {o["id"] for o in fresh.catalogue_truth()["offers"]}


def test_removing_a_catalog_hides_its_rows(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """A removed catalog answers 404 and so do collections under it."""
    catalog = fresh.catalogue_truth()["catalogs"][0]
    fresh.remove("catalogs", catalog["id"])
    assert fresh_api.get(catalog["@id"]).status_code == 404
    assert fresh_api.get(f"{catalog['@id']}/offers").status_code == 404


def test_faults_and_injections_over_http(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """PUT /_sim/faults sets rates; POST /_sim/inject queues a targeted fault."""
    body = fresh_api.put("/_sim/faults", json={"spec": "500=1"}).json()
    assert body["rates"] == {"500": 1.0}
    assert fresh_api.get(ORDERS).status_code == 500
    fresh_api.put("/_sim/faults", json={"spec": ""})
    fresh_api.post("/_sim/inject", json={"kind": "502", "count": 1})
    assert fresh_api.get(ORDERS).status_code == 502
    assert fresh_api.get(ORDERS).status_code == 200


def test_clock_moves_and_arrivals_follow(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """With an arrival rate, advancing the clock makes new orders appear in bursts."""
    sim = fresh  # the simulator fresh_api talks to
    sim.config.arrival_rate = 2.0
    before = sim.order_count()
    moved = fresh_api.post("/_sim/clock", json={"advance": 30}).json()
    assert moved["now"] == (NOW + dt.timedelta(seconds=30)).isoformat()
    assert sim.order_count() == before + 60
    stamps = [o["createdAt"] for o in sim.orders_truth()]
    assert stamps == sorted(stamps)


def test_truth_lists_stream_over_http(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """GET /_sim/orders and /_sim/reservations return the full truth."""
    orders = fresh_api.get("/_sim/orders").json()["orders"]
    assert [o["id"] for o in orders] == [o["id"] for o in fresh.orders_truth()]
    reservations = fresh_api.get("/_sim/reservations").json()["reservations"]
    assert len(reservations) == fresh.reservation_count()
    assert fresh_api.get("/_sim/catalogue").json().keys() == fresh.catalogue_truth().keys()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/_sim/orders/018fdc9d-2020-7e59-ba7d-e96d7310d471", 404),
        ("POST", "/_sim/nothing", 404),
        ("PATCH", "/_sim/catalogue/planets/x", 404),
        ("PUT", "/_sim/faults", 400),
    ],
)
def test_control_errors(fresh_api: httpx.Client, method: str, path: str, status: int) -> None:
    """Unknown ids and routes are 404, bad input 400, as JSON errors."""
    body = {"spec": "teapot=1"} if method == "PUT" else {}
    response = fresh_api.request(method, path, json=body)
    assert response.status_code == status
    assert "error" in response.json()


def test_bulk_posts_create_reservation_then_order(
    fresh: Simulator, fresh_api: httpx.Client
) -> None:
    """The two _bulk POSTs reserve an offer and confirm it into a listed order."""
    offer = next(o for o in fresh.catalogue_truth()["offers"] if o["availableQuantity"] != 0)
    made = fresh_api.post(
        "/v1/booking/reservations/_bulk", json={"items": [{"offer": offer["@id"], "quantity": 2}]}
    )
    assert made.status_code == 201
    reservation = made.json()["reservations"][0]
    customer = {"firstname": "Zoë", "lastname": "N'Diaye", "email": "z@example.com"}
    body = {"reservations": [reservation["@id"]], "customer": customer, "externalReference": "R-1"}
    confirmed = fresh_api.post(f"{ORDERS}/_bulk", json=body)
    assert confirmed.status_code == 201
    order = confirmed.json()["orders"][0]
    assert order["customer"]["firstname"] == "Zoë"
    assert fresh_api.get(order["@id"]).json()["externalReference"] == "R-1"
    again = fresh_api.post(f"{ORDERS}/_bulk", json=body).json()
    assert again["orders"] == [] and again["failedOrders"][0]["reason"] == "already_ordered"


def test_bulk_post_with_unknown_offer_is_422(fresh_api: httpx.Client) -> None:
    """An unknown offer IRI rejects the whole reservations call with violations."""
    body = {"items": [{"offer": "/v1/ticketing/catalogs/x/offers/y", "quantity": 1}]}
    response = fresh_api.post("/v1/booking/reservations/_bulk", json=body)
    assert response.status_code == 422
    assert response.json()["violations"][0]["propertyPath"] == "items[0].offer"


def test_change_rate_changes_existing_orders() -> None:
    """With a change rate, moving the clock cancels, validates or documents recent orders."""
    sim = make_sim(change_rate=1.0)
    before = {o["id"]: o for o in sim.orders_truth()}
    sim.clock.advance(20)
    after = {o["id"]: o for o in sim.orders_truth()}
    assert before.keys() == after.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert 1 <= len(changed) <= 20


def test_truth_after_removing_an_offer(fresh: Simulator) -> None:
    """With cascade, truth leaves out rows under a removed row; without, only the row goes."""
    offer = fresh.catalogue_truth()["offers"][0]
    fresh.remove("offers", offer["id"])
    below = offer["@id"] + "/"
    cascaded = {t["@id"] for t in fresh.catalogue_truth(cascade=True)["offer_tickets"]}
    assert not any(iri.startswith(below) for iri in cascaded)
    plain = {t["@id"] for t in fresh.catalogue_truth()["offer_tickets"]}
    assert any(iri.startswith(below) for iri in plain)
    assert offer["id"] not in {o["id"] for o in fresh.catalogue_truth()["offers"]}


def test_patch_ticket_designates_the_beneficiary(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """PATCH of an item ticket sets the beneficiary and validates a waiting ticket."""
    order = _order(fresh, _waiting)
    ticket = next(t for i in order["items"] for t in i["tickets"] if t["voucher"] is None)
    headers = {"Content-Type": "application/merge-patch+json"}
    body = {"beneficiary": {"firstname": "Åsa", "lastname": "Øster", "title": "mx"}}
    response = fresh_api.patch(ticket["@id"], json=body, headers=headers)
    assert response.status_code == 200
    patched = response.json()
    assert patched["beneficiary"]["firstname"] == "Åsa"
    assert patched["status"] == "validated" and patched["voucher"]
    assert fresh_api.get(order["@id"]).json() == fresh.order_truth(order["id"])
    bad = fresh_api.patch(ticket["@id"], json={"beneficiary": {"firstname": ""}}, headers=headers)
    assert bad.status_code == 422
    assert {v["propertyPath"] for v in bad.json()["violations"]} >= {"beneficiary.lastname"}


def test_patch_document_gives_a_temporary_url(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """PATCH of a downloadable document returns a signed URL and the language used."""
    document = fresh.add_document(_order(fresh, lambda o: True)["id"])
    headers = {"Content-Type": "application/merge-patch+json", "Accept-Language": "en"}
    body = fresh_api.patch(document["@id"], json={}, headers=headers).json()
    assert body["temporaryUrl"].startswith("https://") and body["cachedLanguage"] == "en"
    later = fresh.add_document(_order(fresh, lambda o: True)["id"], downloadable_at=None)
    assert fresh_api.patch(later["@id"], json={}, headers=headers).status_code == 422
