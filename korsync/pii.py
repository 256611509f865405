"""The personal-data policy (``KORSYNC_PII``) applied to orders before they are stored.

``keep`` stores customer and beneficiary details as sent. ``hash`` replaces each personal value
(names, email, phone, date and place of birth) with a keyed HMAC-SHA256 of its trimmed,
case-folded text, so equal values stay equal (counting distinct customers still works) while
the value itself cannot be read back; date columns become NULL. ``drop`` stores NULL. The same
policy rewrites the ``raw`` JSON, since it is applied to the item before anything is mapped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Literal

Mode = Literal["keep", "hash", "drop"]
CUSTOMER_FIELDS = ("firstname", "lastname", "email", "phone")
HASH_PREFIX = "hmac-sha256:"
BENEFICIARY_FIELDS = ("firstname", "lastname", "email", "phone", "dateOfBirth", "placeOfBirth")


@dataclasses.dataclass(frozen=True)
class PiiPolicy:
    """How personal fields are stored; ``key`` is the HMAC key for ``hash``."""

    mode: Mode = "keep"
    key: bytes = dataclasses.field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if self.mode == "hash" and not self.key:
            raise ValueError("the hash policy needs a key")

    def value(self, value: Any) -> Any:
        """One personal value under the policy (None stays None)."""
        if value is None or self.mode == "keep":
            return value
        if self.mode == "drop":
            return None
        text = str(value).strip().casefold().encode()
        return HASH_PREFIX + hmac.new(self.key, text, hashlib.sha256).hexdigest()

    def order(self, item: Any) -> Any:
        """The order item with its customer and every ticket beneficiary rewritten."""
        if self.mode == "keep" or not isinstance(item, Mapping):
            return item
        order = dict(item)
        if isinstance(order.get("customer"), Mapping):
            order["customer"] = self._fields(order["customer"], CUSTOMER_FIELDS)
        if isinstance(order.get("items"), list):
            order["items"] = [self._line(line) for line in order["items"]]
        return order

    def _line(self, line: Any) -> Any:
        if not isinstance(line, Mapping) or not isinstance(line.get("tickets"), list):
            return line
        return {**line, "tickets": [self._ticket(t) for t in line["tickets"]]}

    def _ticket(self, ticket: Any) -> Any:
        if not isinstance(ticket, Mapping) or not isinstance(ticket.get("beneficiary"), Mapping):
            return ticket
        return {**ticket, "beneficiary": self._fields(ticket["beneficiary"], BENEFICIARY_FIELDS)}

    def _fields(self, person: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
        return {k: self.value(v) if k in fields else v for k, v in person.items()}
