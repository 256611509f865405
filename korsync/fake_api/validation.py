"""Request-body checks of the write operations, answered like API Platform's validator.

Every failed constraint becomes a violation (``propertyPath``, ``message``, ``code``) and the
whole call is rejected with a 422 ``ConstraintViolationList``, as the bulk endpoints' synchronous
consistency check does. Successful checks return the cleaned values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from korsync.fake_api.hydra import ApiProblem

BENEFICIARY_FIELDS = (
    "firstname",
    "lastname",
    "email",
    "phone",
    "title",
    "dateOfBirth",
    "placeOfBirth",
    "nationality",
)
CUSTOMER_FIELDS = (
    "firstname",
    "lastname",
    "email",
    "phone",
    "optin",
    "country",
    "language",
    "title",
)
TITLES = ("mr", "mrs", "mx")


@dataclass
class Violations:
    """Collects constraint violations and raises them together."""

    found: list[dict[str, Any]] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        """Record one violation."""
        self.found.append({"propertyPath": path, "message": message, "code": None})

    def raise_any(self) -> None:
        """Raise the 422 problem when anything was recorded."""
        if not self.found:
            return
        detail = "\n".join(f"{v['propertyPath']}: {v['message']}" for v in self.found)
        extra = {
            "@context": "/contexts/ConstraintViolationList",
            "@type": "ConstraintViolationList",
            "@id": "/validation_errors/simulator",
            "type": "/validation_errors/simulator",
            "violations": self.found,
        }
        raise ApiProblem(422, detail, extra)


def _object(body: Any, name: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiProblem(400, f"The request body must be a JSON object ({name}).")
    return body


def _person(data: Any, path: str, keys: tuple[str, ...], checks: Violations) -> dict[str, Any]:
    if not isinstance(data, dict):
        checks.add(path, "This value should be of type object.")
        return {}
    for key in ("firstname", "lastname"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            checks.add(f"{path}.{key}", "This value should not be blank.")
    title = data.get("title")
    if title is not None and title not in TITLES:
        checks.add(f"{path}.title", "The value you selected is not a valid choice.")
    return {key: data[key] for key in keys if key in data}


def validate_beneficiary(body: Any) -> dict[str, Any]:
    """The ``beneficiary`` of a ticket merge-patch body."""
    checks = Violations()
    beneficiary = _person(
        _object(body, "ticket").get("beneficiary"), "beneficiary", BENEFICIARY_FIELDS, checks
    )
    checks.raise_any()
    return beneficiary


@dataclass(frozen=True)
class ItemRequest:
    """One item of a reservations ``_bulk`` body."""

    offer: str
    quantity: int
    sessions: dict[str, str]


def reservation_items(body: Any) -> list[ItemRequest]:
    """The items of a reservations ``_bulk`` body (IRIs not resolved yet)."""
    checks = Violations()
    items = _object(body, "reservations").get("items")
    if not isinstance(items, list) or not items:
        checks.add("items", "This collection should contain 1 element or more.")
        checks.raise_any()
    found = []
    for number, item in enumerate(items or []):
        path = f"items[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("offer"), str):
            checks.add(f"{path}.offer", "This value should not be blank.")
            continue
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            checks.add(f"{path}.quantity", "This value should be greater than or equal to 1.")
            continue
        sessions = {
            entry["ticket"]: entry["session"]
            for entry in item.get("ticketSessions") or []
            if isinstance(entry, dict)
            and isinstance(entry.get("ticket"), str)
            and isinstance(entry.get("session"), str)
        }
        found.append(ItemRequest(item["offer"], quantity, sessions))
    checks.raise_any()
    return found


@dataclass(frozen=True)
class OrderRequest:
    """A validated orders ``_bulk`` body."""

    reservations: list[str]
    customer: dict[str, Any]
    external_reference: str


def order_request(body: Any) -> OrderRequest:
    """The parts of an orders ``_bulk`` body (reservation IRIs not resolved yet)."""
    checks = Violations()
    data = _object(body, "orders")
    reservations = data.get("reservations")
    if not isinstance(reservations, list) or not reservations:
        checks.add("reservations", "This collection should contain 1 element or more.")
    elif not all(isinstance(iri, str) for iri in reservations):
        checks.add("reservations", "This value should be of type iri.")
    customer = _person(data.get("customer"), "customer", CUSTOMER_FIELDS, checks)
    if customer and not isinstance(customer.get("email"), str):
        checks.add("customer.email", "This value should not be blank.")
    reference = data.get("externalReference")
    if not isinstance(reference, str) or not 1 <= len(reference) <= 255:
        checks.add("externalReference", "This value should not be blank.")
    checks.raise_any()
    return OrderRequest(list(reservations or []), customer, str(reference))
