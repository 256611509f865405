"""The WSGI application: routing, authentication, latency and faults around the routes.

Order of work per request, as a gateway in front of API Platform would do it: ``/_sim/``
goes to the control API (no token, no faults); otherwise the rate limit (a 429 at once),
latency, then the fault draw (a
gateway-level fault answers at once), the token endpoint or route match (404/405), the bearer
token (401), a forbidden catalogue model (403), the handler, and finally the body-level faults.
Faults that cannot be rendered in-process raise what httpx raises on the wire: ``reset`` raises
``httpx.ReadError`` and ``slow`` raises ``httpx.ReadTimeout`` (on the real server they reset the
socket and stall).
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from korsync.fake_api import control, shapes, transform
from korsync.fake_api.auth import TOKEN_PATH, AuthError
from korsync.fake_api.faults import EARLY_FAULTS, FAULT_KINDS, GET_ONLY_FAULTS, FaultPicker
from korsync.fake_api.hydra import ApiProblem, Query, problem, reason
from korsync.fake_api.messages import JSON, Request, Response, error_response
from korsync.fake_api.ratelimit import RateLimit
from korsync.fake_api.routes_booking import ROUTES as BOOKING_ROUTES
from korsync.fake_api.routes_catalogue import ROUTES as CATALOGUE_ROUTES
from korsync.fake_api.routes_events import ROUTES as EVENT_ROUTES
from korsync.fake_api.routing import Call, Route, Router

if TYPE_CHECKING:
    from korsync.fake_api.simulator import Simulator

StartResponse = Callable[..., Any]
SERVER_KEY = "korsync.fake_api.server"  # set by our HTTP server: real sockets behind
ABORT_KEY = "korsync.fake_api.abort"  # callable: reset the connection without a response
CLOSE_KEY = "korsync.fake_api.close"  # set by the app: close the connection after this body


class Application:
    """The simulator's WSGI callable (see the module docstring)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        models = {"any"}
        models |= {"product_bases"} if sim.config.has_product_bases else set()
        models |= {"events"} if sim.config.has_events else set()
        self.router = Router((*BOOKING_ROUTES, *CATALOGUE_ROUTES, *EVENT_ROUTES), models)
        self.picker = FaultPicker(sim.config.seed)
        limit = sim.config.rate_limit
        self.rate_limit = RateLimit(limit) if limit is not None else None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        try:
            response, fault = self.respond(request)
        except (httpx.ReadError, httpx.ReadTimeout):
            raise
        except Exception:  # a bug in the simulator: answer like a crashed PHP backend
            traceback.print_exc(file=environ.get("wsgi.errors", sys.stderr))
            response, fault = Response(500, problem(500, "Internal Server Error")), None
        if response.stream is not None:
            start_response(_status_line(response.status), _headers(response, None))
            return response.stream
        body = response.encode()
        length = len(body)
        if fault == "truncated":
            body, environ[CLOSE_KEY] = body[: max(1, length // 2)], True
        elif fault == "invalid_json":
            body = transform.PHP_WARNING + body
            length = len(body)
        start_response(_status_line(response.status), _headers(response, length))
        return [body]

    def respond(self, request: Request) -> tuple[Response, str | None]:
        """The response to ``request`` and the fault it carries (``None`` when healthy)."""
        if request.path == "/_sim" or request.path.startswith("/_sim/"):
            return control.handle(self.sim, request), None
        refusal = self.rate_limit.refusal(request) if self.rate_limit is not None else None
        if refusal is not None:
            return refusal, None
        if self.sim.config.latency_ms:
            time.sleep(self.sim.config.latency_ms / 1000)
        route, params, miss = self._match(request)
        fault = self.picker.pick(self.sim.faults, request.path, _eligible(request, route))
        if fault in EARLY_FAULTS:
            early = self._early(fault or "", request)
            if early is not None:
                return early, fault
        if request.path == TOKEN_PATH:
            return self._token(request), fault
        response = self._dispatch(request, route, params, miss)
        if fault in GET_ONLY_FAULTS and response.status == 200:
            response = self._late(fault or "", request, route, params, response)
        return response, fault

    def _match(self, request: Request) -> tuple[Route | None, dict[str, str], ApiProblem | None]:
        if request.path == TOKEN_PATH:
            return None, {}, None
        try:
            route, params = self.router.match(request.method, request.path)
        except ApiProblem as miss:
            return None, {}, miss
        return route, params, None

    def _early(self, fault: str, request: Request) -> Response | None:
        in_process = not request.environ.get(SERVER_KEY)
        if fault == "slow":
            if in_process:
                raise httpx.ReadTimeout("timed out (simulated slow response)")
            time.sleep(self.sim.faults.slow_seconds)
            return None
        if fault == "reset":
            abort = request.environ.get(ABORT_KEY)
            if abort is None:
                raise httpx.ReadError("[Errno 104] Connection reset by peer (simulated)")
            abort()
            return Response(500, raw=b"")
        return transform.gateway_error(int(fault), self.sim.faults)

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(
                405,
                {"error": "invalid_request", "error_description": "HTTP 405"},
                content_type=JSON,
            )
        try:
            body = self.sim.tokens.grant(
                request.body, time_now(self.sim), self.sim.config.token_lifetime
            )
        except AuthError as refused:
            return Response(refused.status, refused.body(), content_type=JSON)
        return Response(200, body, [("Cache-Control", "no-store")], content_type=JSON)

    def _dispatch(
        self, request: Request, route: Route | None, params: dict[str, str], miss: ApiProblem | None
    ) -> Response:
        if miss is not None or route is None:
            return error_response(miss or ApiProblem(404, "Not Found"))
        org = self.sim.tokens.authenticate(
            request.headers.get("authorization"),
            time_now(self.sim),
            bare=self.sim.config.auth == "bare",
        )
        if isinstance(org, str):
            response = Response(401, problem(401, org))
            response.headers.append(("WWW-Authenticate", 'Bearer realm="korusticket"'))
            return response
        self.sim.tick()
        if route.model == self.sim.config.forbidden_model:
            return Response(403, problem(403, "Access Denied."))
        try:
            response = route.handler(Call(self.sim, self.sim.orgs[org], request, params))
        except ApiProblem as error:
            return error_response(error)
        if self.sim.config.shapes and response.status == 200:
            shapes.apply(self.sim.config.shapes, response.payload)  # the docs' shapes, opted in
        return response

    def _late(
        self,
        fault: str,
        request: Request,
        route: Route | None,
        params: dict[str, str],
        response: Response,
    ) -> Response:
        if fault == "repeat_page" and route is not None:
            previous = _with_page(request, _page_number(request) - 1)
            earlier = self._dispatch(previous, route, params, None)
            if earlier.status == 200:
                response.payload["member"] = earlier.payload["member"]
        elif fault == "unknown_field":
            transform.add_unknown_fields(response.payload)
        elif fault == "bad_enum":
            transform.break_an_enum(response.payload)
        return response


def time_now(sim: Simulator) -> float:
    """The simulator clock as a Unix timestamp."""
    return sim.clock.now().timestamp()


def _page_number(request: Request) -> int:
    try:
        return int(request.query.get("page") or 1)
    except ValueError:
        return 1


def _eligible(request: Request, route: Route | None) -> frozenset[str]:
    kinds = set(FAULT_KINDS) - GET_ONLY_FAULTS
    if request.method == "GET" and route is not None:
        kinds |= {"unknown_field", "bad_enum"}
        if route.paginated and _page_number(request) >= 2:
            kinds.add("repeat_page")
    return frozenset(kinds)


def _with_page(request: Request, page: int) -> Request:
    pairs = [(k, v) for k, v in request.query.pairs if k != "page"] + [("page", str(page))]
    return Request(
        request.method,
        request.path,
        Query(urlencode(pairs)),
        request.headers,
        request.body,
        request.environ,
    )


def _status_line(status: int) -> str:
    return f"{status} {reason(status)}"


def _headers(response: Response, length: int | None) -> list[tuple[str, str]]:
    headers = [("Content-Type", response.content_type)]
    if length is not None:
        headers.append(("Content-Length", str(length)))
    return headers + response.headers
