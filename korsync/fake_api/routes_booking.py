"""Booking routes: orders (with filters), documents, item tickets, reservations.

Collections are sliced from ``OrgState``'s merged sequences, so a page of 50 orders costs 50
order generations whatever the account size. ``createdAt`` filter bounds become whole-second
windows (the data has second precision); with ``created_filters="date"`` a bound that is more
than a date is refused with a 400 naming it. ``external_reference`` is answered from the
generator's invertible reference format plus a scan of the orders created since start-up.
"""

from __future__ import annotations

import math
import re
from typing import Any

from korsync.fake_api.booking import OrderRecord
from korsync.fake_api.bulk import post_orders, post_reservations
from korsync.fake_api.hydra import (
    ApiProblem,
    collection,
    paging,
    parse_datetime,
    sort_direction,
)
from korsync.fake_api.keys import digest
from korsync.fake_api.messages import Request, Response
from korsync.fake_api.render import (
    ORDERS,
    RESERVATIONS,
    documents_of,
    render_document,
    render_order,
    render_reservation,
    render_ticket,
)
from korsync.fake_api.routing import Call, Route
from korsync.fake_api.state import OrgState, TicketRef
from korsync.fake_api.ties import shuffle_ties
from korsync.fake_api.validation import BENEFICIARY_FIELDS, validate_beneficiary

ORDER_FILTERS = (
    ("external_reference", "externalReference"),
    ("order[createdAt]", "createdAt"),
    ("createdAt[before]", "createdAt"),
    ("createdAt[strictly_before]", "createdAt"),
    ("createdAt[after]", "createdAt"),
    ("createdAt[strictly_after]", "createdAt"),
)
_BOUNDS = ("after", "strictly_after", "before", "strictly_before")
_DATE_ONLY = re.compile(r"^[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])$")


def created_window(request: Request, date_only: bool = False) -> tuple[int | None, int | None]:
    """``createdAt[...]`` filters as a window ``low <= created < high`` of whole seconds; with
    ``date_only``, a value that is more than a date is a 400."""
    low: int | None = None
    high: int | None = None
    for bound in _BOUNDS:
        name = f"createdAt[{bound}]"
        raw = request.query.get(name)
        if raw is None:
            continue
        if date_only and not _DATE_ONLY.match(raw):
            raise ApiProblem(400, f"{name}: This value should match {_DATE_ONLY.pattern}.")
        value = parse_datetime(name, raw).timestamp()
        if bound in ("after", "strictly_after"):
            edge = math.ceil(value) if bound == "after" else math.floor(value) + 1
            low = edge if low is None else max(low, edge)
        else:
            edge = math.floor(value) + 1 if bound == "before" else math.ceil(value)
            high = edge if high is None else min(high, edge)
    return low, high


def _external_reference(request: Request) -> str | None:
    value = request.query.get("external_reference")
    if value is not None and not 1 <= len(value) <= 50:
        raise ApiProblem(400, 'Query parameter "external_reference" must match pattern ^.{1,50}$')
    return value


def _by_external(
    org: OrgState, value: str, window: tuple[int | None, int | None]
) -> list[tuple[int, int]]:
    """(created, index) of the orders with external reference ``value`` inside ``window``."""
    found = []
    base = org.generator.order_for_external_reference(value)
    if base is not None and base not in org.deleted_orders:
        found.append((org.generator.timeline.created(base), base))
    for index, record in org.extra_orders.items():
        if record.external_reference == value and index not in org.deleted_orders:
            found.append((record.created, index))
    low, high = window
    return sorted(
        (c, i) for c, i in found if (low is None or c >= low) and (high is None or c < high)
    )


def list_orders(call: Call) -> Response:
    """``GET /v1/booking/orders``."""
    query, org = call.request.query, call.org
    page = paging(query)
    descending = bool(sort_direction("order[createdAt]", query.get("order[createdAt]")))
    window = created_window(call.request, call.sim.config.created_filters == "date")
    reference = _external_reference(call.request)
    with org.lock:
        if reference is not None:
            matches = [index for _, index in _by_external(org, reference, window)]
            total = len(matches)
            matches = matches[::-1] if descending else matches
            indices = matches[page.offset : page.offset + page.per_page]
        else:
            merged_window = org.orders.window(*window)
            total = merged_window.total
            indices = org.orders.page(merged_window, page.offset, page.per_page, descending)
            if call.sim.ties is not None and not descending:
                created = org.order_created
                indices = shuffle_ties(
                    org.orders, window, page.offset, indices, created, call.sim.ties
                )
        members = [render_order(org.names, org.order(i), org.patch(i)) for i in indices]
    body = collection(
        "BookingOrder", ORDERS, members, total, query=query, paging_=page, filters=ORDER_FILTERS
    )
    return Response(200, body)


def _order(call: Call, key: str = "orderId") -> OrderRecord:
    record = call.org.find_order(call.params[key])
    if record is None:
        raise ApiProblem(404, "Not Found")
    return record


def get_order(call: Call) -> Response:
    """``GET /v1/booking/orders/{id}``."""
    record = _order(call, "id")
    return Response(200, render_order(call.org.names, record, call.org.patch(record.index), True))


def list_documents(call: Call) -> Response:
    """``GET /v1/booking/orders/{orderId}/documents`` (not paginated)."""
    record, org = _order(call), call.org
    documents = documents_of(record, org.patch(record.index))
    members = [render_document(org.names, record, d) for d in documents]
    path = f"{ORDERS}/{call.params['orderId']}/documents"
    body = collection(
        "BookingOrderDocument", path, members, len(members), query=call.request.query, paging_=None
    )
    return Response(200, body)


