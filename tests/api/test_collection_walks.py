"""Collection walks against the simulator: every order once, 50 per page, the repeated-page
guard, unknown fields kept, and the concurrency bound seen from the server."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest

from korsync.api import PaginationError
from korsync.fake_api import SimConfig

if TYPE_CHECKING:
    from tests.support.api import HarnessFactory, SimHarness

ORDERS = "/v1/booking/orders"


def walk_ids(harness: SimHarness, **options: Any) -> list[str]:
    """Ids of every order, walking the collection with a new client."""
    client = harness.client(**options)
    return [item["id"] for page in client.iter_pages(ORDERS) for item in page.items]


def test_walk_returns_every_order_once_fifty_per_page(harness: SimHarness) -> None:
    """A walk yields pages 1..3 of at most 50, all 120 orders, each exactly once."""
    client = harness.client()
    pages = list(client.iter_pages(ORDERS, {"order[createdAt]": "asc"}))
    assert [(p.page, len(p.items), p.total_items) for p in pages] == [
        (1, 50, 120),
        (2, 50, 120),
        (3, 20, 120),
    ]
    ids = [item["id"] for page in pages for item in page.items]
    assert ids == [order["id"] for order in harness.sim.orders_truth()]
    queries = [parse_qs(r["query"]) for r in harness.api_requests()]
    assert all(q["itemsPerPage"] == ["50"] and q["order[createdAt]"] == ["asc"] for q in queries)


def test_repeated_page_is_fetched_again(harness: SimHarness) -> None:
    """A page repeating its predecessor is re-fetched once; nothing is skipped or doubled."""
    harness.sim.inject("repeat_page", count=1)
    ids = walk_ids(harness)
    assert sorted(ids) == sorted(order["id"] for order in harness.sim.orders_truth())
    pages = [parse_qs(r["query"])["page"][0] for r in harness.api_requests()]
    assert pages == ["1", "2", "2", "3"]


def test_page_repeated_twice_raises(harness: SimHarness) -> None:
    """A page still repeated after the re-fetch stops the walk with PaginationError."""
    harness.sim.inject("repeat_page", count=2)
    client = harness.client()
    yielded = []
    with pytest.raises(PaginationError, match="page 2 repeats") as caught:
        for page in client.iter_pages(ORDERS):
            yielded.append(page.page)
    assert yielded == [1]
    assert "itemsPerPage=50&page=2" in str(caught.value)


def test_unknown_fields_are_kept(harness: SimHarness) -> None:
    """Fields the spec does not know stay in each item dict for the caller's raw column."""
    harness.sim.inject("unknown_field", path_prefix=ORDERS)
    page = next(harness.client().iter_pages(ORDERS))
    assert page.rejects == []
    assert page.items[1]["loyaltyPoints"] == 7
    assert page.items[1]["_internal"]["shard"] == "eu-west-3"
    assert page.items[0]["items"][0]["vatRate"] == "20.00"


def test_bad_enum_is_not_a_reject(harness: SimHarness) -> None:
    """An unexpected enum value is the caller's business: the item is handed over as is."""
    harness.sim.inject("bad_enum", path_prefix=ORDERS)
    page = next(harness.client().iter_pages(ORDERS))
    assert page.rejects == [] and len(page.items) == 50


def test_concurrency_bound_seen_by_the_server(make_harness: HarnessFactory) -> None:
    """Threads walking orders and catalogue at once never exceed max_concurrency at the server."""
    harness = make_harness(SimConfig(seed=4, orders=200, latency_ms=15))
    client = harness.client(max_concurrency=2)
    counts: dict[str, int] = {}

    def walk(path: str) -> None:
        counts[path] = sum(len(page.items) for page in client.iter_pages(path))

    paths = [ORDERS, "/v1/booking/reservations", "/v1/ticketing/catalogs", ORDERS]
    threads = [threading.Thread(target=walk, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts[ORDERS] == 200
    assert harness.recorder.peak <= 2
    assert len(harness.api_requests()) >= 10
