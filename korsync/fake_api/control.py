"""The ``/_sim/`` control API: ground truth, mutations, faults and clock over HTTP.

Not part of the KorusTicket contract and never authenticated or faulted. Each route maps to a
``Simulator`` method of the same meaning; bodies and answers are plain JSON
(``application/json``). Truth lists are streamed, so even a million orders are served with
flat memory. Unknown ids answer 404, bad input 400, both as ``{"error": "..."}``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from korsync.fake_api.faults import Faults
from korsync.fake_api.hydra import ApiProblem
from korsync.fake_api.messages import JSON, Request, Response

if TYPE_CHECKING:
    from korsync.fake_api.simulator import Simulator

Action = Callable[["Simulator", Request, dict[str, str], dict[str, Any]], Any]
_ID = r"(?P<id>[0-9a-f-]{36})"


def _when(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _org(request: Request, body: dict[str, Any]) -> int:
    return int(body.get("org", request.query.get("org") or 0))


def _stream(name: str, rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    yield f'{{"{name}":['.encode()
    for number, row in enumerate(rows):
        yield (b"," if number else b"") + json.dumps(row, ensure_ascii=False).encode()
    yield b"]}"


def state(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``GET /_sim/state``."""
    return {
        "now": sim.clock.now().isoformat(),
        "clockRunning": sim.clock.running,
        "catalogModel": sim.config.catalog_model,
        "organizations": [
            {
                **sim.organization(k),
                "orders": sim.order_count(k),
                "reservations": sim.reservation_count(k),
            }
            for k in range(len(sim.orgs))
        ],
        "faults": sim.faults.spec(),
    }