def get_document(call: Call) -> Response:
    """``GET /v1/booking/orders/{orderId}/documents/{id}``."""
    record = _order(call)
    document = call.org.find_document(record, call.params["id"])
    if document is None:
        raise ApiProblem(404, "Not Found")
    return Response(200, render_document(call.org.names, record, document, True))


def patch_document(call: Call) -> Response:
    """``PATCH .../documents/{id}``: a short-lived download URL."""
    record = _order(call)
    document = call.org.find_document(record, call.params["id"])
    if document is None:
        raise ApiProblem(404, "Not Found")
    now = call.sim.clock.timestamp()
    if document.downloadable_at is None or document.downloadable_at > now:
        raise ApiProblem(422, "The document is not downloadable yet.")
    language = (call.request.headers.get("accept-language") or "fr")[:2].lower()
    signature = f"{digest(document.unix_ms, now):016x}"
    url = (
        f"https://storage.googleapis.com/korusticket-sim/{call.params['id']}.pdf"
        f"?X-Goog-Expires=600&X-Goog-Date={now}&X-Goog-Signature={signature}"
    )
    body = {
        "@context": "/contexts/BookingOrderDocument",
        "@id": f"{ORDERS}/{call.params['orderId']}/documents/{call.params['id']}",
        "@type": "BookingOrderDocument",
        "id": call.params["id"],
        "temporaryUrl": url,
        "cachedLanguage": language if language in ("fr", "en") else "fr",
    }
    return Response(200, body)


def _ticket(call: Call) -> tuple[OrderRecord, TicketRef]:
    record = _order(call)
    ref = call.org.find_ticket(record, call.params["orderItemId"], call.params["id"])
    if ref is None:
        raise ApiProblem(404, "Not Found")
    return record, ref


def _ticket_body(call: Call, record: OrderRecord, ref: TicketRef) -> dict[str, Any]:
    patch = call.org.patch(record.index)
    return render_ticket(call.org.names, record, patch, ref.line, ref.number, ref.flat, True)


def get_ticket(call: Call) -> Response:
    """``GET /v1/booking/orders/{orderId}/items/{orderItemId}/tickets/{id}``."""
    record, ref = _ticket(call)
    return Response(200, _ticket_body(call, record, ref))


def patch_ticket(call: Call) -> Response:
    """``PATCH`` of an item ticket: designate the beneficiary (merge-patch)."""
    record, ref = _ticket(call)
    beneficiary = validate_beneficiary(call.request.json())
    current = _ticket_body(call, record, ref)
    if not current["beneficiaryAmendable"] and current["beneficiary"] is not None:
        raise ApiProblem(422, "beneficiary: The beneficiary of this ticket cannot be amended.")
    merged = {**dict.fromkeys(BENEFICIARY_FIELDS), **(current["beneficiary"] or {}), **beneficiary}
    changes: dict[str, Any] = {"beneficiary": merged}
    if current["status"] != "validated":
        number = digest(record.unix_ms, ref.flat) % 10**12
        changes.update(status="validated", voucher=f"8555{number:012d}")
    call.org.set_ticket(record, ref.flat, changes)
    return Response(200, _ticket_body(call, record, ref))


def list_reservations(call: Call) -> Response:
    """``GET /v1/booking/reservations``."""
    query, org = call.request.query, call.org
    page = paging(query)
    descending = bool(sort_direction("order[createdAt]", query.get("order[createdAt]")))
    now = call.sim.clock.timestamp()
    with org.lock:
        window = org.reservations.window()
        indices = org.reservations.page(window, page.offset, page.per_page, descending)
        members = [render_reservation(org.names, org.reservation(i), now) for i in indices]
    filters = [("order[createdAt]", "createdAt")]
    body = collection(
        "BookingReservation",
        RESERVATIONS,
        members,
        window.total,
        query=query,
        paging_=page,
        filters=filters,
    )
    return Response(200, body)


def get_reservation(call: Call) -> Response:
    """``GET /v1/booking/reservations/{id}``."""
    record = call.org.find_reservation(call.params["id"])
    if record is None:
        raise ApiProblem(404, "Not Found")
    return Response(
        200, render_reservation(call.org.names, record, call.sim.clock.timestamp(), True)
    )


ROUTES = (
    Route("GET", "/v1/booking/orders", list_orders, paginated=True),
    Route("POST", "/v1/booking/orders/_bulk", post_orders),
    Route("GET", "/v1/booking/orders/{id}", get_order),
    Route("GET", "/v1/booking/orders/{orderId}/documents", list_documents),
    Route("GET", "/v1/booking/orders/{orderId}/documents/{id}", get_document),
    Route("PATCH", "/v1/booking/orders/{orderId}/documents/{id}", patch_document),
    Route("GET", "/v1/booking/orders/{orderId}/items/{orderItemId}/tickets/{id}", get_ticket),
    Route("PATCH", "/v1/booking/orders/{orderId}/items/{orderItemId}/tickets/{id}", patch_ticket),
    Route("GET", "/v1/booking/reservations", list_reservations, paginated=True),
    Route("POST", "/v1/booking/reservations/_bulk", post_reservations),
    Route("GET", "/v1/booking/reservations/{id}", get_reservation),
)
