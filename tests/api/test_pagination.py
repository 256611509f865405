"""The Hydra paginator state machine, fed hand-written bodies (no I/O)."""

from typing import Any

import httpx
import pytest

from korsync.api.errors import PaginationError
from korsync.api.pagination import HydraPaginator, Page

BASE = httpx.URL("http://korus.test/v1/booking/orders?order%5BcreatedAt%5D=asc")


def body(ids: list[str], total: int | None = None, next_link: str | None = None) -> dict[str, Any]:
    """A Hydra collection page with members of these ids."""
    page: dict[str, Any] = {"member": [{"id": i, "@id": f"/v1/x/{i}"} for i in ids]}
    if total is not None:
        page["totalItems"] = total
    if next_link is not None:
        page["view"] = {"@id": "/ignored", "next": next_link}
    return page


def walk(pager: HydraPaginator, bodies: list[dict[str, Any]]) -> list[Page]:
    """Feed bodies to the paginator in order until it stops asking; return the pages."""
    pages = []
    feed = iter(bodies)
    while (request := pager.next_request()) is not None:
        page = pager.accept(request, next(feed))
        if page is not None:
            pages.append(page)
    return pages


def test_first_request_asks_page_one_of_fifty_and_keeps_params() -> None:
    """The first URL keeps the caller's filters and adds page=1 and itemsPerPage=50."""
    request = HydraPaginator(BASE).next_request()
    assert request is not None
    assert request.url.params["page"] == "1"
    assert request.url.params["itemsPerPage"] == "50"
    assert request.url.params["order[createdAt]"] == "asc"


def test_follows_next_links_and_forces_page_size() -> None:
    """view.next is followed (relative links resolved), with itemsPerPage forced to 50."""
    pager = HydraPaginator(BASE)
    first = pager.next_request()
    assert first is not None
    pager.accept(first, body(["a"], 3, "/v1/booking/orders?page=2&itemsPerPage=10"))
    second = pager.next_request()
    assert second is not None
    assert second.page == 2
    assert str(second.url).startswith("http://korus.test/v1/booking/orders?")
    assert second.url.params["itemsPerPage"] == "50"


def test_stops_on_total_items_without_next() -> None:
    """Without a next link, page * itemsPerPage >= totalItems ends the walk."""
    pager = HydraPaginator(BASE, page_size=2)
    pages = walk(pager, [body(["a", "b"], 4), body(["c", "d"], 4)])
    assert [p.page for p in pages] == [1, 2]
    assert pager.finished


def test_continues_by_page_number_until_empty_page() -> None:
    """Without next link or totalItems the walk goes on by page number until an empty page."""
    pager = HydraPaginator(BASE, page_size=2)
    pages = walk(pager, [body(["a", "b"]), body(["c"]), body([])])
    assert [p.page for p in pages] == [1, 2, 3]
    assert [len(p.items) for p in pages] == [2, 1, 0]


def test_repeated_page_is_fetched_again_once() -> None:
    """A page repeating the previous page's ids is re-requested once, then accepted if fixed."""
    pager = HydraPaginator(BASE, page_size=2)
    pages = walk(
        pager,
        [body(["a", "b"], 4, "/o?page=2"), body(["a", "b"], 4, "/o?page=2"), body(["c", "d"], 4)],
    )
    assert [[i["id"] for i in p.items] for p in pages] == [["a", "b"], ["c", "d"]]


def test_repeated_page_twice_raises() -> None:
    """A page that still repeats after the re-fetch raises PaginationError naming the page."""
    pager = HydraPaginator(BASE, page_size=2)
    repeat = body(["a", "b"], 6, "/o?page=2")
    with pytest.raises(PaginationError, match="page 2 repeats"):
        walk(pager, [repeat, repeat, repeat])


def test_self_next_with_items_missing_raises_after_the_page() -> None:
    """A next link to the page itself hands out the page, then raises (items still missing)."""
    pager = HydraPaginator(BASE, page_size=2)
    first = pager.next_request()
    assert first is not None
    page = pager.accept(first, body(["a", "b"], 10, str(first.url)))
    assert page is not None and len(page.items) == 2
    with pytest.raises(PaginationError, match=r"points to the page itself.*2 of 10"):
        pager.next_request()


def test_self_next_on_last_page_stops_quietly() -> None:
    """A self next link is harmless when totalItems says every page was seen."""
    pager = HydraPaginator(BASE, page_size=2)
    first = pager.next_request()
    assert first is not None
    pager.accept(first, body(["a"], 1, str(first.url)))
    assert pager.next_request() is None


def test_next_link_already_fetched_raises() -> None:
    """A next link back to an earlier page is never fetched twice."""
    pager = HydraPaginator(BASE, page_size=1)
    with pytest.raises(PaginationError, match="already fetched"):
        walk(
            pager,
            [
                body(["a"], 5, "/v1/booking/orders?order%5BcreatedAt%5D=asc&page=2"),
                body(["b"], 5, "/v1/booking/orders?order%5BcreatedAt%5D=asc"),
            ],
        )


def test_rejects_members_that_cannot_be_understood() -> None:
    """Non-objects and members without a usable id become rejects with a reason."""
    pager = HydraPaginator(BASE)
    request = pager.next_request()
    assert request is not None
    members: list[Any] = [{"id": "a", "extra": {"x": 1}}, "oops", {"name": "no id"}, {"id": []}]
    page = pager.accept(request, {"member": members, "totalItems": 4})
    assert page is not None
    assert page.items == [{"id": "a", "extra": {"x": 1}}]
    assert [(r.position, r.raw) for r in page.rejects] == [
        (1, "oops"),
        (2, {"name": "no id"}),
        (3, {"id": []}),
    ]
    assert "not an object" in page.rejects[0].reason
    assert "no id" in page.rejects[1].reason


def test_body_without_member_list_raises() -> None:
    """A body that is not a collection at all is a PaginationError, not an empty page."""
    pager = HydraPaginator(BASE)
    request = pager.next_request()
    assert request is not None
    with pytest.raises(PaginationError, match="not a Hydra collection"):
        pager.accept(request, {"@type": "Error"})
