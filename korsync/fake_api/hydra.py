"""API Platform's envelopes: Hydra collections, pagination parameters, problem documents.

``Query`` reads the query string the way PHP does (last value wins, ``name[]`` collects).
``paging`` validates ``page``/``itemsPerPage`` (default 10, 0..50) and ``collection`` wraps a
page of members with ``totalItems``, the ``view`` (links only when there is more than one page,
built from the request's own query like API Platform's ``IriHelper``) and the ``search``
template. ``ApiProblem`` carries an error that ``problem`` turns into a problem document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

DEFAULT_ITEMS_PER_PAGE = 10
MAX_ITEMS_PER_PAGE = 50
_DATE_PATTERN = re.compile(r"^[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])")


class ApiProblem(Exception):
    """An error response: HTTP ``status`` and the problem's ``detail``."""

    def __init__(self, status: int, detail: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra or {}


def reason(status: int) -> str:
    """The HTTP reason phrase of ``status``."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(status: int, detail: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An API Platform 4 JSON-LD problem document."""
    body: dict[str, Any] = {
        "@context": "/contexts/Error",
        "@id": f"/errors/{status}",
        "@type": "Error",
        "title": "An error occurred",
        "detail": detail,
        "status": status,
        "type": f"/errors/{status}",
        "description": detail,
    }
    body.update(extra or {})
    return body


class Query:
    """The query string of one request, read like PHP reads it."""

    def __init__(self, raw: str) -> None:
        self.pairs = parse_qsl(raw, keep_blank_values=True)
        self._last = dict(self.pairs)

    def get(self, name: str) -> str | None:
        """The last value of ``name`` (``None`` when absent)."""
        return self._last.get(name)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (for ``name[]`` style parameters)."""
        return [value for key, value in self.pairs if key == name]


@dataclass(frozen=True)
class Paging:
    """The requested page (1-based) and page size."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        """Index of the first member of the page."""
        return (self.page - 1) * self.per_page


def _integer(query: Query, name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiProblem(400, f'Query parameter "{name}" must be an integer.') from None


def paging(query: Query) -> Paging:
    """The page parameters of a request; raises ``ApiProblem`` (400) when out of range."""
    page = _integer(query, "page", 1)
    per_page = _integer(query, "itemsPerPage", DEFAULT_ITEMS_PER_PAGE)
    if page < 1:
        raise ApiProblem(400, "Page should not be less than 1")
    if per_page < 0:
        raise ApiProblem(400, "Limit should not be less than 0")
    if per_page > MAX_ITEMS_PER_PAGE:
        raise ApiProblem(
            400,
            f'Query parameter "itemsPerPage" must be less than or equal to {MAX_ITEMS_PER_PAGE}',
        )
    return Paging(page, per_page)


def parse_datetime(name: str, raw: str) -> dt.datetime:
    """A date filter value (date or date-time; naive means UTC); ``ApiProblem`` (400) if bad."""
    if not _DATE_PATTERN.match(raw):
        raise ApiProblem(
            400, f'Query parameter "{name}" must match pattern {_DATE_PATTERN.pattern}'
        )
    text = raw.strip().replace(" ", "T", 1)
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ApiProblem(400, f'Query parameter "{name}" is not a valid date: "{raw}"') from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def boolean(name: str, raw: str | None) -> bool:
    """A boolean filter value (true/false/1/0); ``ApiProblem`` (400) otherwise."""
    if raw is None:
        return False
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    expected = '( "true" | "false" | "1" | "0" )'
    raise ApiProblem(
        400, f'Invalid boolean value for "{name}" property, expected one of {expected}'
    )


def sort_direction(name: str, raw: str | None) -> bool | None:
    """``True`` for desc, ``False`` for asc, ``None`` when absent; ``ApiProblem`` otherwise."""
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered not in ("asc", "desc"):
        raise ApiProblem(400, f'Query parameter "{name}" must be one of "asc", "desc"')
    return lowered == "desc"


def _link(path: str, query: Query, page: int | None) -> str:
    pairs = [(k, v) for k, v in query.pairs if k != "page"]
    if page is not None:
        positions = [i for i, (k, _) in enumerate(query.pairs) if k == "page"]
        at = positions[0] if positions else len(pairs)
        pairs.insert(min(at, len(pairs)), ("page", str(page)))
    return f"{path}?{urlencode(pairs)}" if pairs else path


def view(path: str, query: Query, paging_: Paging, total: int) -> dict[str, Any]:
    """The ``view`` object: links only when the collection spans more than one page."""
    last = max(1, -(-total // paging_.per_page)) if paging_.per_page else 1
    if last == 1:
        return {"@id": _link(path, query, None), "@type": "PartialCollectionView"}
    body = {
        "@id": _link(path, query, paging_.page),
        "@type": "PartialCollectionView",
        "first": _link(path, query, 1),
        "last": _link(path, query, last),
    }
    if paging_.page > 1:
        body["previous"] = _link(path, query, paging_.page - 1)
    if paging_.page < last:
        body["next"] = _link(path, query, paging_.page + 1)
    return body


def search(path: str, variables: Sequence[tuple[str, str | None]]) -> dict[str, Any]:
    """The ``search`` IRI template of a collection from its filter variables."""
    names = ",".join(name for name, _ in variables)
    return {
        "@type": "IriTemplate",
        "template": f"{path}{{?{names}}}",
        "variableRepresentation": "BasicRepresentation",
        "mapping": [
            {"@type": "IriTemplateMapping", "variable": name, "property": prop, "required": False}
            for name, prop in variables
        ],
    }


def collection(
    type_name: str,
    path: str,
    members: list[dict[str, Any]],
    total: int,
    *,
    query: Query,
    paging_: Paging | None,
    filters: Sequence[tuple[str, str | None]] = (),
) -> dict[str, Any]:
    """A Hydra collection; ``paging_`` ``None`` means an unpaginated one (no ``view``)."""
    body: dict[str, Any] = {
        "@context": f"/contexts/{type_name}",
        "@id": path,
        "@type": "Collection",
        "totalItems": total,
        "member": members,
    }
    if paging_ is not None:
        body["view"] = view(path, query, paging_, total)
    body["search"] = search(path, filters)
    return body
