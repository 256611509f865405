"""Tolerant readers for KorusTicket's JSON-LD: IRIs to UUIDs, and Hydra collection keys.

IRIs carry their parents' ids by position (``/v1/ticketing/catalogs/{c}/offers/{o}/tickets/{t}``),
in both catalogue models' shapes and as paths or absolute URLs; ``iri_id`` and ``iri_ids`` read
them and return ``None``/``{}`` for anything else. The Hydra helpers accept API Platform 4's
unprefixed keys (``member``), the ``hydra:``-prefixed ones and full Hydra IRIs alike.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

HYDRA = "http://www.w3.org/ns/hydra/core#"

# collection segment -> key of the id that follows it
_SEGMENT_KEYS = {
    "catalogs": "catalog",
    "product_bases": "product_base",
    "products": "product",
    "options": "option",
    "values": "value",
    "offers": "offer",
    "tickets": "ticket",
    "sessions": "session",
    "events": "event",
    "orders": "order",
    "items": "item",
    "documents": "document",
    "reservations": "reservation",
    "organizations": "organization",
    "forms": "form",
    "fields": "field",
    "choices": "choice",
}


def _segments(iri: object) -> list[str]:
    """Path segments of an IRI or URL; empty for anything that is not a usable string."""
    if not isinstance(iri, str) or not iri.strip():
        return []
    try:
        path = urlsplit(iri.strip()).path
    except ValueError:
        return []
    return [segment for segment in path.split("/") if segment]


def as_uuid(value: object) -> uuid.UUID | None:
    """``value`` as a UUID when it is one (string in any standard form), else ``None``."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def iri_id(iri: object) -> uuid.UUID | None:
    """The UUID in the IRI's last path segment, or ``None`` (genids, garbage, ``None``)."""
    return _iri_id(iri) if isinstance(iri, str) else None


def iri_id_once(iri: object) -> uuid.UUID | None:
    """``iri_id`` for an IRI named once (an order's documents): read without the cache, which
    such IRIs only churned, evicting the catalogue IRIs that recur on every page, and a plain
    path ending in a UUID read without the URL parser (30,000 orders: 57,000 URL parses)."""
    if not isinstance(iri, str):
        return None
    return _path_tail_id(iri) or _last_segment_id(iri)


def _path_tail_id(iri: str) -> uuid.UUID | None:
    """The UUID ending a plain path (``/v1/booking/documents/{uuid}``), else ``None``.

    A path (one leading slash, so no scheme or host) without query, fragment or the characters
    the URL parser removes is its own path, and its last segment is the text after the last
    slash: the answer ``_last_segment_id`` gives.
    """
    if len(iri) < 38 or iri[0] != "/" or iri[1] == "/" or iri[-37] != "/":
        return None
    tail = iri[-36:]
    if "/" in tail or "?" in iri or "#" in iri or not iri.isprintable():
        return None
    return as_uuid(tail)


@functools.lru_cache(maxsize=8192)
def _iri_id(iri: str) -> uuid.UUID | None:
    # Cached like _iri_ids: the same products, events and organizations recur on every page.
    return _last_segment_id(iri)


def _last_segment_id(iri: str) -> uuid.UUID | None:
    segments = _segments(iri)
    return as_uuid(segments[-1]) if segments else None


def iri_ids(iri: object) -> dict[str, uuid.UUID]:
    """Every ``collection/{uuid}`` pair of the IRI, keyed by the singular collection name.

    ``/v1/booking/orders/{o}/items/{i}/tickets/{t}`` gives ``{"order": o, "item": i, "ticket":
    t}``; unknown collections are keyed by their segment with a trailing ``s`` dropped.
    Segments not followed by a UUID (``/options/zone``) are skipped.
    """
    return dict(_iri_ids(iri)) if isinstance(iri, str) else {}


def iri_id_of(iri: str, name: str) -> uuid.UUID | None:
    """``iri_ids(iri).get(name)``, without building the dict (the last pair named ``name``
    wins, as in the dict)."""
    for key, value in reversed(_iri_ids(iri)):
        if key == name:
            return value
    return None


@functools.lru_cache(maxsize=8192)
def _iri_ids(iri: str) -> tuple[tuple[str, uuid.UUID], ...]:
    # Cached: orders name the same few products, events and catalogs over and over.
    parsed = [(segment, as_uuid(segment)) for segment in _segments(iri)]
    return tuple(
        (_SEGMENT_KEYS.get(name, name.removesuffix("s")), value)
        for (name, name_id), (_, value) in itertools.pairwise(parsed)
        if value is not None and name_id is None
    )


def hydra_get(body: Mapping[str, Any], key: str) -> Any:
    """``body[key]``, else ``body["hydra:" + key]``, else the full Hydra IRI key, else ``None``."""
    for candidate in (key, f"hydra:{key}", f"{HYDRA}{key}"):
        if candidate in body:
            return body[candidate]
    return None


def members(body: Mapping[str, Any]) -> list[Any] | None:
    """The collection's members, or ``None`` when the body carries no member list."""
    value = hydra_get(body, "member")
    return value if isinstance(value, list) else None


def total_items(body: Mapping[str, Any]) -> int | None:
    """``totalItems`` as a non-negative int, or ``None`` when missing or not a number."""
    value = hydra_get(body, "totalItems")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= 0 else None


def view(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The collection's ``view`` (``PartialCollectionView``), or an empty mapping."""
    value = hydra_get(body, "view")
    return value if isinstance(value, Mapping) else {}


def view_next(body: Mapping[str, Any]) -> str | None:
    """The ``view.next`` link (any prefix), or ``None`` when absent or empty."""
    value = hydra_get(view(body), "next")
    if isinstance(value, Mapping):  # expanded form {"@id": "..."}
        value = value.get("@id")
    return value if isinstance(value, str) and value.strip() else None


def item_key(item: object) -> str | None:
    """The item's ``id`` (or, lacking one, ``@id``) as a string, for comparing pages."""
    if not isinstance(item, Mapping):
        return None
    for key in ("id", "@id"):
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None
