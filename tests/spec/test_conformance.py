"""Conformance: every GET operation of the vendored spec, served by the simulator, validates.

The simulator is crawled (both catalogue models, several seeds, no faults) and each response
is validated against the schema the spec gives for its operation and status. Validation is
stricter than the spec: objects of documented shape may not carry undocumented properties
(JSON-LD ``@id``/``@type`` excepted), formats are checked the simulator's way (``+00:00``
second-precision timestamps), and every GET operation must have been exercised.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from korsync.fake_api import SimConfig, Simulator
from korsync.fake_api.config import CatalogModel

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
SHARED_SPEC = Path(__file__).resolve().parents[2].parent / "shared/korusticket-api/openapi.yaml"
NOW = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
# Schemas whose shape the docs did not capture: the simulator adds fields to them.
LOOSE = {
    "TicketingProductBaseOptionValue",
    "TicketingOfferTicketSession",
    "TicketingSession",
    "FormField",
    "FormFieldChoice",
}
# Schemas used as allOf members: closing them would reject their siblings' properties.
OPEN = {"JsonLdNode", "Problem", "HydraCollection"}
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")


def test_vendored_spec_matches_the_shared_one() -> None:
    """tests/spec/openapi.yaml is a byte copy of ../shared/korusticket-api/openapi.yaml."""
    if not SHARED_SPEC.exists():
        pytest.skip("../shared/korusticket-api is not beside the repository")
    assert SPEC_PATH.read_bytes() == SHARED_SPEC.read_bytes()


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {
            k: _strict(v)
            for k, v in node.items()
            if not (k == "additionalProperties" and v is True)
        }
        if "properties" in node:
            node["properties"] = {
                "@id": {"type": "string"},
                "@type": {"type": "string"},
                **node["properties"],
            }
        return node
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


@functools.cache
def spec() -> dict[str, Any]:
    """The vendored spec, with its component schemas closed (see the module docstring)."""
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    strict = _strict(copy.deepcopy(document))
    for name, schema in strict["components"]["schemas"].items():
        if name not in LOOSE | OPEN and ("properties" in schema or "allOf" in schema):
            schema["unevaluatedProperties"] = False
    for name in LOOSE:  # keep these open to undocumented fields, as the spec says
        strict["components"]["schemas"][name] = document["components"]["schemas"][name]
    return dict(strict)


@functools.cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resources([("urn:spec", resource)])  # typed, unlike with_resource


def _formats() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time")
    def _stamp(value: object) -> bool:
        return not isinstance(value, str) or bool(STAMP.match(value))

    @checker.checks("date")
    def _date(value: object) -> bool:
        return not isinstance(value, str) or bool(dt.date.fromisoformat(value))

    @checker.checks("iri-reference")
    def _iri(value: object) -> bool:
        return not isinstance(value, str) or value.startswith("/")

    return checker


def _pointer(*parts: str) -> str:
    return "/".join(quote(p.replace("~", "~0").replace("/", "~1"), safe="~") for p in parts)


def validate(template: str, status: int, body: Any) -> None:
    """Validate ``body`` against the spec's response schema of GET ``template``/``status``."""
    responses = spec()["paths"][template]["get"]["responses"]
    entry = responses.get(str(status))
    assert entry is not None, f"GET {template} does not document status {status}"
    if "$ref" in entry:
        parts = ["components", "responses", entry["$ref"].rsplit("/", 1)[-1]]
        entry = spec()["components"]["responses"][parts[-1]]
    else:
        parts = ["paths", template, "get", "responses", str(status)]
    if "content" not in entry:  # e.g. 401: body undocumented, ours is a problem document
        schema = {"$ref": "urn:spec#/components/schemas/Problem", "unevaluatedProperties": False}
    else:
        content = entry["content"]["application/ld+json"]["schema"]
        loose = content.get("$ref", "").rsplit("/", 1)[-1] in LOOSE
        pointer = _pointer(*parts, "content", "application/ld+json", "schema")
        schema = {"$ref": f"urn:spec#/{pointer}", "unevaluatedProperties": loose}
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=_formats())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"GET {template} {status}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]
    )


