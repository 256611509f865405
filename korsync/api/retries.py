"""When and how long to retry one request, as a backoff hook for ``stamina``.

A failed attempt that may succeed later raises ``RetryableError`` (connect/read errors, timeouts,
resets, 408, 429, 500/502/503/504, a body that is not a JSON object). ``RetryPolicy`` is the
hook ``stamina.retry_context`` calls with it: it counts attempts, keeps the total deadline and
returns either ``True`` (stamina's exponential backoff with jitter, whose ``wait_initial`` is
never zero, so ``Retry-After: 0`` or no header still backs off) or the server's ``Retry-After``
in seconds, raised to the exponential floor. It logs each retry at WARNING on ``korsync.api``
with the redacted URL and the reason. When it gives up, ``give_up`` builds the final error.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import stamina.instrumentation

from korsync.api.errors import DeadlineExceededError, RetriesExhaustedError

log = logging.getLogger("korsync.api")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def quiet_stamina_logging() -> None:
    """Keep stamina's Prometheus retry counter but not its own log line per retry:
    ``RetryPolicy`` logs each retry once, with the redacted URL and the reason."""
    stamina.instrumentation.set_on_retry_hooks([stamina.instrumentation.PrometheusOnRetryHook])


class RetryableError(Exception):
    """One failed attempt worth retrying; ``reason`` never contains a secret."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        super().__init__(reason)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), else ``None``.

    A date in the past gives ``0.0``; an unreadable value gives ``None``.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class Backoff:
    """stamina's exponential backoff parameters, in seconds."""

    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 1.0

    def floor(self, failed_attempts: int) -> float:
        """The jitter-less wait after ``failed_attempts`` failures (stamina's formula)."""
        return min(self.maximum, self.initial * 2.0 ** (failed_attempts - 1))


@dataclass
class RetryPolicy:
    """Backoff hook for the attempts at one URL; ``url`` is already redacted."""

    method: str
    url: str
    max_attempts: int
    deadline_s: float
    backoff: Backoff
    clock: Callable[[], float] = time.monotonic
    failures: int = field(init=False, default=0)
    _started: float = field(init=False, default=0.0)
    _deadline_reason: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._started = self.clock()

    def __call__(self, exc: Exception) -> bool | float:
        """Retry ``exc``? ``False``, ``True`` (exponential backoff) or seconds to wait."""
        if not isinstance(exc, RetryableError):
            return False
        self.failures += 1
        if self.failures >= self.max_attempts:
            return False
        floor = self.backoff.floor(self.failures)
        wait = max(exc.retry_after, floor) if exc.retry_after else None
        if not self._fits_deadline(wait if wait is not None else floor, exc):
            return False
        self._log(exc, wait, floor)
        return wait if wait is not None else True

    def _fits_deadline(self, wait: float, exc: RetryableError) -> bool:
        """Whether the next attempt, ``wait`` seconds from now, still starts before the deadline."""
        elapsed = self.clock() - self._started
        if elapsed + wait <= self.deadline_s:
            return True
        if exc.retry_after:
            self._deadline_reason = f"Retry-After of {exc.retry_after:.0f}s"
        else:
            self._deadline_reason = f"next backoff of {wait:.1f}s"
        self._deadline_reason += f" would pass the {self.deadline_s:g}s deadline"
        return False

    def _log(self, exc: RetryableError, wait: float | None, floor: float) -> None:
        how = (
            f"in {wait:.2f}s (Retry-After)" if wait is not None else f"in >= {floor:.2f}s (backoff)"
        )
        log.warning(
            "retrying %s %s %s, attempt %d of %d: %s",
            self.method,
            self.url,
            how,
            self.failures + 1,
            self.max_attempts,
            exc,
            extra={"retry_wait": wait if wait is not None else floor, "retry_reason": exc.reason},
        )

    def give_up(self, exc: RetryableError) -> RetriesExhaustedError:
        """The error to raise once the hook (or stamina's own attempt cap) stopped retrying."""
        attempts = max(self.failures, 1)
        if self._deadline_reason is not None:
            return DeadlineExceededError(
                f"{self.method} gave up after {attempts} attempts ({self._deadline_reason});"
                f" last error: {exc.reason}",
                url=self.url,
                status=exc.status,
                attempts=attempts,
            )
        return RetriesExhaustedError(
            f"{self.method} failed {attempts} times; last error: {exc.reason}",
            url=self.url,
            status=exc.status,
            attempts=attempts,
        )
