"""Opt-in failures: which fault a request gets, and how each fault changes the response.

``Faults`` holds a rate (0..1) per fault kind plus the knobs of some kinds (``Retry-After``,
slow delay); it parses the command line's ``--faults "429=0.05,500=0.02"``. ``FaultPicker``
decides per request: targeted injections first (``inject``: the next *count* matching requests),
then one seeded draw per request against the cumulative rates, so a sequential client sees the
same faults for the same seed. Rate faults hit only ``/v1/`` routes; the control API never.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from korsync.fake_api.keys import unit

FAULT_KINDS: tuple[str, ...] = (
    "429",
    "500",
    "502",
    "503",
    "504",
    "slow",
    "truncated",
    "invalid_json",
    "reset",
    "repeat_page",
    "unknown_field",
    "bad_enum",
)
# Faults that replace the response before the route runs.
EARLY_FAULTS = frozenset({"429", "500", "502", "503", "504", "reset", "slow"})
# Faults that only make sense on a successful GET.
GET_ONLY_FAULTS = frozenset({"repeat_page", "unknown_field", "bad_enum"})


@dataclass
class Faults:
    """Fault rates by kind, and the settings of the ``429`` and ``slow`` faults.

    ``retry_after`` is the ``Retry-After`` value in seconds (``None``: no header) and
    ``retry_after_format`` says whether it is sent as seconds or as an HTTP date.
    ``slow_seconds`` is how long a ``slow`` response stalls on the real server.
    """

    rates: dict[str, float] = field(default_factory=dict)
    retry_after: int | None = 1
    retry_after_format: Literal["seconds", "date"] = "seconds"
    slow_seconds: float = 30.0

    def __post_init__(self) -> None:
        for kind, rate in list(self.rates.items()):
            self.set(kind, rate)

    def set(self, kind: str, rate: float) -> None:
        """Set the rate of ``kind``; raises ``ValueError`` on an unknown kind or a bad rate."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate for {kind} must be within 0..1, got {rate}")
        self.rates[kind] = float(rate)

    def rate(self, kind: str) -> float:
        """The rate of ``kind`` (0 when unset)."""
        return self.rates.get(kind, 0.0)

    def clear(self) -> None:
        """Set every rate to zero."""
        self.rates.clear()

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Faults from ``"429=0.05,500=0.02,slow=0.01,retry_after=date:2,slow_seconds=5"``.

        Keys are fault kinds (value: rate) or the settings ``retry_after`` (``N``, ``none``,
        ``date`` or ``date:N``) and ``slow_seconds``. Raises ``ValueError`` on anything else.
        """
        faults = cls()
        for part in (piece.strip() for piece in spec.split(",")):
            if not part:
                continue
            key, sep, value = (text.strip() for text in part.partition("="))
            if not sep:
                raise ValueError(f"fault spec entry {part!r} is not KEY=VALUE")
            faults.apply_setting(key, value)
        return faults

    def apply_setting(self, key: str, value: str) -> None:
        """Apply one ``KEY=VALUE`` entry of a fault spec."""
        if key == "retry_after":
            self._set_retry_after(value)
        elif key == "slow_seconds":
            self.slow_seconds = _number(key, value)
        else:
            self.set(key, _number(key, value))

    def _set_retry_after(self, value: str) -> None:
        lowered = value.lower()
        if lowered in ("none", "missing"):
            self.retry_after = None
            return
        if lowered.startswith("date"):
            self.retry_after_format = "date"
            lowered = lowered.removeprefix("date").removeprefix(":") or "1"
        if not lowered.isdigit():
            raise ValueError(f"retry_after must be N, none, date or date:N, got {value!r}")
        self.retry_after = int(lowered)

    def spec(self) -> str:
        """This object as a spec string that ``parse`` reads back."""
        parts = [f"{kind}={self.rates[kind]:g}" for kind in FAULT_KINDS if self.rate(kind)]
        if self.retry_after is None:
            parts.append("retry_after=none")
        else:
            prefix = "date:" if self.retry_after_format == "date" else ""
            parts.append(f"retry_after={prefix}{self.retry_after}")
        parts.append(f"slow_seconds={self.slow_seconds:g}")
        return ",".join(parts)


def _number(key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"fault spec value for {key} is not a number: {value!r}") from None


@dataclass
class Injection:
    """A targeted fault: the next ``count`` requests whose path starts with ``path_prefix``."""

    kind: str
    count: int
    path_prefix: str


def path_matches(path: str, prefix: str) -> bool:
    """Whether an injection with ``prefix`` targets ``path`` (empty prefix: API routes only)."""
    if path.startswith("/_sim/"):
        return False
    return path.startswith(prefix) if prefix else path.startswith("/v1/")


class FaultPicker:
    """Chooses at most one fault per request, deterministically for a seed."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._draws = 0
        self._queue: list[Injection] = []
        self._lock = threading.Lock()

    def inject(self, kind: str, count: int = 1, path_prefix: str = "") -> None:
        """Queue fault ``kind`` for the next ``count`` matching requests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._queue.append(Injection(kind, count, path_prefix))

    def pending(self) -> list[Injection]:
        """The injections still queued."""
        with self._lock:
            return [Injection(i.kind, i.count, i.path_prefix) for i in self._queue]

    def clear(self) -> None:
        """Drop every queued injection."""
        with self._lock:
            self._queue.clear()

    def pick(self, faults: Faults, path: str, eligible: frozenset[str]) -> str | None:
        """The fault for a request to ``path``; ``eligible`` are the kinds that fit it."""
        with self._lock:
            for injection in self._queue:
                if injection.kind in eligible and path_matches(path, injection.path_prefix):
                    injection.count -= 1
                    if injection.count == 0:
                        self._queue.remove(injection)
                    return injection.kind
            if not path.startswith("/v1/") or not any(faults.rates.values()):
                return None
            self._draws += 1
            draw = unit(self._seed, 0xFA, self._draws)
        return _by_rate(faults, draw, eligible)


def _by_rate(faults: Faults, draw: float, eligible: frozenset[str]) -> str | None:
    total = 0.0
    for kind in FAULT_KINDS:
        total += faults.rate(kind)
        if draw < total:
            return kind if kind in eligible else None
    return None
