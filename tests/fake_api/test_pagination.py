"""Hydra collections and pagination edges: empty, exactly 50, 51, last page, bad parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from korsync.fake_api import Simulator
from tests.support.fake_api import client_for, make_sim

ORDERS = "/v1/booking/orders"


def _get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params) if params else api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/ld+json")
    body: dict[str, Any] = response.json()
    return body


def _orders_api(count: int) -> httpx.Client:
    return client_for(make_sim(orders=count))


def test_envelope_has_every_hydra_key(api: httpx.Client) -> None:
    """A collection has @context, @id, @type Collection, totalItems, member, view and search."""
    body = _get(api, ORDERS)
    assert list(body) == ["@context", "@id", "@type", "totalItems", "member", "view", "search"]
    assert (body["@context"], body["@id"], body["@type"]) == (
        "/contexts/BookingOrder",
        ORDERS,
        "Collection",
    )
    assert len(body["member"]) == 10
    assert body["search"]["@type"] == "IriTemplate"
    variables = {m["variable"] for m in body["search"]["mapping"]}
    assert {"external_reference", "createdAt[strictly_after]", "order[createdAt]"} <= variables


def test_empty_collection_has_a_bare_view() -> None:
    """No orders: totalItems 0, no members, a view with only @id and @type."""
    with _orders_api(0) as api:
        body = _get(api, ORDERS)
    assert body["totalItems"] == 0
    assert body["member"] == []
    assert body["view"] == {"@id": ORDERS, "@type": "PartialCollectionView"}


def test_exactly_fifty_fit_one_page() -> None:
    """50 orders at 50 per page: one page, so no first/last/next links."""
    with _orders_api(50) as api:
        body = _get(api, ORDERS, itemsPerPage=50)
    assert len(body["member"]) == 50
    assert set(body["view"]) == {"@id", "@type"}
    assert body["view"]["@id"] == f"{ORDERS}?itemsPerPage=50"


def test_fifty_one_make_two_pages() -> None:
    """51 orders: page 1 links first/last/next, page 2 holds one order and links previous."""
    with _orders_api(51) as api:
        first = _get(api, ORDERS, itemsPerPage=50)
        second = _get(api, ORDERS, itemsPerPage=50, page=2)
    assert first["view"] == {
        "@id": f"{ORDERS}?itemsPerPage=50&page=1",
        "@type": "PartialCollectionView",
        "first": f"{ORDERS}?itemsPerPage=50&page=1",
        "last": f"{ORDERS}?itemsPerPage=50&page=2",
        "next": f"{ORDERS}?itemsPerPage=50&page=2",
    }
    assert len(second["member"]) == 1
    assert "next" not in second["view"]
    assert second["view"]["previous"] == f"{ORDERS}?itemsPerPage=50&page=1"
    ids = [m["id"] for m in first["member"] + second["member"]]
    assert len(set(ids)) == 51


def test_following_next_visits_every_order_once(sim: Simulator, api: httpx.Client) -> None:
    """Walking view.next (filters kept in the links) returns the truth in order, once each."""
    url: str | None = f"{ORDERS}?itemsPerPage=50&order%5BcreatedAt%5D=asc"
    seen: list[str] = []
    for _ in range(20):
        if not url:
            break
        body = _get(api, url)
        seen += [m["id"] for m in body["member"]]
        url = body["view"].get("next")
    assert seen == [o["id"] for o in sim.orders_truth()]


def test_descending_is_the_exact_reverse(sim: Simulator, api: httpx.Client) -> None:
    """order[createdAt]=desc serves the ascending order reversed, page by page."""
    total = sim.order_count()
    ids = [o["id"] for o in sim.orders_truth()]
    pages = [
        _get(api, ORDERS, itemsPerPage=50, page=p, **{"order[createdAt]": "desc"})
        for p in range(1, total // 50 + 2)
    ]
    assert [m["id"] for page in pages for m in page["member"]] == ids[::-1]


def test_page_past_the_end_is_empty_with_links(api: httpx.Client, sim: Simulator) -> None:
    """A page beyond the last answers 200 with no members, previous but no next."""
    body = _get(api, ORDERS, itemsPerPage=50, page=99)
    assert body["member"] == []
    assert body["totalItems"] == sim.order_count()
    assert "next" not in body["view"]
    assert body["view"]["previous"].endswith("page=98")


def test_items_per_page_zero_gives_count_only(api: httpx.Client, sim: Simulator) -> None:
    """itemsPerPage=0 is allowed: no members, the total, a single-page view."""
    body = _get(api, ORDERS, itemsPerPage=0)
    assert body["member"] == []
    assert body["totalItems"] == sim.order_count()
    assert set(body["view"]) == {"@id", "@type"}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"itemsPerPage": 51}, "less than or equal to 50"),
        ({"itemsPerPage": -1}, "Limit should not be less than 0"),
        ({"page": 0}, "Page should not be less than 1"),
        ({"page": "two"}, "must be an integer"),
    ],
)
def test_out_of_range_paging_is_a_400_problem(
    api: httpx.Client, params: dict[str, Any], fragment: str
) -> None:
    """Bad page parameters get an API Platform problem document with status 400."""
    response = api.get(ORDERS, params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["@type"] == "Error" and body["status"] == 400
    assert fragment in body["detail"]
    for key in ("@context", "@id", "title", "type", "description"):
        assert key in body


def test_default_page_size_is_ten_on_catalogue_collections(api: httpx.Client) -> None:
    """Offers default to 10 per page and list more pages than one."""
    catalog = _get(api, "/v1/ticketing/catalogs")["member"][0]
    body = _get(api, f"{catalog['@id']}/offers")
    assert len(body["member"]) == 10
    assert body["totalItems"] > 10
    assert body["view"]["next"].endswith("page=2")


def test_unpaginated_sub_collections_have_no_view(sim: Simulator, api: httpx.Client) -> None:
    """Documents and offer tickets are plain collections: totalItems, member, search, no view."""
    order = next(o for o in sim.orders_truth() if o["documents"])
    documents = _get(api, f"{order['@id']}/documents")
    assert "view" not in documents
    assert [d["@id"] for d in documents["member"]] == order["documents"]
    offer = sim.catalogue_truth()["offers"][0]
    tickets = _get(api, f"{offer['@id']}/tickets")
    assert "view" not in tickets
    assert tickets["totalItems"] == len(offer["tickets"])


def test_pages_stay_exact_with_orders_added_in_the_past() -> None:
    """Windows and pages over base plus later orders equal slicing the sorted truth."""
    sim = make_sim(orders=200, seed=9)
    stamps = sorted({o["createdAt"] for o in sim.orders_truth()})
    for number, stamp in enumerate(stamps[::17]):
        sim.add_orders(1 + number % 3, created_at=_parse(stamp))
    truth = list(sim.orders_truth())
    assert [o["createdAt"] for o in truth] == sorted(o["createdAt"] for o in truth)
    low, high = stamps[20], stamps[-30]
    window = [o["id"] for o in truth if low <= o["createdAt"] < high]
    with client_for(sim) as api:
        for direction, expected in (("asc", window), ("desc", window[::-1])):
            for size in (7, 50):
                found: list[str] = []
                for page in range(1, len(window) // size + 2):
                    params = {"createdAt[after]": low, "createdAt[strictly_before]": high}
                    params.update(itemsPerPage=size, page=page)
                    body = _get(api, ORDERS, **params, **{"order[createdAt]": direction})
                    found += [m["id"] for m in body["member"]]
                assert found == expected


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp)


def test_reservations_are_sorted_and_complete() -> None:
    """Reservations (ordered, abandoned and new) list once each, by createdAt, both ways."""
    sim = make_sim(orders=120, seed=4)
    sim.add_orders(3)
    state = sim.orgs[0]
    every = [state.reservation(i) for i in range(state.reservation_count())]
    expected = [
        state.names.reservation_id(r.index, r.unix_ms)
        for r in sorted(every, key=lambda r: (r.created, r.index))
    ]
    assert any(r.order_index is None for r in every)
    with client_for(sim) as api:
        path = "/v1/booking/reservations"
        for direction, ids in (("asc", expected), ("desc", expected[::-1])):
            found: list[str] = []
            for page in range(1, len(ids) // 50 + 2):
                params = {"itemsPerPage": 50, "page": page, "order[createdAt]": direction}
                found += [m["id"] for m in _get(api, path, **params)["member"]]
            assert found == ids