def list_orders(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/orders?org=N``: every order, streamed."""
    return Response(
        200, stream=_stream("orders", sim.orders_truth(_org(request, body))), content_type=JSON
    )


def add_orders(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``POST /_sim/orders`` ``{"n": 5, "createdAt": null, "org": 0}``."""
    orders = sim.add_orders(
        int(body.get("n", 1)), _when(body.get("createdAt")), _org(request, body)
    )
    return {"orders": orders}


def get_order(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/orders/{id}``."""
    return sim.order_truth(params["id"])


def delete_order(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``DELETE /_sim/orders/{id}``: the order is gone upstream (collection, count, endpoint)."""
    sim.delete_order(params["id"])
    return {"deleted": params["id"]}


def ties(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``POST /_sim/ties`` ``{"shuffle": true, "seed": null}``: orders sharing a second come
    in a new order on each request (``false``: in the stable order again)."""
    shuffle = body.get("shuffle", True)
    if not isinstance(shuffle, bool):
        raise ValueError("shuffle: true or false")
    sim.ties = random.Random(body.get("seed")) if shuffle else None
    return {"shuffle": shuffle}


def cancel(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``POST /_sim/orders/{id}/cancel`` ``{"at": null}``."""
    return sim.cancel_order(params["id"], _when(body.get("at")))


def validate(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``POST /_sim/orders/{id}/validate`` ``{"ticket": null}`` (null: every ticket)."""
    return sim.validate_ticket(params["id"], body.get("ticket"))


def update_ticket(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``POST /_sim/orders/{id}/tickets/{ticket}`` with any of the changeable fields."""
    names = {"voucher": "voucher", "beneficiary": "beneficiary", "status": "status"}
    names["beneficiaryAmendable"] = "beneficiary_amendable"
    changes = {names[key]: value for key, value in body.items() if key in names}
    return sim.update_ticket(params["id"], params["ticket"], **changes)


def documents(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/orders/{id}/documents``."""
    return {"documents": sim.documents_truth(params["id"])}


def add_document(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``POST /_sim/orders/{id}/documents`` ``{"downloadableAt": "..."|null}`` (absent: now)."""
    if "downloadableAt" in body:
        return sim.add_document(params["id"], _when(body["downloadableAt"]))
    return sim.add_document(params["id"])


def list_reservations(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/reservations?org=N``: every reservation, streamed."""
    rows = sim.reservations_truth(_org(request, body))
    return Response(200, stream=_stream("reservations", rows), content_type=JSON)


def release(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``POST /_sim/reservations/{id}/release``."""
    return sim.release_reservation(params["id"])


def catalogue(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/catalogue?org=N&cascade=true``: rows by kind (see ``catalogue_truth``)."""
    cascade = (request.query.get("cascade") or "").lower() in ("1", "true")
    return sim.catalogue_truth(_org(request, body), cascade)


def update_row(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``PATCH /_sim/catalogue/{kind}/{id}`` with the fields to overwrite."""
    return sim.update(params["kind"], params["id"], **body)


def remove_row(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``DELETE /_sim/catalogue/{kind}/{id}``."""
    sim.remove(params["kind"], params["id"])
    return Response(204, content_type=JSON)


def disable_base(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``POST /_sim/product_bases/{id}/disable`` ``{"disabled": true}``."""
    return sim.disable_product_base(params["id"], bool(body.get("disabled", True)))


def get_faults(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``GET /_sim/faults``: rates, settings and queued injections."""
    pending = [vars(i) for i in sim.wsgi.picker.pending()]
    return {"spec": sim.faults.spec(), "rates": dict(sim.faults.rates), "pending": pending}


def put_faults(
    sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]
) -> Any:
    """``PUT /_sim/faults`` ``{"spec": "429=0.1"}`` replaces the rates and settings."""
    fresh = Faults.parse(str(body.get("spec", "")))
    faults = sim.faults
    faults.rates, faults.retry_after = fresh.rates, fresh.retry_after
    faults.retry_after_format, faults.slow_seconds = fresh.retry_after_format, fresh.slow_seconds
    if body.get("clearInjections"):
        sim.wsgi.picker.clear()
    return get_faults(sim, request, params, body)


def inject(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``POST /_sim/inject`` ``{"kind": "500", "count": 1, "pathPrefix": ""}``."""
    sim.inject(str(body["kind"]), int(body.get("count", 1)), str(body.get("pathPrefix", "")))
    return get_faults(sim, request, params, body)


def clock(sim: Simulator, request: Request, params: dict[str, str], body: dict[str, Any]) -> Any:
    """``GET``/``POST /_sim/clock`` ``{"set": iso, "advance": seconds, "running": bool}``."""
    if "set" in body:
        sim.clock.set(_when(body["set"]) or sim.clock.now())
    if "advance" in body:
        sim.clock.advance(float(body["advance"]))
    if "running" in body:
        (sim.clock.resume if body["running"] else sim.clock.freeze)()
    sim.tick()
    return {"now": sim.clock.now().isoformat(), "running": sim.clock.running}


_ROUTES: tuple[tuple[str, str, Action], ...] = (
    ("GET", "/_sim/state", state),
    ("GET", "/_sim/orders", list_orders),
    ("POST", "/_sim/orders", add_orders),
    ("GET", f"/_sim/orders/{_ID}", get_order),
    ("DELETE", f"/_sim/orders/{_ID}", delete_order),
    ("POST", "/_sim/ties", ties),
    ("POST", f"/_sim/orders/{_ID}/cancel", cancel),
    ("POST", f"/_sim/orders/{_ID}/validate", validate),
    ("POST", f"/_sim/orders/{_ID}/tickets/(?P<ticket>[0-9a-f-]{{36}})", update_ticket),
    ("GET", f"/_sim/orders/{_ID}/documents", documents),
    ("POST", f"/_sim/orders/{_ID}/documents", add_document),
    ("GET", "/_sim/reservations", list_reservations),
    ("POST", f"/_sim/reservations/{_ID}/release", release),
    ("GET", "/_sim/catalogue", catalogue),
    ("PATCH", "/_sim/catalogue/(?P<kind>[a-z_]+)/(?P<id>[^/]+)", update_row),
    ("DELETE", "/_sim/catalogue/(?P<kind>[a-z_]+)/(?P<id>[^/]+)", remove_row),
    ("POST", f"/_sim/product_bases/{_ID}/disable", disable_base),
    ("GET", "/_sim/faults", get_faults),
    ("PUT", "/_sim/faults", put_faults),
    ("POST", "/_sim/inject", inject),
    ("GET", "/_sim/clock", clock),
    ("POST", "/_sim/clock", clock),
)


def _error(status: int, message: str) -> Response:
    return Response(status, {"error": message}, content_type=JSON)


def handle(sim: Simulator, request: Request) -> Response:
    """Answer one control request."""
    for method, pattern, action in _ROUTES:
        found = re.fullmatch(pattern, request.path)
        if found is None or method != request.method:
            continue
        try:
            body = request.json() if request.body else {}
            result = action(sim, request, found.groupdict(), body if isinstance(body, dict) else {})
        except KeyError as missing:
            return _error(404, str(missing.args[0] if missing.args else missing))
        except (ValueError, TypeError, ApiProblem) as bad:
            return _error(400, str(bad))
        return result if isinstance(result, Response) else Response(200, result, content_type=JSON)
    return _error(404, f"no control route {request.method} {request.path}")
