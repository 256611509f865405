"""ApiClient against hand-written servers (``httpx.MockTransport``) for what the simulator cannot
serve: exact headers, odd Hydra pages, non-retried statuses, and server-side concurrency counts."""

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from korsync import __version__
from korsync.api import (
    ApiClient,
    NotFoundError,
    PaginationError,
    RetriesExhaustedError,
    StatusError,
)

Build = Callable[..., ApiClient]


def hydra(ids: list[str], total: int, next_link: str | None = None) -> dict[str, Any]:
    """A Hydra collection body with these member ids."""
    body: dict[str, Any] = {"member": [{"id": i} for i in ids], "totalItems": total}
    body["view"] = {"@id": "/x", **({"next": next_link} if next_link else {})}
    return body


def test_default_headers(mock_client: Build, static_token: str) -> None:
    """Accept, Accept-Language, User-Agent and a Bearer Authorization go on every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "x"})

    mock_client(handler, language="fr").get_json("/v1/ticketing/catalogs")
    headers = seen[0].headers
    assert headers["Accept"] == "application/ld+json"
    assert headers["Accept-Language"] == "fr"
    assert headers["User-Agent"] == f"korsync/{__version__}"
    assert headers["Authorization"] == f"Bearer {static_token}"


def test_token_with_scheme_sent_as_is(mock_client: Build) -> None:
    """A configured token that already has a scheme is not prefixed again."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={})

    mock_client(handler, token="Token abc123").get_json("/v1/x")
    assert seen == ["Token abc123"]


@pytest.mark.parametrize("status", [400, 403, 409, 422, 501])
def test_other_statuses_are_not_retried(mock_client: Build, status: int) -> None:
    """4xx other than 401/408/429, and 501, fail at once; the error names URL and status."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"title": "Nope", "detail": "bad filter"})

    with pytest.raises(StatusError) as caught:
        mock_client(handler).get_json("/v1/booking/orders", {"page": 3})
    assert len(calls) == 1
    assert caught.value.status == status
    message = str(caught.value)
    assert "http://korus.test/v1/booking/orders?page=3" in message
    assert f"last status {status}" in message and "bad filter" in message


def test_not_found_is_its_own_error(mock_client: Build) -> None:
    """404 raises NotFoundError (not retried) so a sync can skip the other model's endpoints."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(404, json={"title": "Not Found"})

    client = mock_client(handler)
    with pytest.raises(NotFoundError, match="404"):
        list(client.iter_pages("/v1/ticketing/catalogs/c/events"))
    assert len(calls) == 1


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(mock_client: Build, status: int) -> None:
    """408, 429 and 500/502/503/504 are retried until the server answers."""
    answers = iter([httpx.Response(status), httpx.Response(status), httpx.Response(200, json={})])
    assert mock_client(lambda request: next(answers)).get_json("/v1/x") == {}


def test_non_object_json_is_retried_then_fails(mock_client: Build) -> None:
    """A JSON array where an object is expected is retried like a truncated body."""
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=[1, 2])

    with pytest.raises(RetriesExhaustedError, match="JSON list, not an object"):
        mock_client(handler, max_attempts=3).get_json("/v1/x")
    assert len(calls) == 3


def test_self_next_link_over_http(mock_client: Build) -> None:
    """A page whose next link is itself is yielded, then the walk raises PaginationError."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json=hydra(["a", "b"], 200, str(request.url)))

    pages = []
    with pytest.raises(PaginationError, match="points to the page itself"):
        for page in mock_client(handler).iter_pages("/v1/booking/orders"):
            pages.append(page)
    assert [p.page for p in pages] == [1]
    assert len(calls) == 1


def test_repeated_page_refetched_over_http(mock_client: Build) -> None:
    """A page repeating its predecessor is fetched once more; a second repeat raises."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        calls.append(page)
        return httpx.Response(200, json=hydra(["a"], 3, f"/v1/x?page={page + 1}"))

    with pytest.raises(PaginationError, match="page 2 repeats"):
        list(mock_client(handler, page_size=1).iter_pages("/v1/x"))
    assert calls == [1, 2, 2]


def test_concurrency_bound_across_threads(mock_client: Build) -> None:
    """No more than max_concurrency requests are in flight at the server, whatever the threads."""
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return httpx.Response(200, json={"ok": True})

    client = mock_client(handler, max_concurrency=3)
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.get_json("/v1/x"))) for _ in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12
    assert 1 <= peak[0] <= 3


def test_slot_released_after_failures(mock_client: Build) -> None:
    """With one slot, failed attempts (errors and 5xx) give the slot back, so retries proceed."""
    answers: list[Any] = [
        httpx.ReadError("reset"),
        httpx.Response(503),
        httpx.Response(200, json={}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    assert mock_client(handler, max_concurrency=1).get_json("/v1/x") == {}
    assert answers == []


def test_rate_limit_spaces_request_starts(mock_client: Build) -> None:
    """At 20 requests/s, six requests cannot start within less than 5 intervals (0.25 s).

    Measured around the calls, not inside the handler: the pace spaces the turns, and a thread
    scheduled late inside the handler would shorten one recorded gap on a loaded machine. A
    bound from outside cannot be beaten by scheduling, only by a missing pace.
    """
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json={})

    client = mock_client(handler, rate_limit_per_s=20.0)
    began = time.monotonic()
    for _ in range(6):
        client.get_json("/v1/x")
    assert len(seen) == 6
    assert time.monotonic() - began >= 5 / 20


def test_prefixed_hydra_keys_and_rejects(mock_client: Build) -> None:
    """hydra:-prefixed collections are walked; members that cannot be understood are rejects."""
    bodies = {
        "1": {
            "hydra:member": [{"id": "a", "new": 1}, ["not", "an", "object"], {"name": "no id"}],
            "hydra:totalItems": 4,
            "hydra:view": {"hydra:next": "/v1/x?page=2"},
        },
        "2": {"hydra:member": [{"id": "d"}], "hydra:totalItems": 4, "hydra:view": {}},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies[request.url.params["page"]])

    pages = list(mock_client(handler).iter_pages("/v1/x"))
    assert [[item["id"] for item in p.items] for p in pages] == [["a"], ["d"]]
    assert pages[0].items[0]["new"] == 1
    assert [(r.position, r.raw) for r in pages[0].rejects] == [
        (1, ["not", "an", "object"]),
        (2, {"name": "no id"}),
    ]
    assert pages[0].total_items == 4
    assert pages[1].url.endswith("/v1/x?page=2&itemsPerPage=50")


def test_walk_without_view_uses_total_items(mock_client: Build) -> None:
    """With no next link, pages are requested by number until page * 50 >= totalItems."""
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.params["page"])
        page = int(request.url.params["page"])
        ids = [f"{page}-{n}" for n in range(50 if page < 3 else 1)]
        return httpx.Response(200, json={"member": [{"id": i} for i in ids], "totalItems": 101})

    items = [i for p in mock_client(handler).iter_pages("/v1/x") for i in p.items]
    assert requested == ["1", "2", "3"]
    assert len(items) == 101


def test_bodies_beyond_orjson_are_read_like_json_reads_them(mock_client: Build) -> None:
    """Integers beyond 64 bits and NaN, which Python's json accepts, still parse."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"points": 123456789012345678901234567890, "x": NaN}')

    body = mock_client(handler).get_json("/v1/x")
    assert body["points"] == 123456789012345678901234567890
    assert body["x"] != body["x"]  # NaN
