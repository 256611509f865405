"""The simulator's log of the mutations applied to it: what changed, on which id, and when by
the simulator's clock, in the order they were applied. Tests compare what a mirror recorded
(its change history) with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One change: ``action`` (``cancel_order``, ``update_ticket``, ``update``, ``remove``,
    ``restore``, ``delete_order``) on ``target`` (an id) at ``at``, setting ``changes`` (API
    field names, as given)."""

    at: dt.datetime
    action: str
    target: str
    changes: dict[str, Any] = dataclasses.field(default_factory=dict)
    kind: str = ""  # the catalogue kind, for catalogue rows


class MutationLog:
    """Mutations in the order applied (thread-safe: the simulator serves from threads)."""

    def __init__(self) -> None:
        self._entries: list[Mutation] = []
        self._lock = threading.Lock()

    def record(self, mutation: Mutation) -> None:
        with self._lock:
            self._entries.append(mutation)

    def entries(self, action: str | None = None) -> list[Mutation]:
        """Every mutation so far (of ``action`` only, when given), oldest first."""
        with self._lock:
            return [m for m in self._entries if action is None or m.action == action]
