"""Matching a method and path to a route of the KorusTicket contract.

Routes are declared with the spec's path templates (``/v1/booking/orders/{id}``); path
parameters must match the spec's UUIDv7 pattern (ticket and event ids: any UUID; option
codes: the four documented ones), as API Platform's route requirements do, or the route does
not match (404). A path that matches with another method answers 405. Routes of the catalogue
model an account is not on are left out, so they answer 404 too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from korsync.fake_api.hydra import ApiProblem
from korsync.fake_api.messages import Request, Response

if TYPE_CHECKING:
    from korsync.fake_api.simulator import Simulator
    from korsync.fake_api.state import OrgState

UUID7 = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PARAMETER_PATTERNS = {
    "ticketId": UUID,
    "eventId": UUID,
    "code": "seating_category|zone|price_type|days_count",
}


@dataclass(frozen=True)
class Call:
    """What a route handler gets: the simulator, the caller's organization, the request."""

    sim: Simulator
    org: OrgState
    request: Request
    params: dict[str, str]


Handler = Callable[[Call], Response]


@dataclass(frozen=True)
class Route:
    """One operation: method, compiled path, handler and its traits."""

    method: str
    template: str
    handler: Handler
    model: str = "any"
    paginated: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        """The compiled path template."""
        return compile_template(self.template)


_COMPILED: dict[str, re.Pattern[str]] = {}


def compile_template(template: str) -> re.Pattern[str]:
    """A regex for a spec path template."""
    if template not in _COMPILED:

        def parameter(match: re.Match[str]) -> str:
            name = match[1]
            return f"(?P<{name}>{_PARAMETER_PATTERNS.get(name, UUID7)})"

        _COMPILED[template] = re.compile("^" + re.sub(r"\{(\w+)\}", parameter, template) + "$")
    return _COMPILED[template]


class Router:
    """The routes served for one catalogue model."""

    def __init__(self, routes: Iterable[Route], models: set[str]) -> None:
        self.routes = [route for route in routes if route.model in models]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and path parameters; raises ``ApiProblem`` 404 or 405."""
        allowed = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise ApiProblem(405, f'No route found for "{method} {path}": Method Not Allowed')
        raise ApiProblem(404, f'No route found for "{method} {path}"')
