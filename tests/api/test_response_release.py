"""A fetched page's response is freed as soon as the page is parsed, without waiting for the
garbage collector (httpx binds a response and its stream in a cycle)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest

from korsync.api import ApiClient
from tests.support.api import SimHarness

ORDERS = "/v1/booking/orders"


@pytest.fixture
def collector_off() -> Iterator[list[object]]:
    """The collector switched off, and what it would have had to free kept in a list (the
    caller collects once at the end)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _responses_left(garbage: list[object]) -> int:
    gc.collect()
    return sum(isinstance(thing, httpx.Response) for thing in garbage)


def test_pages_responses_need_no_collector(
    harness: SimHarness, collector_off: list[object]
) -> None:
    """Walking every page of a collection leaves no response for the collector to free."""
    client: ApiClient = harness.client()
    pages = list(client.iter_pages(ORDERS, {"order[createdAt]": "asc"}))
    assert len(pages) == 3
    assert _responses_left(collector_off) == 0
