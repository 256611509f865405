"""The Hydra collection walk as a small state machine without I/O.

``HydraPaginator`` says which URL to fetch next (``next_request``) and digests each fetched body
(``accept``) into a ``Page`` of understood items and rejected ones. It follows ``view.next``
when present, otherwise stops on ``page * itemsPerPage >= totalItems`` or an empty page, and
always asks for ``itemsPerPage`` (50). It never fetches the same link twice through ``next``.

Guards, chosen so a sync never skips data silently: a page whose ids repeat the previous
page's is taken for a server glitch and fetched once more; if it repeats again the walk raises
``PaginationError``. A ``next`` link pointing to the page itself or to an already fetched page
ends the walk quietly when ``totalItems`` says every page was seen, and otherwise raises
``PaginationError`` after the current page has been handed out (so it can still be committed).
No walk runs forever: a page whose items were all seen earlier in the walk (not only on the
previous page) raises at once, and a walk that brings more distinct items than ``totalItems``
allows (with ``PAGE_SIZE`` or 10 % of slack, for orders created meanwhile) raises after handing
out the page that passed the bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from korsync.api import jsonld
from korsync.api.errors import PaginationError, redact_url
from korsync.api.seen_ids import SeenIds

PAGE_SIZE = 50


@dataclass(frozen=True)
class Reject:
    """A collection member that cannot be understood at all: its raw JSON and why."""

    raw: Any
    reason: str
    position: int


@dataclass(frozen=True)
class Page:
    """One fetched collection page: understood ``items`` (unknown fields kept) and ``rejects``."""

    items: list[dict[str, Any]]
    rejects: list[Reject]
    total_items: int | None
    page: int
    url: str


@dataclass(frozen=True)
class PageRequest:
    """The next page to fetch; ``refetch`` marks the one allowed re-read of a repeated page."""

    url: httpx.URL
    page: int
    refetch: bool = False


def _link_key(url: httpx.URL) -> str:
    """A comparison key for a URL: same resource and query, whatever the order; page 1 implied."""
    params = url.params if "page" in url.params else url.params.set("page", "1")
    query = "&".join(f"{name}={value}" for name, value in sorted(params.multi_items()))
    return f"{url.copy_with(query=None, fragment=None)}?{query}"


def _page_number(url: httpx.URL, default: int) -> int:
    """The ``page`` query parameter of ``url`` when it is a positive integer, else ``default``."""
    try:
        number = int(url.params.get("page", ""))
    except ValueError:
        return default
    return number if number > 0 else default


def split_members(members: list[Any]) -> tuple[list[dict[str, Any]], list[Reject]]:
    """Items that can be understood (objects with a usable ``id``) and the rejected rest."""
    items: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for position, member in enumerate(members):
        reason = _reject_reason(member)
        if reason is None:
            items.append(member)
        else:
            rejects.append(Reject(raw=member, reason=reason, position=position))
    return items, rejects


def _reject_reason(member: Any) -> str | None:
    """Why ``member`` cannot be understood, or ``None`` when it can."""
    if not isinstance(member, dict):
        return f"member is a JSON {type(member).__name__}, not an object"
    value = member.get("id")
    if value is None:
        return "member has no id"
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        return f"member id is not a usable identifier: {value!r:.80}"
    return None


@dataclass
class HydraPaginator:
    """Walk state of one collection, starting at ``first_url`` (query params kept)."""

    first_url: httpx.URL
    page_size: int = PAGE_SIZE
    _pending: PageRequest | None = field(init=False, default=None)
    _error: PaginationError | None = field(init=False, default=None)
    _fetched: set[str] = field(init=False, default_factory=set)
    _previous_ids: tuple[str, ...] = field(init=False, default=())
    _items_seen: int = field(init=False, default=0)
    _ids_seen: SeenIds = field(init=False, default_factory=SeenIds)
    _pages: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        url = self._sized(self.first_url).copy_set_param("page", 1)
        self._pending = PageRequest(url=url, page=1)

    @property
    def finished(self) -> bool:
        """True once there is nothing left to fetch (a pending error still raises first)."""
        return self._pending is None and self._error is None

    def next_request(self) -> PageRequest | None:
        """The page to fetch next, or ``None`` when done; raises a pending ``PaginationError``."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._pending

    def accept(self, request: PageRequest, body: Mapping[str, Any]) -> Page | None:
        """Digest the body fetched for ``request``: the ``Page``, or ``None`` to fetch it again."""
        members = jsonld.members(body)
        if members is None:
            raise PaginationError("response is not a Hydra collection", url=self._show(request))
        self._fetched.add(_link_key(request.url))
        ids = tuple(key for key in map(jsonld.item_key, members) if key is not None)
        if ids and ids == self._previous_ids:
            self._repeated(request)
            return None
        if ids and self._ids_seen.covers(ids):
            self._pending = None
            raise PaginationError(
                f"page {request.page} brings no new item: all {len(ids)} were on earlier pages"
                f" of this walk ({self._pages} pages, {len(self._ids_seen)} items so far)",
                url=self._show(request),
            )
        items, rejects = split_members(members)
        total = jsonld.total_items(body)
        self._previous_ids = ids
        self._items_seen += len(members)
        self._ids_seen.update(ids)
        self._pages += 1
        self._pending = self._following(request, body, total, bool(members))
        self._check_bound(request, total)
        return Page(items, rejects, total, request.page, str(request.url))

    def _check_bound(self, request: PageRequest, total: int | None) -> None:
        """After this page, stop with an error if the walk brought more distinct items than
        ``totalItems`` allows, with slack for items created while walking."""
        if total is None or self._pending is None:
            return
        allowed = total + max(self.page_size, total // 10)
        if len(self._ids_seen) > allowed:
            self._pending = None
            self._error = PaginationError(
                f"stopped after page {request.page}: {len(self._ids_seen)} distinct items seen,"
                f" more than the {total} the collection says it holds",
                url=self._show(request),
            )

    def _repeated(self, request: PageRequest) -> None:
        """Schedule the one re-read of a page that repeats its predecessor, or give up."""
        if request.refetch:
            self._pending = None
            raise PaginationError(
                f"page {request.page} repeats the previous page's ids again after a re-fetch",
                url=self._show(request),
            )
        self._pending = PageRequest(url=request.url, page=request.page, refetch=True)

    def _following(
        self, request: PageRequest, body: Mapping[str, Any], total: int | None, any_items: bool
    ) -> PageRequest | None:
        """The request after ``request``: from ``view.next``, else by page number, else none."""
        link = jsonld.view_next(body)
        if link is not None:
            return self._from_link(request, link, total)
        if not any_items or (total is not None and request.page * self.page_size >= total):
            return None
        page = request.page + 1
        return PageRequest(url=request.url.copy_set_param("page", page), page=page)

    def _from_link(self, request: PageRequest, link: str, total: int | None) -> PageRequest | None:
        """Follow ``link`` unless it leads to the page itself or to a page already fetched."""
        url = self._sized(request.url.join(link))
        key = _link_key(url)
        if key == _link_key(request.url):
            self._loop(request, total, "the next link points to the page itself")
            return None
        if key in self._fetched:
            self._loop(request, total, f"the next link {redact_url(str(url))} was already fetched")
            return None
        return PageRequest(url=url, page=_page_number(url, request.page + 1))

    def _loop(self, request: PageRequest, total: int | None, why: str) -> None:
        """End a walk whose next link loops: quietly if all pages were seen, else with an error."""
        if total is not None and request.page * self.page_size >= total:
            return
        seen = f"{self._items_seen} of {total if total is not None else '?'} items seen"
        self._error = PaginationError(
            f"stopped after page {request.page}: {why} ({seen})", url=self._show(request)
        )

    def _sized(self, url: httpx.URL) -> httpx.URL:
        """``url`` asking for ``page_size`` items per page."""
        return url.copy_set_param("itemsPerPage", self.page_size)

    @staticmethod
    def _show(request: PageRequest) -> str:
        return redact_url(str(request.url))
