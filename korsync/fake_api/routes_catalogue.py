"""Catalogue routes of both models: catalogs, product bases, products, offers, events, forms.

Each handler checks the whole parent chain of its path (an offer under another catalog, or
under a removed one, is a 404) and pages small in-memory lists. Offers honour the ``date[...]``
bounds (dates compared at midnight UTC, rows without a date excluded as API Platform's
default null management does), ``order[date]`` (nulls last ascending, first descending, like
PostgreSQL), ``product[]``, ``productBaseId`` and ``session``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from korsync.fake_api.catalogue import JSONLD_TYPES, Row
from korsync.fake_api.hydra import (
    ApiProblem,
    Query,
    boolean,
    collection,
    paging,
    parse_datetime,
    sort_direction,
)
from korsync.fake_api.keys import genid
from korsync.fake_api.messages import Response
from korsync.fake_api.routing import Call, Route
from korsync.fake_api.words import excl_tax, money

CATALOGS = "/v1/ticketing/catalogs"
OFFER_FILTERS = (
    ("order[date]", "date"),
    ("date[before]", "date"),
    ("date[strictly_before]", "date"),
    ("date[after]", "date"),
    ("date[strictly_after]", "date"),
    ("product[]", "product"),
    ("productBaseId", "productBaseId"),
    ("session", "session"),
)


def find_row(call: Call, kind: str, key: str, parent: Row | None = None) -> Row:
    row = call.org.catalogue.get(kind, call.params[key])
    if row is None or (parent is not None and parent.id not in (row.parent, row.catalog)):
        raise ApiProblem(404, "Not Found")
    return row


def page_response(
    call: Call,
    kind: str,
    path: str,
    rows: list[Row],
    filters: tuple[tuple[str, str | None], ...] = (),
) -> Response:
    page = paging(call.request.query)
    chosen = rows[page.offset : page.offset + page.per_page]
    members = [call.org.catalogue.render(row) for row in chosen]
    type_name = JSONLD_TYPES[kind]
    body = collection(
        type_name, path, members, len(rows), query=call.request.query, paging_=page, filters=filters
    )
    return Response(200, body)


def item_response(call: Call, row: Row) -> Response:
    return Response(200, call.org.catalogue.render_top(row))


def list_catalogs(call: Call) -> Response:
    """``GET /v1/ticketing/catalogs`` (``order[createdAt]``)."""
    rows = call.org.catalogue.all("catalogs")
    descending = sort_direction("order[createdAt]", call.request.query.get("order[createdAt]"))
    if descending is not None:
        rows.sort(key=lambda row: (row.fields["createdAt"], row.id), reverse=descending)
    return page_response(call, "catalogs", CATALOGS, rows, (("order[createdAt]", "createdAt"),))


def get_catalog(call: Call) -> Response:
    """``GET /v1/ticketing/catalogs/{id}``."""
    return item_response(call, find_row(call, "catalogs", "id"))


def list_product_bases(call: Call) -> Response:
    """``GET .../product_bases`` (``withDisabled``)."""
    catalog = find_row(call, "catalogs", "catalogId")
    rows = call.org.catalogue.children("product_bases", catalog.id)
    if not boolean("withDisabled", call.request.query.get("withDisabled")):
        rows = [row for row in rows if not row.fields["disabled"]]
    path = f"{catalog.iri}/product_bases"
    return page_response(call, "product_bases", path, rows, (("withDisabled", "withDisabled"),))


def get_product_base(call: Call) -> Response:
    """``GET .../product_bases/{id}``."""
    return item_response(
        call, find_row(call, "product_bases", "id", find_row(call, "catalogs", "catalogId"))
    )


def _base(call: Call) -> Row:
    return find_row(call, "product_bases", "productBaseId", find_row(call, "catalogs", "catalogId"))


def list_base_products(call: Call) -> Response:
    """``GET .../product_bases/{productBaseId}/products``."""
    base = _base(call)
    rows = call.org.catalogue.children("products", base.id)
    return page_response(call, "products", f"{base.iri}/products", rows)


def list_options(call: Call) -> Response:
    """``GET .../product_bases/{productBaseId}/options``."""
    base = _base(call)
    rows = call.org.catalogue.children("options", base.id)
    return page_response(call, "options", f"{base.iri}/options", rows)


def list_option_values(call: Call) -> Response:
    """``GET .../options/{code}/values``."""
    base = _base(call)
    option = call.org.catalogue.get("options", f"{base.id}:{call.params['code']}")
    if option is None:
        raise ApiProblem(404, "Not Found")
    rows = call.org.catalogue.children("option_values", option.id)
    return page_response(call, "option_values", f"{option.iri}/values", rows)


def list_products(call: Call) -> Response:
    """``GET .../catalogs/{catalogId}/products`` (every product of the catalog)."""
    catalog = find_row(call, "catalogs", "catalogId")
    rows = call.org.catalogue.in_catalog("products", catalog.id)
    rows.sort(key=lambda row: row.id)
    return page_response(call, "products", f"{catalog.iri}/products", rows)


def get_product(call: Call) -> Response:
    """``GET .../catalogs/{catalogId}/products/{id}``."""
    return item_response(
        call, find_row(call, "products", "id", find_row(call, "catalogs", "catalogId"))
    )


def _day_bounds(query: Query) -> list[tuple[str, dt.datetime]]:
    bounds = []
    for bound in ("after", "strictly_after", "before", "strictly_before"):
        name = f"date[{bound}]"
        raw = query.get(name)
        if raw is not None:
            bounds.append((bound, parse_datetime(name, raw)))
    return bounds


def _in_bounds(row: Row, bounds: list[tuple[str, dt.datetime]]) -> bool:
    if not bounds:
        return True
    day = row.fields["date"]
    if day is None:
        return False
    at = dt.datetime.fromisoformat(day + "T00:00:00+00:00")
    checks = {
        "after": lambda edge: at >= edge,
        "strictly_after": lambda edge: at > edge,
        "before": lambda edge: at <= edge,
        "strictly_before": lambda edge: at < edge,
    }
    return all(checks[bound](edge) for bound, edge in bounds)


def _offer_matches(call: Call, row: Row) -> bool:
    query = call.request.query
    products = query.get_all("product[]") + query.get_all("product")
    if products and not {row.links["product"], row.links["product_iri"]} & set(products):
        return False
    base = query.get("productBaseId")
    if base is not None:
        product = call.org.catalogue.find(row.links["product"])
        if product is None or product.parent != base:
            return False
    session = query.get("session")
    return session is None or any(
        session in (iri, iri.rsplit("/", 1)[-1])
        for ticket in row.links["tickets"]
        for iri, _ in (call.org.catalogue.find(ticket) or row).links.get("sessions", [])
    )


def list_offers(call: Call) -> Response:
    """``GET .../catalogs/{catalogId}/offers`` with date bounds, ordering and filters."""
    catalog = find_row(call, "catalogs", "catalogId")
    query = call.request.query
    bounds = _day_bounds(query)
    descending = sort_direction("order[date]", query.get("order[date]"))
    rows = [
        row
        for row in call.org.catalogue.children("offers", catalog.id)
        if _in_bounds(row, bounds) and _offer_matches(call, row)
    ]
    if descending is not None:
        dated = sorted(
            (r for r in rows if r.fields["date"]), key=lambda r: (r.fields["date"], r.id)
        )
        undated = [r for r in rows if not r.fields["date"]]
        rows = undated + dated[::-1] if descending else dated + undated
    return page_response(call, "offers", f"{catalog.iri}/offers", rows, OFFER_FILTERS)


def _offer(call: Call, key: str = "id") -> Row:
    return find_row(call, "offers", key, find_row(call, "catalogs", "catalogId"))


def get_offer(call: Call) -> Response:
    """``GET .../offers/{id}``."""
    return item_response(call, _offer(call))


def get_price(call: Call) -> Response:
    """``GET .../offers/{id}/price``."""
    offer = _offer(call)
    price = offer.fields["price"]
    product = call.org.catalogue.find(offer.links["product"])
    excl = None
    if offer.links["excl_known"] and product is not None:
        excl = money(excl_tax(Decimal(price["amountInclTax"]), offer.links["vat"]))
    body = {
        "@context": "/contexts/TicketingOfferPrice",
        "@id": f"{offer.iri}/price",
        "@type": "TicketingOfferPrice",
        "amountInclTax": price["amountInclTax"],
        "amountExclTax": excl,
        "currency": price["currency"],
    }
    return Response(200, body)


def _sessions_of(call: Call, offer: Row) -> list[Row]:
    found: list[Row] = []
    for ticket_id in offer.links["tickets"]:
        ticket = call.org.catalogue.find(ticket_id)
        for iri, _ in ticket.links["sessions"] if ticket else []:
            kind = "ticket_sessions" if "/offers/" in iri else "sessions"
            session = call.org.catalogue.get(kind, iri.rsplit("/", 1)[-1])
            if session is not None and session not in found:
                found.append(session)
    return found


def get_availability(call: Call) -> Response:
    """``GET .../offers/{id}/availability``."""
    offer = _offer(call)
    sessions = [
        {
            "@type": "TicketingSessionAvailability",
            "@id": genid(call.org.org, uuid.UUID(session.id).int, 0xA7),
            "session": session.iri,
            "availableQuantity": session.fields["availableQuantity"],
        }
        for session in _sessions_of(call, offer)
    ]
    body: dict[str, Any] = {
        "@context": "/contexts/TicketingOfferAvailability",
        "@id": f"{offer.iri}/availability",
        "@type": "TicketingOfferAvailability",
        "availableQuantity": offer.fields["availableQuantity"],
        "sessionsAvailability": sessions,
    }
    return Response(200, body)


def list_offer_tickets(call: Call) -> Response:
    """``GET .../offers/{offerId}/tickets`` (not paginated)."""
    offer = _offer(call, "offerId")
    rows = call.org.catalogue.children("offer_tickets", offer.id)
    members = [call.org.catalogue.render(row) for row in rows]
    path = f"{offer.iri}/tickets"
    body = collection(
        JSONLD_TYPES["offer_tickets"],
        path,
        members,
        len(rows),
        query=call.request.query,
        paging_=None,
    )
    return Response(200, body)


def _offer_ticket(call: Call, key: str) -> Row:
    return find_row(call, "offer_tickets", key, _offer(call, "offerId"))


def get_offer_ticket(call: Call) -> Response:
    """``GET .../offers/{offerId}/tickets/{id}``."""
    return item_response(call, _offer_ticket(call, "id"))


def list_ticket_sessions(call: Call) -> Response:
    """``GET .../offers/{offerId}/tickets/{ticketId}/sessions``."""
    ticket = _offer_ticket(call, "ticketId")
    rows = call.org.catalogue.children("ticket_sessions", ticket.id)
    return page_response(call, "ticket_sessions", f"{ticket.iri}/sessions", rows)


def get_ticket_session(call: Call) -> Response:
    """``GET .../offers/{offerId}/tickets/{ticketId}/sessions/{id}``."""
    return item_response(
        call, find_row(call, "ticket_sessions", "id", _offer_ticket(call, "ticketId"))
    )


_OFFERS = "/v1/ticketing/catalogs/{catalogId}/offers"
_BASES = "/v1/ticketing/catalogs/{catalogId}/product_bases"
ROUTES = (
    Route("GET", "/v1/ticketing/catalogs", list_catalogs, paginated=True),
    Route("GET", "/v1/ticketing/catalogs/{id}", get_catalog),
    Route("GET", _BASES, list_product_bases, "product_bases", True),
    Route("GET", _BASES + "/{id}", get_product_base, "product_bases"),
    Route("GET", _BASES + "/{productBaseId}/products", list_base_products, "product_bases", True),
    Route("GET", _BASES + "/{productBaseId}/options", list_options, "product_bases", True),
    Route(
        "GET",
        _BASES + "/{productBaseId}/options/{code}/values",
        list_option_values,
        "product_bases",
        True,
    ),
    Route("GET", "/v1/ticketing/catalogs/{catalogId}/products", list_products, paginated=True),
    Route("GET", "/v1/ticketing/catalogs/{catalogId}/products/{id}", get_product),
    Route("GET", _OFFERS, list_offers, paginated=True),
    Route("GET", _OFFERS + "/{id}", get_offer),
    Route("GET", _OFFERS + "/{id}/price", get_price),
    Route("GET", _OFFERS + "/{id}/availability", get_availability),
    Route("GET", _OFFERS + "/{offerId}/tickets", list_offer_tickets),
    Route("GET", _OFFERS + "/{offerId}/tickets/{id}", get_offer_ticket),
    Route(
        "GET",
        _OFFERS + "/{offerId}/tickets/{ticketId}/sessions",
        list_ticket_sessions,
        "product_bases",
        True,
    ),
    Route(
        "GET",
        _OFFERS + "/{offerId}/tickets/{ticketId}/sessions/{id}",
        get_ticket_session,
        "product_bases",
    ),
)
