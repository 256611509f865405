"""The token goes only to the API's own origin: a followed link naming another scheme, host or
port is refused before any request, and plain http off the loopback is warned about."""

from __future__ import annotations

import logging

import pytest

from korsync.api.errors import ForeignOriginError
from korsync.api.pagination import Page
from tests.support.upstream import ORDERS, Upstream, collection, sample_orders

ORDERS_PAGE_2 = f"{ORDERS}?page=2"


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.test/v1/booking/orders?page=2",  # another host
        "https://korus.test:8443/v1/booking/orders?page=2",  # another port
        "http://korus.test/v1/booking/orders?page=2",  # https API, http link
        "//evil.test/v1/booking/orders?page=2",  # scheme-relative
        "https://korus.test.evil.test/v1/booking/orders?page=2",  # a look-alike host
    ],
)
def test_a_next_link_to_another_origin_is_refused_before_any_request(foreign: str) -> None:
    """The first page is yielded; the walk then stops with ``ForeignOriginError`` naming the
    link, and no request at all (so no token) reached anything but the API's origin."""
    orders = sample_orders(2)
    upstream = Upstream()
    upstream.serve(ORDERS, collection(ORDERS, orders[:1], next_url=foreign, total=2))
    upstream.serve(foreign, collection(ORDERS, orders[1:], total=2, page=2))
    pages: list[Page] = []
    with upstream.client() as client, pytest.raises(ForeignOriginError) as refused:
        pages.extend(client.iter_pages(ORDERS))
    assert len(pages) == 1
    assert "refusing a link away from the API's origin https://korus.test:443" in str(refused.value)
    assert set(upstream.authorizations()) == {"korus.test"}
    assert all(r.url.port in (None, 443) and r.url.scheme == "https" for r in upstream.requests)


def test_a_relative_or_same_origin_next_link_is_followed() -> None:
    """Links on the API's own origin, relative or absolute (default port spelled out), work."""
    orders = sample_orders(3)
    upstream = Upstream()
    page_3 = "https://korus.test:443/v1/booking/orders?page=3"
    upstream.serve(ORDERS, collection(ORDERS, orders[:1], next_url=ORDERS_PAGE_2, total=3))
    upstream.serve(ORDERS_PAGE_2, collection(ORDERS, orders[1:2], next_url=page_3, total=3))
    upstream.serve(page_3, collection(ORDERS, orders[2:], total=3, page=3))
    with upstream.client() as client:
        items = [item for page in client.iter_pages(ORDERS) for item in page.items]
    assert [i["id"] for i in items] == [o["id"] for o in orders]


def test_get_json_refuses_an_absolute_url_elsewhere() -> None:
    """Any followed URL, not only ``next``: a document link on another host is not fetched."""
    upstream = Upstream()
    with upstream.client() as client, pytest.raises(ForeignOriginError):
        client.get_json("https://cdn.evil.test/documents/1")
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("origin", "warned"),
    [
        ("http://korus.example", True),
        ("http://10.0.0.5:8800", True),
        ("https://korus.example", False),
        ("http://127.0.0.1:8800", False),
        ("http://localhost:8800", False),
        ("http://[::1]:8800", False),
    ],
)
def test_plain_http_off_the_loopback_is_warned_about(
    origin: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The token would cross the network in clear: a warning, once per client."""
    with caplog.at_level(logging.WARNING, logger="korsync.api.origin"):
        Upstream(origin).client().close()
    messages = [r.getMessage() for r in caplog.records if r.name == "korsync.api.origin"]
    assert bool(messages) is warned
    if warned:
        assert messages == [
            f"KORSYNC_API_URL {origin} is plain http: the token crosses the network unencrypted"
        ]
