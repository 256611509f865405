"""A scripted upstream for border tests: it serves exactly the responses a test gives it, and
logs every request (method, URL, headers) whatever host it names — the simulator is never broken
or hostile, this is. ``Upstream.client()`` is a real ``ApiClient`` sending through it."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from korsync.api import ApiClient, ClientOptions
from korsync.fake_api import SimConfig, Simulator

TOKEN = "scripted-token-0123456789"
ORIGIN = "https://korus.test"
ORDERS = "/v1/booking/orders"

Reply = httpx.Response | Mapping[str, Any] | Callable[[httpx.Request], httpx.Response]


class Upstream:
    """Replies by URL. A scripted URL matches a request with its path (and host, when absolute)
    and at least its query parameters; the most specific match wins. Each URL's replies are
    given out in turn and the last one repeats; an unscripted URL gets a 404."""

    def __init__(self, origin: str = ORIGIN) -> None:
        self.origin = origin
        self.requests: list[httpx.Request] = []
        self._replies: dict[str, list[Reply]] = {}

    def serve(self, url: str, *replies: Reply) -> None:
        """Script ``url`` (``/path``, ``/path?query``, or absolute on any host): a dict is a
        200 JSON body, a callable is asked with the request."""
        self._replies[url] = list(replies)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        matches = [key for key in self._replies if _matches(httpx.URL(key), request.url)]
        if not matches:
            return httpx.Response(404, json={"title": "Not scripted", "detail": str(request.url)})
        best = max(
            matches, key=lambda key: (httpx.URL(key).is_absolute_url, len(httpx.URL(key).params))
        )
        return self._answer(self._replies[best], request)

    @staticmethod
    def _answer(replies: list[Reply], request: httpx.Request) -> httpx.Response:
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if callable(reply):
            return reply(request)
        if isinstance(reply, httpx.Response):
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return httpx.Response(200, json=dict(reply))

    def client(self, **options: Any) -> ApiClient:
        """An ``ApiClient`` on this upstream: static token, no pacing, near-instant retries."""
        defaults: dict[str, Any] = {
            "base_url": self.origin,
            "token": TOKEN,
            "adaptive": False,
            "max_attempts": 2,
            "backoff_initial_s": 0.001,
            "backoff_max_s": 0.001,
            "backoff_jitter_s": 0.0,
        }
        return ApiClient(
            ClientOptions(**{**defaults, **options}), transport=httpx.MockTransport(self.handle)
        )

    def seen(self, host: str | None = None) -> list[httpx.Request]:
        """The requests made, optionally only those to ``host``."""
        return [r for r in self.requests if host is None or r.url.host == host]

    def authorizations(self) -> dict[str, list[str | None]]:
        """The ``Authorization`` header each host was sent, in order."""
        sent: dict[str, list[str | None]] = {}
        for request in self.requests:
            sent.setdefault(request.url.host, []).append(request.headers.get("authorization"))
        return sent


def _matches(scripted: httpx.URL, url: httpx.URL) -> bool:
    if scripted.path != url.path:
        return False
    if scripted.is_absolute_url and (scripted.host, scripted.port, scripted.scheme) != (
        url.host,
        url.port,
        url.scheme,
    ):
        return False
    return all(url.params.get_list(k) == scripted.params.get_list(k) for k in scripted.params)


def collection(
    path: str,
    members: Sequence[Mapping[str, Any]],
    *,
    next_url: str | None = None,
    total: int | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """A Hydra collection page as the API sends one (``member``, ``totalItems``, ``view``)."""
    view: dict[str, Any] = {"@id": f"{path}?page={page}", "@type": "PartialCollectionView"}
    if next_url is not None:
        view["next"] = next_url
    return {
        "@context": "/v1/contexts/Order",
        "@id": path,
        "@type": "Collection",
        "totalItems": len(members) if total is None else total,
        "member": [dict(m) for m in members],
        "view": view,
    }


def sample_orders(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` well-formed orders as the simulator would send them, oldest first: the raw
    material that tests break one field of."""
    return copy.deepcopy(_orders(count, seed))


@functools.cache
def _orders(count: int, seed: int) -> list[dict[str, Any]]:
    sim = Simulator(SimConfig(seed=seed, orders=count, clock_running=False))
    return list(sim.orders_truth())


def with_id(order: Mapping[str, Any], created_at: dt.datetime | None = None) -> dict[str, Any]:
    """A copy of ``order`` under a new id (and ``createdAt``, when given)."""
    copied: dict[str, Any] = json.loads(json.dumps(order))
    copied["id"] = str(uuid.uuid4())
    copied["@id"] = f"{ORDERS}/{copied['id']}"
    if created_at is not None:
        copied["createdAt"] = created_at.isoformat()
    return copied


def _created_at(order: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(order["createdAt"])


def _param_time(request: httpx.Request, name: str) -> dt.datetime | None:
    value = request.url.params.get(name)
    return dt.datetime.fromisoformat(value) if value else None


def filtering(
    orders: Sequence[dict[str, Any]],
    *,
    total: Callable[[int], Any] = lambda n: n,
    shuffle: random.Random | None = None,
    extra: Sequence[dict[str, Any]] = (),
) -> Callable[[httpx.Request], httpx.Response]:
    """A small orders API: ``createdAt[after]``/``[strictly_before]``, pages by ``page`` and
    ``itemsPerPage``. ``total`` rewrites ``totalItems``; ``shuffle`` orders every answer at
    random (ties and all); ``extra`` orders are added to every page, whatever their date."""

    def answer(request: httpx.Request) -> httpx.Response:
        after = _param_time(request, "createdAt[after]")
        before = _param_time(request, "createdAt[strictly_before]")
        chosen = [
            o
            for o in orders
            if (after is None or _created_at(o) >= after)
            and (before is None or _created_at(o) < before)
        ]
        chosen.sort(key=_created_at)
        if shuffle is not None:
            shuffle.shuffle(chosen)
        per_page = int(request.url.params.get("itemsPerPage", "10"))
        page = int(request.url.params.get("page", "1"))
        members = chosen[(page - 1) * per_page : page * per_page] + list(extra)
        more = page * per_page < len(chosen)
        link = str(request.url.copy_set_param("page", page + 1)) if more else None
        body = collection(ORDERS, members, next_url=link, page=page)
        body["totalItems"] = total(len(chosen))
        return httpx.Response(200, json=body)

    return answer
