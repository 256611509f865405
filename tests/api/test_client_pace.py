"""The API client keeps to its adaptive pace and teaches it from what the upstream answers."""

from __future__ import annotations

import httpx

from korsync.api.pace import START_RATE
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders


def test_429_with_retry_after_zero_slows_the_pace_and_the_walk_completes() -> None:
    """A 429 (Retry-After: 0) is retried at once and lowers the client's rate; the page's
    orders all arrive."""
    orders = sample_orders(3)
    upstream = Upstream()
    refused = httpx.Response(429, headers={"Retry-After": "0"}, json={"title": "Too Many"})
    upstream.serve(ORDERS, refused, collection(ORDERS, orders))
    with upstream.client(adaptive=True, max_attempts=3) as client:
        pages = list(client.iter_pages(ORDERS))
        assert [item["id"] for page in pages for item in page.items] == [o["id"] for o in orders]
        assert client.pace.state.rate < START_RATE
        assert client.pace.state.in_flight == 0
    assert len(upstream.requests) == 2


def test_ceilings_from_options_bound_the_client_pace() -> None:
    """rate_limit_per_s / max_concurrency become the pace's hard ceilings."""
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, sample_orders(1)))
    with upstream.client(adaptive=True, rate_limit_per_s=2.0, max_concurrency=1) as client:
        assert (client.pace.state.rate, client.pace.state.concurrency) == (2.0, 1)
        client.get_json(ORDERS)
        assert (client.pace.state.rate, client.pace.state.concurrency) == (2.0, 1)