def _templates() -> list[tuple[str, re.Pattern[str]]]:
    found = []
    for template, item in spec()["paths"].items():
        if "get" in item:
            found.append((template, re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$")))
    return found


def operation_of(path: str) -> str:
    """The spec path template a concrete path belongs to."""
    matches = [t for t, pattern in _templates() if pattern.match(path)]
    assert len(matches) == 1, (path, matches)
    return matches[0]


def _urls(sim: Simulator) -> list[str]:
    truth = sim.catalogue_truth()
    urls = ["/v1/ticketing/catalogs", "/v1/booking/orders", "/v1/booking/reservations"]
    urls += ["/v1/booking/orders?itemsPerPage=50&page=2&order%5BcreatedAt%5D=desc"]
    for kind, rows in truth.items():
        for row in rows[:3]:
            iri = row["@id"]
            if not iri.startswith("/.well-known/") and kind != "options":  # no item operation
                urls.append(iri)
            if kind in ("catalogs",):
                urls += [
                    f"{iri}/{sub}" for sub in ("offers", "products", "product_bases", "events")
                ]
                urls.append(f"{iri}/product_bases?withDisabled=true")
            elif kind == "product_bases":
                urls += [f"{iri}/products", f"{iri}/options"]
            elif kind == "options":
                urls.append(f"{iri}/values")
            elif kind == "offers":
                urls += [f"{iri}/price", f"{iri}/availability", f"{iri}/tickets"]
            elif kind == "events" or (kind == "offer_tickets" and not row["dateAccess"]):
                urls.append(f"{iri}/sessions")
            elif kind == "sessions":
                urls.append(f"{iri}/availability")
    urls += [f"{t['@id']}/sessions" for t in truth["offer_tickets"] if not t["dateAccess"]][:2]
    for order in list(sim.orders_truth())[:40:4]:
        urls += [
            order["@id"],
            order["reservation"],
            f"{order['@id']}/documents",
            *order["documents"],
        ]
        urls += [t["@id"] for item in order["items"] for t in item["tickets"]]
    return urls


def _crawl(sim: Simulator) -> set[str]:
    seen = set()
    headers = {"Authorization": f"Bearer {sim.token}", "Accept": "application/ld+json"}
    transport = httpx.WSGITransport(app=sim.wsgi)
    with httpx.Client(transport=transport, base_url="http://korus.test", headers=headers) as api:
        for url in _urls(sim):
            response = api.get(url)
            template = operation_of(url.split("?")[0])
            if response.status_code == 404 and template not in seen:
                continue  # a route of the other catalogue model
            assert response.status_code == 200, (url, response.text[:300])
            assert response.headers["content-type"].startswith("application/ld+json")
            validate(template, 200, response.json())
            seen.add(template)
    return seen


def _sim(seed: int, model: CatalogModel) -> Simulator:
    config = SimConfig(seed=seed, orders=80, now=NOW, clock_running=False, catalog_model=model)
    return Simulator(config)


@pytest.mark.parametrize(
    ("seed", "model"), [(1, "both"), (2, "both"), (3, "product_bases"), (4, "events")]
)
def test_every_get_response_matches_the_spec(seed: int, model: CatalogModel) -> None:
    """Crawling an account validates every response; a 'both' account covers every GET."""
    seen = _crawl(_sim(seed, model))
    every = {template for template, _ in _templates()}
    if model == "both":
        assert seen == every, f"not exercised: {sorted(every - seen)}"
    else:
        assert len(seen) >= len(every) - 7


def test_error_responses_match_the_spec() -> None:
    """404 on unknown ids and 401 without a token are problem documents the spec accepts."""
    sim = _sim(5, "both")
    unknown = "0194cb22-b891-754c-8c4c-777b93f8d072"
    transport = httpx.WSGITransport(app=sim.wsgi)
    with httpx.Client(transport=transport, base_url="http://korus.test") as raw:
        unauthorized = raw.get("/v1/booking/orders")
        assert unauthorized.status_code == 401
        validate("/v1/booking/orders", 401, unauthorized.json())
        headers = {"Authorization": f"Bearer {sim.token}"}
        for path in ("/v1/booking/orders/{id}", "/v1/ticketing/catalogs/{id}", "/v1/forms/{id}"):
            response = raw.get(path.replace("{id}", unknown), headers=headers)
            assert response.status_code == 404
            validate(path, 404, response.json())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda o: o.update(loyaltyPoints=3), "top level"),
        (lambda o: o.update(status="refunded"), "enum"),
        (lambda o: o["items"][0]["tickets"][0].update(voucher=42), "nested type"),
        (lambda o: o.update(createdAt="2025-01-27 15:15:20"), "timestamp format"),
    ],
)
def test_the_validation_is_strict_enough_to_fail(change: Any, where: str) -> None:
    """An undocumented field, a bad enum, a wrong type or a bad timestamp fails validation."""
    order = next(_sim(6, "both").orders_truth())
    validate("/v1/booking/orders/{id}", 200, order)
    change(order)
    with pytest.raises(AssertionError):
        validate("/v1/booking/orders/{id}", 200, order)
