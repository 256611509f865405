"""korsync's adaptive pace against the simulator's ``--rate-limit``: the walk ends with an exact
mirror and, once the pace has found the limit, few 429s. Responses are counted, not timed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from korsync.sync.backfill import sync_backfill
from korsync.sync.orders import OrdersOptions
from tests.support.sync import assert_orders_mirrored, make_client, make_sim

pytestmark = pytest.mark.slow


class Recording(httpx.BaseTransport):
    """The simulator in-process, remembering each response's status in order."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.statuses.append(response.status_code)
        return response


def test_backfill_against_a_rate_limit_mirrors_exactly_with_few_429(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A backfill with the default (adaptive) pace against 15 requests/s mirrors every order;
    after its first 100 responses fewer than 5 % are 429."""
    sim = make_sim(orders=600, rate_limit=15.0)
    transport = Recording(httpx.WSGITransport(app=sim.wsgi))
    with make_client(sim, transport, adaptive=True, page_size=2, max_attempts=10) as client:
        sync_backfill(client, sessions, OrdersOptions(), workers=4)
    assert_orders_mirrored(engine, sim)
    later = transport.statuses[100:]
    assert len(later) > 150
    assert later.count(429) / len(later) < 0.05, f"{later.count(429)} of {len(later)} were 429"
    assert set(later) <= {200, 429}
