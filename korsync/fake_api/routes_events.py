"""Routes of the older catalogue model: events, their sessions and availability, forms.

They exist only for accounts on the ``events`` (or ``both``) model; on a ``product_bases``
account the router leaves them out and they answer 404, as the newer API does.
"""

from __future__ import annotations

from korsync.fake_api.catalogue import Row
from korsync.fake_api.hydra import ApiProblem
from korsync.fake_api.messages import Response
from korsync.fake_api.routes_catalogue import find_row, item_response, page_response
from korsync.fake_api.routing import Call, Route

_EVENTS = "/v1/ticketing/catalogs/{catalogId}/events"


def list_events(call: Call) -> Response:
    """``GET .../catalogs/{catalogId}/events``."""
    catalog = find_row(call, "catalogs", "catalogId")
    rows = call.org.catalogue.children("events", catalog.id)
    return page_response(call, "events", f"{catalog.iri}/events", rows)


def _event(call: Call, key: str) -> Row:
    return find_row(call, "events", key, find_row(call, "catalogs", "catalogId"))


def get_event(call: Call) -> Response:
    """``GET .../events/{id}``."""
    return item_response(call, _event(call, "id"))


def list_sessions(call: Call) -> Response:
    """``GET .../events/{eventId}/sessions``."""
    event = _event(call, "eventId")
    rows = call.org.catalogue.children("sessions", event.id)
    return page_response(call, "sessions", f"{event.iri}/sessions", rows)


def _session(call: Call) -> Row:
    return find_row(call, "sessions", "id", _event(call, "eventId"))


def get_session(call: Call) -> Response:
    """``GET .../events/{eventId}/sessions/{id}``."""
    return item_response(call, _session(call))


def get_session_availability(call: Call) -> Response:
    """``GET .../events/{eventId}/sessions/{id}/availability``."""
    session = _session(call)
    body = {
        "@context": "/contexts/TicketingSessionAvailability",
        "@id": f"{session.iri}/availability",
        "@type": "TicketingSessionAvailability",
        "availableQuantity": session.fields["availableQuantity"],
    }
    return Response(200, body)


def get_form(call: Call) -> Response:
    """``GET /v1/forms/{id}``."""
    row = call.org.catalogue.get("forms", call.params["id"])
    if row is None or call.org.catalogue.get("catalogs", row.catalog) is None:
        raise ApiProblem(404, "Not Found")
    return item_response(call, row)


ROUTES = (
    Route("GET", _EVENTS, list_events, "events", True),
    Route("GET", _EVENTS + "/{id}", get_event, "events"),
    Route("GET", _EVENTS + "/{eventId}/sessions", list_sessions, "events", True),
    Route("GET", _EVENTS + "/{eventId}/sessions/{id}", get_session, "events"),
    Route(
        "GET", _EVENTS + "/{eventId}/sessions/{id}/availability", get_session_availability, "events"
    ),
    Route("GET", "/v1/forms/{id}", get_form, "events"),
)
