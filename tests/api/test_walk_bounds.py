"""No collection walk runs forever: pages that bring nothing new, or more items than the
collection says it holds, end the walk with ``PaginationError`` after a bounded number of
requests — whatever ``next`` links the server invents."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from korsync.api.errors import PaginationError
from korsync.api.pagination import Page
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders, with_id


def _walk(upstream: Upstream) -> tuple[list[Page], PaginationError]:
    pages: list[Page] = []
    with upstream.client() as client, pytest.raises(PaginationError) as stopped:
        pages.extend(client.iter_pages(ORDERS))
    return pages, stopped.value


def test_two_pages_served_in_turn_with_advancing_links_end_at_the_first_repeat() -> None:
    """A server alternating pages A and B behind ever new ``next`` links (once walked for 223
    pages until killed) is stopped at the third page: it brings no new item."""
    orders = sample_orders(4)
    pages_ab = [orders[:2], orders[2:]]

    def alternate(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        members = pages_ab[(number - 1) % 2]
        body = collection(ORDERS, members, next_url=f"{ORDERS}?page={number + 1}", total=100)
        return httpx.Response(200, json=body)

    upstream = Upstream()
    upstream.serve(ORDERS, alternate)
    pages, error = _walk(upstream)
    assert len(pages) == 2 and len(upstream.requests) == 3
    assert "page 3 brings no new item" in str(error)


def test_a_page_repeating_an_earlier_page_not_the_previous_one_is_caught() -> None:
    """Pages A, B, A: the third repeats the first, so the walk stops there."""
    orders = sample_orders(4)
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, orders[:2], next_url=f"{ORDERS}?page=2", total=9))
    upstream.serve(
        f"{ORDERS}?page=2", collection(ORDERS, orders[2:], next_url=f"{ORDERS}?page=3", total=9)
    )
    upstream.serve(
        f"{ORDERS}?page=3", collection(ORDERS, orders[:2], next_url=f"{ORDERS}?page=4", total=9)
    )
    pages, error = _walk(upstream)
    assert [p.page for p in pages] == [1, 2]
    assert "brings no new item" in str(error)
    assert len(upstream.requests) == 3


def test_endless_new_items_stop_once_past_what_totalitems_allows() -> None:
    """A server inventing new orders forever (totalItems 100, 50 a page) is stopped once the
    walk has more distinct items than 100 plus a page of slack: four pages, not infinitely."""
    template = sample_orders(1)[0]

    def invent(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        members: list[dict[str, Any]] = [with_id(template) for _ in range(50)]
        body = collection(ORDERS, members, next_url=f"{ORDERS}?page={number + 1}", total=100)
        return httpx.Response(200, json=body)

    upstream = Upstream()
    upstream.serve(ORDERS, invent)
    pages, error = _walk(upstream)
    assert len(pages) == 4 and len(upstream.requests) == 4
    assert "200 distinct items seen, more than the 100" in str(error)


def test_items_created_during_the_walk_stay_within_the_slack() -> None:
    """A collection that grows by a few items while it is walked is read to its end."""
    template = sample_orders(1)[0]
    orders = [with_id(template) for _ in range(60)]
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, orders[:50], next_url=f"{ORDERS}?page=2", total=50))
    upstream.serve(f"{ORDERS}?page=2", collection(ORDERS, orders[50:], total=60, page=2))
    with upstream.client() as client:
        ids = [i["id"] for page in client.iter_pages(ORDERS) for i in page.items]
    assert ids == [o["id"] for o in orders]
    assert len(set(ids)) == 60 and uuid.UUID(ids[0])
