"""The simulator's divergences for audits: orders deleted upstream leave the collection, its
count, its pages and the ground truth, and ties within a second come in a new order on each
request while the collection stays the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from korsync.fake_api import Simulator

ORDERS = "/v1/booking/orders"


def _walk(api: httpx.Client, **params: Any) -> list[str]:
    """Every order id of the collection, page by page (50 a page), in the order served."""
    ids: list[str] = []
    page = 1
    while True:
        query = {"order[createdAt]": "asc", "itemsPerPage": 50, "page": page, **params}
        body = api.get(ORDERS, params=query).json()
        ids += [m["id"] for m in body["member"]]
        if page * 50 >= body["totalItems"]:
            return ids
        page += 1


def test_a_deleted_order_is_gone_from_pages_count_endpoint_and_truth(
    fresh: Simulator, fresh_api: httpx.Client
) -> None:
    """Deleting a generated order and a later one (control API): the pages skip exactly them,
    ``totalItems`` and the ground truth follow, their endpoints and a second delete answer 404."""
    truth = [o["id"] for o in fresh.orders_truth()]
    (late,) = fresh.add_orders(
        1, created_at=dt.datetime.fromisoformat(fresh.order_truth(truth[70])["createdAt"])
    )
    gone = [truth[3], truth[71], late["id"]]
    for order_id in gone:
        assert fresh_api.delete(f"/_sim/orders/{order_id}").status_code == 200
    expected = [i for i in [*truth[:71], late["id"], *truth[71:]] if i not in gone]
    assert sorted(_walk(fresh_api)) == sorted(expected)
    assert len(_walk(fresh_api)) == len(set(_walk(fresh_api)))
    assert [o["id"] for o in fresh.orders_truth()] == _walk(fresh_api)
    assert fresh.order_count() == len(expected)
    assert fresh_api.get(f"{ORDERS}/{truth[3]}").status_code == 404
    assert fresh_api.delete(f"/_sim/orders/{truth[3]}").status_code == 404
    assert fresh_api.delete("/_sim/orders/not-an-id").status_code == 404


def test_a_deleted_order_leaves_its_window_count(fresh: Simulator, fresh_api: httpx.Client) -> None:
    """A createdAt window around a deleted order counts one fewer."""
    order = next(iter(fresh.orders_truth()))
    window = {"createdAt[after]": order["createdAt"], "itemsPerPage": 1}
    before = fresh_api.get(ORDERS, params=window).json()["totalItems"]
    fresh.delete_order(order["id"])
    assert fresh_api.get(ORDERS, params=window).json()["totalItems"] == before - 1


def test_ties_come_in_another_order_on_each_request(
    fresh: Simulator, fresh_api: httpx.Client
) -> None:
    """120 orders in one second, shuffled: two walks read them in different orders (a page may
    repeat some and miss others), the count stays 120, and switched off the order is stable."""
    when = dt.datetime.fromisoformat(next(iter(fresh.orders_truth()))["createdAt"])
    ties = {o["id"] for o in fresh.add_orders(120, created_at=when + dt.timedelta(seconds=1))}
    second = {"createdAt[after]": (when + dt.timedelta(seconds=1)).isoformat()}
    second["createdAt[strictly_before]"] = (when + dt.timedelta(seconds=2)).isoformat()
    stable = _walk(fresh_api, **second)
    assert fresh_api.post("/_sim/ties", json={"shuffle": True, "seed": 3}).status_code == 200
    first, again = _walk(fresh_api, **second), _walk(fresh_api, **second)
    assert first != again and first != stable
    assert set(first) | set(again) <= ties and len(first) == len(again) == 120
    assert [o["id"] for o in fresh.orders_truth() if o["id"] in ties] == stable
    assert fresh_api.post("/_sim/ties", json={"shuffle": "yes"}).status_code == 400
    assert fresh_api.post("/_sim/ties", json={"shuffle": False}).status_code == 200
    assert _walk(fresh_api, **second) == stable
