"""What the faults do to a response: gateway error pages, extra fields, bad enum values.

``gateway_error`` builds the answer of a rate limiter (429 problem document with
``Retry-After`` as configured), of the PHP backend (500 problem document) or of the load
balancer in front of it (502/503/504 as an nginx HTML page). ``add_unknown_fields`` and
``break_an_enum`` change the JSON payload in place: the former on every member (and order
items), the latter on the first member that has an enum field.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from typing import Any

from korsync.fake_api.faults import Faults
from korsync.fake_api.hydra import problem, reason
from korsync.fake_api.messages import Response

PHP_WARNING = (
    b'<br />\n<b>Warning</b>:  Undefined array key "issuer" in '
    b"<b>/srv/api/src/Serializer/OrderNormalizer.php</b> on line <b>42</b><br />\n"
)
_BAD_VALUES = {
    "BookingOrder": ("status", "refunded"),
    "BookingReservation": ("status", "expired"),
    "BookingOrderItemTicket": ("status", "pending_issuer"),
    "OrderItemTicketResource": ("status", "pending_issuer"),
    "TicketingProductBaseOption": ("code", "colour"),
}


def gateway_error(status: int, faults: Faults) -> Response:
    """The response of an early fault with HTTP ``status``."""
    if status in (429, 500):
        detail = "Rate limit exceeded." if status == 429 else "Internal Server Error"
        response = Response(status, problem(status, detail))
        if status == 429 and faults.retry_after is not None:
            response.headers.append(("Retry-After", _retry_after(faults)))
        return response
    title = f"{status} {reason(status)}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Response(status, raw=page.encode(), content_type="text/html")


def _retry_after(faults: Faults) -> str:
    seconds = faults.retry_after or 0
    if faults.retry_after_format == "date":
        return formatdate(time.time() + seconds, usegmt=True)
    return str(seconds)


def _objects(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    members = payload.get("member")
    if isinstance(members, list):
        return [m for m in members if isinstance(m, dict)]
    return [payload]


def add_unknown_fields(payload: Any) -> None:
    """Add fields the spec does not know to every member (and to each order item)."""
    for number, item in enumerate(_objects(payload)):
        item["loyaltyPoints"] = number * 7
        item["_internal"] = {"shard": "eu-west-3", "trace": f"sim-{number}"}
        for line in item.get("items") or []:
            if isinstance(line, dict):
                line["vatRate"] = "20.00"


def break_an_enum(payload: Any) -> None:
    """Give the first member that has an enum field a value outside the documented enum."""
    for item in _objects(payload):
        bad = _BAD_VALUES.get(str(item.get("@type")))
        if bad is not None:
            item[bad[0]] = bad[1]
            return
        fields = item.get("fields")
        if item.get("@type") == "Form" and isinstance(fields, list) and fields:
            fields[0]["type"] = "signature"
            return
